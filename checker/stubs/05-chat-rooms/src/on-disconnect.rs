//! Exercise 05: the `$disconnect` Lambda, which should take the connection out
//! of every chat it joined.
//!
//! API Gateway calls this function after a connection has closed, whoever
//! closed it. What the function returns is ignored.

mod helpers;

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use lambda_runtime::{Error, LambdaEvent, run, service_fn};

async fn on_disconnect(
    event: LambdaEvent<ApiGatewayWebsocketProxyRequest>,
) -> Result<ApiGatewayProxyResponse, Error> {
    let Some(connection_id) = event.payload.request_context.connection_id.as_deref() else {
        return Err("the event has no connection id in its request context".into());
    };
    println!("disconnected: {connection_id}");

    // TODO: take `connection_id` out of the chats it is in, as exercise 04's
    // onDisconnect deleted it from the connections table:
    // 1. its chats: a Query on the index `ConnectionIdIndex` for its
    //    `ConnectionId`, as send-message.rs finds the sender's chats;
    // 2. for each one, a DeleteItem whose key is both `ChatId` and `ConnectionId`.
    // https://docs.rs/aws-sdk-dynamodb/latest/aws_sdk_dynamodb/client/struct.Client.html#method.delete_item

    let mut response = ApiGatewayProxyResponse::default();
    response.status_code = 200;
    Ok(response)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    run(service_fn(on_disconnect)).await
}
