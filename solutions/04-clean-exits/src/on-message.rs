//! Exercise 04: the `$default` Lambda of exercise 03, which sends every message
//! to every stored connection, and cleans up after clients that left.
//!
//! `$disconnect` is best effort: a connection can close without its id leaving
//! the table (its `onDisconnect` failed, or was not deployed yet). Posting to
//! it then fails with 410 Gone.

mod helpers;

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use aws_sdk_apigatewaymanagement::operation::post_to_connection::PostToConnectionError;
use aws_sdk_apigatewaymanagement::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use lambda_runtime::{Error, LambdaEvent, run, service_fn};

async fn on_message(
    event: LambdaEvent<ApiGatewayWebsocketProxyRequest>,
) -> Result<ApiGatewayProxyResponse, Error> {
    let request = event.payload;
    let body = request.body.clone().unwrap_or_default();
    println!("message received: {body}");
    let client = helpers::management_client(&request).await?;

    // Exercise 03: send `body` to every stored connection, the sender's included.
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
    let mut sent = 0;
    for connection_id in connection_ids {
        // The TODO was: on 410 Gone, delete the stale id and carry on; any other
        // error still ends the Lambda with that error.
        let posted = client
            .post_to_connection()
            .connection_id(connection_id)
            .data(Blob::new(body.as_str()))
            .send()
            .await;
        match posted {
            Ok(_) => sent += 1,
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(PostToConnectionError::is_gone_exception) =>
            {
                println!("{connection_id} is gone: deleting it");
                dynamodb
                    .delete_item()
                    .table_name(&table)
                    .key("ConnectionId", AttributeValue::S(connection_id.to_owned()))
                    .send()
                    .await?;
            }
            Err(error) => return Err(error.into()),
        }
    }
    println!("sent to {sent} of {} connections", items.len());

    let mut response = ApiGatewayProxyResponse::default();
    response.status_code = 200;
    Ok(response)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    run(service_fn(on_message)).await
}
