//! A broken exercise 05: the `$default` Lambda sends each message to every
//! connection in the chats table, whatever chat it joined, instead of to the
//! sender's chat only (a Scan where the solution queries by ChatId). With two
//! chats, a message in one reaches the other. `joinChat`, `ping` and
//! `onDisconnect` are the solution's. Stack: `05-wrong-chat.yml`. The check must fail.

use std::collections::BTreeSet;

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use serde::Serialize;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ParticipantSentMessage<'a> {
    event: &'static str,
    participant_id: &'a str,
    message: &'a str,
}

async fn send_message(
    event: LambdaEvent<ApiGatewayWebsocketProxyRequest>,
) -> Result<ApiGatewayProxyResponse, Error> {
    let request = event.payload;
    let sender = variants::connection_id(&request).ok_or("the event has no connection id")?;
    let body = request.body.clone().unwrap_or_default();
    let dynamodb = variants::dynamodb_client().await;
    let table = variants::table_name("CHATS_TABLE")?;
    let client = variants::management_client(&request).await;
    let memberships = variants::chats::membership_of(&dynamodb, &table, sender).await?;
    let Some(membership) = memberships.first() else {
        let error = r#"{"event":"error","message":"join a chat first"}"#;
        variants::post_to_connection(&client, sender, error).await?;
        let mut response = ApiGatewayProxyResponse::default();
        response.status_code = 200;
        return Ok(response);
    };
    let frame = serde_json::to_string(&ParticipantSentMessage {
        event: "participantSentMessage",
        participant_id: &membership.participant_id,
        message: &body,
    })?;
    // Every connection of every chat, each once.
    let items = dynamodb
        .scan()
        .table_name(&table)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await?;
    let everyone: BTreeSet<String> = items
        .iter()
        .filter_map(|item| item.get("ConnectionId")?.as_s().ok().cloned())
        .collect();
    println!(
        "variant-05-wrong-chat: sending to all {} connections",
        everyone.len()
    );
    for connection_id in &everyone {
        match variants::post_to_connection(&client, connection_id, frame.as_str()).await {
            Ok(()) => {}
            Err(error) if variants::is_gone(&error) => {}
            Err(error) => return Err(error.into()),
        }
    }
    let mut response = ApiGatewayProxyResponse::default();
    response.status_code = 200;
    Ok(response)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    run(service_fn(send_message)).await
}
