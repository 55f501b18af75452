//! Exercise 03: the `$default` Lambda, which sends every message to every
//! connected client.
//!
//! `onConnect` stores the id of each connection in the connections table, so
//! the ids of everyone to send to are in that table.

mod helpers;

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use aws_sdk_apigatewaymanagement::primitives::Blob;
use lambda_runtime::{Error, LambdaEvent, run, service_fn};

async fn on_message(
    event: LambdaEvent<ApiGatewayWebsocketProxyRequest>,
) -> Result<ApiGatewayProxyResponse, Error> {
    let request = event.payload;
    let body = request.body.clone().unwrap_or_default();
    println!("message received: {body}");
    let client = helpers::management_client(&request).await?;

    // The TODO was: send `body` to every stored connection, the sender's included.
    // 1. Every stored id: a Scan, page after page (a page holds up to 1 MB).
    let dynamodb = helpers::dynamodb_client().await;
    let table = helpers::connections_table()?;
    let items: Vec<_> = dynamodb
        .scan()
        .table_name(&table)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await?;
    let connection_ids = items
        .iter()
        .filter_map(|item| item.get("ConnectionId")?.as_s().ok());
    // 2. PostToConnection to each, one after the other. A client that left
    //    makes its post fail with 410 Gone, and `?` ends the broadcast there:
    //    exercise 04 deals with that.
    for connection_id in connection_ids {
        client
            .post_to_connection()
            .connection_id(connection_id)
            .data(Blob::new(body.as_str()))
            .send()
            .await?;
    }
    println!("sent to {} connections", items.len());

    let mut response = ApiGatewayProxyResponse::default();
    response.status_code = 200;
    Ok(response)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    run(service_fn(on_message)).await
}
