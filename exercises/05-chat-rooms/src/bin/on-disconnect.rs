//! Exercise 05: the `$disconnect` Lambda, which should take the connection out
//! of every chat it joined.
//!
//! API Gateway calls this function after a connection has closed, whoever
//! closed it. What the function returns is ignored.

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use lambda_runtime::{Error, LambdaEvent, run, service_fn};

async fn on_disconnect(
    event: LambdaEvent<ApiGatewayWebsocketProxyRequest>,
) -> Result<ApiGatewayProxyResponse, Error> {
    let Some(connection_id) = workshop::connection_id(&event.payload) else {
        return Err("the event has no connection id in its request context".into());
    };
    println!("disconnected: {connection_id}");

    // TODO: take `connection_id` out of the chats it is in, as exercise 04's
    // onDisconnect deleted it from the connections table:
    // 1. a DynamoDB client (`workshop::dynamodb_client().await`) and the table's
    //    name (`workshop::table_name("CHATS_TABLE")?`);
    // 2. its chats: `workshop::chats::membership_of(&dynamodb, &table, connection_id).await?`
    //    (a Query on the index by connection id);
    // 3. for each one, `workshop::chats::leave(…, &membership.chat_id, connection_id).await?`.

    let mut response = ApiGatewayProxyResponse::default();
    response.status_code = 200;
    Ok(response)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    run(service_fn(on_disconnect)).await
}
