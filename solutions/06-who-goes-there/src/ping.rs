//! Exercise 05: the Lambda of the custom route `ping`, which answers
//! {"action": "ping"} with {"event": "pong"}: a way for a client to check that
//! its connection and the API are alive.

mod helpers;

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use aws_sdk_apigatewaymanagement::primitives::Blob;
use lambda_runtime::{Error, LambdaEvent, run, service_fn};

async fn ping(
    event: LambdaEvent<ApiGatewayWebsocketProxyRequest>,
) -> Result<ApiGatewayProxyResponse, Error> {
    let request = event.payload;
    let Some(connection_id) = request.request_context.connection_id.as_deref() else {
        return Err("the event has no connection id in its request context".into());
    };
    println!("ping from {connection_id}");

    // Exercise 05: send {"event":"pong"} to the connection that sent the ping.
    let client = helpers::management_client(&request).await?;
    let pong = serde_json::json!({ "event": "pong" }).to_string();
    client
        .post_to_connection()
        .connection_id(connection_id)
        .data(Blob::new(pong))
        .send()
        .await?;

    let mut response = ApiGatewayProxyResponse::default();
    response.status_code = 200;
    Ok(response)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    run(service_fn(ping)).await
}
