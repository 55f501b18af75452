//! Exercise 04: the `$default` Lambda of exercise 03, which sends every message
//! to every stored connection, and should now clean up after clients that left.
//!
//! `$disconnect` is best effort: a connection can close without its id leaving
//! the table (its `onDisconnect` failed, or was not deployed yet). Posting to
//! it then fails with 410 Gone.

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
    for connection_id in connection_ids {
        // TODO: a post that fails with 410 Gone means the client has left:
        // delete its id from the table (a DeleteItem, as in on-disconnect.rs)
        // and carry on with the next connection. Any other error still ends the
        // Lambda with that error, as `?` does now. Match on the result instead
        // of using `?`; the SDK's error says whether it was a 410:
        //     Err(error) if error.as_service_error().is_some_and(|e| e.is_gone_exception()) => …
        // https://docs.rs/aws-sdk-apigatewaymanagement/latest/aws_sdk_apigatewaymanagement/operation/post_to_connection/enum.PostToConnectionError.html
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
