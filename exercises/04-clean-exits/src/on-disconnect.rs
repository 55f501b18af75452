//! Exercise 04: the `$disconnect` Lambda, which should forget the connection.
//!
//! API Gateway calls this function after a connection has closed, whoever
//! closed it (the client, a timeout, `DeleteConnection`), so the connection can
//! no longer receive anything. What the function returns is ignored.

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

    // TODO: delete `connection_id` from the connections table, so that
    // broadcasts stop sending to it: a DeleteItem whose key is the attribute
    // `ConnectionId`, with the client and table name that on-connect.rs uses.
    // https://docs.rs/aws-sdk-dynamodb/latest/aws_sdk_dynamodb/client/struct.Client.html#method.delete_item

    let mut response = ApiGatewayProxyResponse::default();
    response.status_code = 200;
    Ok(response)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    run(service_fn(on_disconnect)).await
}
