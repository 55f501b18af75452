//! Exercise 05: the `$disconnect` Lambda, which takes the connection out of
//! every chat it joined.
//!
//! API Gateway calls this function after a connection has closed, whoever
//! closed it. What the function returns is ignored.

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

    // Exercise 05: take `connection_id` out of the chats it is in. The index
    // on ConnectionId finds them; each item's key is (ChatId, ConnectionId).
    let dynamodb = helpers::dynamodb_client().await;
    let table = helpers::chats_table()?;
    let memberships: Vec<_> = dynamodb
        .query()
        .table_name(&table)
        .index_name("ConnectionIdIndex")
        .key_condition_expression("ConnectionId = :connection")
        .expression_attribute_values(":connection", AttributeValue::S(connection_id.to_owned()))
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await?;
    for membership in &memberships {
        let Some(chat_id) = membership.get("ChatId") else {
            continue;
        };
        println!(
            "leaving chat {}",
            chat_id.as_s().map_or("?", String::as_str)
        );
        dynamodb
            .delete_item()
            .table_name(&table)
            .key("ChatId", chat_id.clone())
            .key("ConnectionId", AttributeValue::S(connection_id.to_owned()))
            .send()
            .await?;
    }

    let mut response = ApiGatewayProxyResponse::default();
    response.status_code = 200;
    Ok(response)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    run(service_fn(on_disconnect)).await
}
