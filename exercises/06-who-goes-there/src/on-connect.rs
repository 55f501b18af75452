//! The `$connect` Lambda: accepts every connection.
//!
//! In this exercise a connection is stored when it joins a chat (`joinChat`),
//! not when it connects, so there is nothing to store here.

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use lambda_runtime::{Error, LambdaEvent, run, service_fn};

async fn on_connect(
    event: LambdaEvent<ApiGatewayWebsocketProxyRequest>,
) -> Result<ApiGatewayProxyResponse, Error> {
    let connection_id = event
        .payload
        .request_context
        .connection_id
        .unwrap_or_default();
    println!("connection request: {connection_id}");

    // Exercise 01: accept the connection with status 200.
    let mut response = ApiGatewayProxyResponse::default();
    response.status_code = 200;
    Ok(response)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    run(service_fn(on_connect)).await
}
