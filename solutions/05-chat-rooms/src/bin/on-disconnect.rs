//! Exercise 05: the `$disconnect` Lambda, which takes the connection out of
//! every chat it joined.
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

    // The TODO was: take `connection_id` out of the chats it is in. The index
    // on ConnectionId finds them; each item's key is (ChatId, ConnectionId).
    let dynamodb = workshop::dynamodb_client().await;
    let table = workshop::table_name("CHATS_TABLE")?;
    for membership in workshop::chats::membership_of(&dynamodb, &table, connection_id).await? {
        println!("leaving chat {}", membership.chat_id);
        workshop::chats::leave(&dynamodb, &table, &membership.chat_id, connection_id).await?;
    }

    let mut response = ApiGatewayProxyResponse::default();
    response.status_code = 200;
    Ok(response)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    run(service_fn(on_disconnect)).await
}
