//! Exercise 05: the Lambda of the custom route `ping`, which should answer
//! {"action": "ping"} with {"event": "pong"}: a way for a client to check that
//! its connection and the API are alive.

mod helpers;

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use lambda_runtime::{Error, LambdaEvent, run, service_fn};

async fn ping(
    event: LambdaEvent<ApiGatewayWebsocketProxyRequest>,
) -> Result<ApiGatewayProxyResponse, Error> {
    let request = event.payload;
    let connection_id = request
        .request_context
        .connection_id
        .as_deref()
        .unwrap_or_default();
    println!("ping from {connection_id}");

    // TODO: send the frame {"event":"pong"} to the connection that sent the
    // ping, with `helpers::management_client` and PostToConnection, as in
    // exercise 02. `serde_json::json!({"event": "pong"}).to_string()` is the
    // frame's text. (Returning it in the response would not do: on a one-way
    // route, what the Lambda returns never reaches the client.)

    let mut response = ApiGatewayProxyResponse::default();
    response.status_code = 200;
    Ok(response)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    run(service_fn(ping)).await
}
