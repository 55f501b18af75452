//! Exercise 02: the `$default` Lambda, which should echo every message back.
//!
//! API Gateway calls this function with each message that no other route
//! claims. The message's text is the event's `body`. What the function returns
//! does not reach the client (this is a one-way route): to send something
//! back, the function calls the API's `@connections` management API.

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use lambda_runtime::{Error, LambdaEvent, run, service_fn};

async fn on_message(
    event: LambdaEvent<ApiGatewayWebsocketProxyRequest>,
) -> Result<ApiGatewayProxyResponse, Error> {
    let request = event.payload;
    let body = request.body.clone().unwrap_or_default();
    println!("message received: {body}");

    // The TODO was: echo `body` back to the client that sent it.
    // 1. The sender's connection id is in the request context.
    let Some(connection_id) = workshop::connection_id(&request) else {
        return Err("the event has no connection id in its request context".into());
    };
    // 2. A client for the `@connections` endpoint of the API that sent the
    //    event (`https://{domainName}/{stage}`).
    let client = workshop::management_client(&request).await;
    // 3. PostToConnection sends `body` to that connection as one text frame.
    workshop::post_to_connection(&client, connection_id, body).await?;

    let mut response = ApiGatewayProxyResponse::default();
    response.status_code = 200;
    Ok(response)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    run(service_fn(on_message)).await
}
