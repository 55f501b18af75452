//! Exercise 02: the `$default` Lambda, which should echo every message back.
//!
//! API Gateway calls this function with each message that no other route
//! claims. The message's text is the event's `body`. What the function returns
//! does not reach the client (this is a one-way route): to send something
//! back, the function calls the API's `@connections` management API.

mod helpers;

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use lambda_runtime::{Error, LambdaEvent, run, service_fn};

async fn on_message(
    event: LambdaEvent<ApiGatewayWebsocketProxyRequest>,
) -> Result<ApiGatewayProxyResponse, Error> {
    let request = event.payload;
    let body = request.body.clone().unwrap_or_default();
    println!("message received: {body}");

    // TODO: echo `body` back to the client that sent it, with the management
    // API's PostToConnection operation.
    // 1. Which connection sent it: API Gateway puts the connection's id in the
    //    event's request context, `request.request_context.connection_id`.
    // 2. A client for this API's management API: the predefined
    //    `helpers::management_client(&request).await?` (src/helpers.rs).
    // 3. The call itself, `post_to_connection` on that client:
    //    https://docs.rs/aws-sdk-apigatewaymanagement/latest/aws_sdk_apigatewaymanagement/client/struct.Client.html#method.post_to_connection
    //    Give it the connection id and the data (a `Blob`, from
    //    `aws_sdk_apigatewaymanagement::primitives`), then `.send()` it. Like
    //    every SDK call it does nothing until it is `.await`ed; `?` then turns
    //    a failure into a Lambda error.

    let mut response = ApiGatewayProxyResponse::default();
    response.status_code = 200;
    Ok(response)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    run(service_fn(on_message)).await
}
