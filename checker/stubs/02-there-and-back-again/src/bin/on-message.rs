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

    // TODO: echo `body` back to the client that sent it.
    // 1. Find out which connection sent it: API Gateway puts the connection's
    //    id in the event's request context (`workshop::connection_id(&request)`).
    // 2. Build a client for this API's management API, the one that can write
    //    to its connections: `workshop::management_client(&request).await`.
    // 3. Send `body` to that connection with
    //    `workshop::post_to_connection(&client, connection_id, body).await`
    //    (PostToConnection), and let `?` turn a failure into a Lambda error.

    let mut response = ApiGatewayProxyResponse::default();
    response.status_code = 200;
    Ok(response)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    run(service_fn(on_message)).await
}
