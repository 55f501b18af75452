//! Exercise 03: the `$default` Lambda, which should send every message to every
//! connected client.
//!
//! For now it is exercise 02's echo: the message goes back to its sender only.
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

    // TODO: send `body` to every stored connection, the sender's included,
    // instead of echoing it to the sender alone.
    // 1. Every stored id: a Scan of the connections table, with the DynamoDB
    //    client and table name that on-connect.rs uses
    //    (`helpers::dynamodb_client().await`, `helpers::connections_table()?`):
    //    https://docs.rs/aws-sdk-dynamodb/latest/aws_sdk_dynamodb/client/struct.Client.html#method.scan
    //    Each item is a map of attribute names to values; the id is the string
    //    attribute `ConnectionId`.
    // 2. Post `body` to each id as below, awaiting each call.
    // A post fails with 410 Gone when its client has left: nothing removes ids
    // from the table yet, so once someone leaves, broadcasts fail. That is
    // exercise 04.
    let Some(connection_id) = request.request_context.connection_id.as_deref() else {
        return Err("the event has no connection id in its request context".into());
    };
    client
        .post_to_connection()
        .connection_id(connection_id)
        .data(Blob::new(body))
        .send()
        .await?;

    let mut response = ApiGatewayProxyResponse::default();
    response.status_code = 200;
    Ok(response)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    run(service_fn(on_message)).await
}
