//! Exercise 01: the `$connect` Lambda.
//!
//! API Gateway calls this function when a client opens a WebSocket connection,
//! before the handshake completes, and waits for its answer: the `statusCode`
//! of the response becomes the HTTP status of the handshake. 2xx accepts the
//! connection, anything else rejects it, and a Lambda that fails (returns
//! `Err`, panics or times out) rejects it with 502 Bad Gateway.

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use lambda_runtime::{Error, LambdaEvent, run, service_fn};

async fn on_connect(
    event: LambdaEvent<ApiGatewayWebsocketProxyRequest>,
) -> Result<ApiGatewayProxyResponse, Error> {
    // What you print goes to the function's log: CloudWatch on AWS, the
    // checker's terminal locally.
    let connection_id = event
        .payload
        .request_context
        .connection_id
        .unwrap_or_default();
    println!("connection request: {connection_id}");

    // The TODO was: accept the connection. A response with status 200 (any 2xx
    // would do) becomes the handshake's status, so the connection opens.
    // `ApiGatewayProxyResponse` is `#[non_exhaustive]`: start from `default()`.
    let mut response = ApiGatewayProxyResponse::default();
    response.status_code = 200;
    Ok(response)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    run(service_fn(on_connect)).await
}
