//! Exercise 04: the `$disconnect` Lambda, which forgets the connection.
//!
//! API Gateway calls this function after a connection has closed, whoever
//! closed it (the client, a timeout, `DeleteConnection`), so the connection can
//! no longer receive anything. What the function returns is ignored.

mod helpers;

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use aws_sdk_dynamodb::types::AttributeValue;
use lambda_runtime::{Error, LambdaEvent, run, service_fn};

async fn on_disconnect(
    event: LambdaEvent<ApiGatewayWebsocketProxyRequest>,
) -> Result<ApiGatewayProxyResponse, Error> {
    let Some(connection_id) = event.payload.request_context.connection_id.as_deref() else {
        return Err("the event has no connection id in its request context".into());
    };
    println!("disconnected: {connection_id}");

    // The TODO was: delete `connection_id` from the connections table (DeleteItem).
    let dynamodb = helpers::dynamodb_client().await;
    let table = helpers::connections_table()?;
    dynamodb
        .delete_item()
        .table_name(table)
        .key("ConnectionId", AttributeValue::S(connection_id.to_owned()))
        .send()
        .await?;

    let mut response = ApiGatewayProxyResponse::default();
    response.status_code = 200;
    Ok(response)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    run(service_fn(on_disconnect)).await
}
