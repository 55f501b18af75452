//! Exercise 02: the `$default` Lambda, which echoes every message back.
//!
//! API Gateway calls this function with each message that no other route
//! claims. The message's text is the event's `body`. What the function returns
//! does not reach the client (this is a one-way route): to send something
//! back, the function calls the API's `@connections` management API.

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

    // The TODO was: echo `body` back to the client that sent it.
    // 1. The sender's connection id is in the request context.
    let Some(connection_id) = request.request_context.connection_id.as_deref() else {
        return Err("the event has no connection id in its request context".into());
    };
    // 2. A client for the `@connections` API of the API that sent the event
    //    (`https://{domainName}/{stage}`).
    let client = helpers::management_client(&request).await?;
    // 3. PostToConnection sends `body` to that connection as one text frame.
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
