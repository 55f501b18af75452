//! The `$connect` Lambda of exercise 03: accepts the connection and stores its
//! id in the connections table, so that `onMessage` can find every connection
//! to broadcast to.
//!
//! API Gateway calls this function when a client opens a WebSocket connection,
//! before the handshake completes, and waits for its answer: the `statusCode`
//! of the response becomes the HTTP status of the handshake. 2xx accepts the
//! connection, anything else rejects it, and a Lambda that fails (returns
//! `Err`, panics or times out) rejects it with 502 Bad Gateway.

mod helpers;

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use lambda_runtime::{Error, LambdaEvent, run, service_fn};

async fn on_connect(
    event: LambdaEvent<ApiGatewayWebsocketProxyRequest>,
) -> Result<ApiGatewayProxyResponse, Error> {
    let Some(connection_id) = event.payload.request_context.connection_id.as_deref() else {
        return Err("the event has no connection id in its request context".into());
    };
    println!("connection request: {connection_id}");

    // Store the id (a PutItem, in src/helpers.rs). The table's name is in the
    // environment variable that serverless.yml sets under `provider.environment`.
    // If this fails, so does the Lambda, and the handshake with it (502):
    // better than a connection that would never receive a broadcast.
    let dynamodb = helpers::dynamodb_client().await;
    let table = helpers::connections_table()?;
    helpers::save_connection(dynamodb, &table, connection_id).await?;

    // Exercise 01: accept the connection with status 200.
    let mut response = ApiGatewayProxyResponse::default();
    response.status_code = 200;
    Ok(response)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    run(service_fn(on_connect)).await
}
