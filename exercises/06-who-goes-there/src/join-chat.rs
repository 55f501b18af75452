//! Exercise 06: the Lambda of the custom route `joinChat`, which puts the
//! connection in a chat, under the name its token proved:
//! `{"action": "joinChat", "chatId": "rust"}`. A `participantId` in the
//! message must not be trusted: anyone can write any name there.
//!
//! A participant may join from several connections (two browser tabs), and a
//! connection may join several chats; each (chat, connection) is one item of
//! the chats table. Joining the same chat again renames the participant.

mod helpers;

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use aws_sdk_apigatewaymanagement::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use serde::{Deserialize, Serialize};

/// The message that joins a chat (its `action` chose this route).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct JoinChat {
    chat_id: String,
    participant_id: String,
}

/// The frame the joining connection receives:
/// `{"event":"participantJoinedChat","chatId":…,"participantId":…}`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ParticipantJoinedChat<'a> {
    event: &'static str,
    chat_id: &'a str,
    participant_id: &'a str,
}

async fn join_chat(
    event: LambdaEvent<ApiGatewayWebsocketProxyRequest>,
) -> Result<ApiGatewayProxyResponse, Error> {
    let request = event.payload;
    let Some(connection_id) = request.request_context.connection_id.as_deref() else {
        return Err("the event has no connection id in its request context".into());
    };
    let body = request.body.as_deref().unwrap_or_default();
    // TODO: the name is the one the $connect authorizer proved, in the
    // connection's context (`helpers::authorized_name(&request)`), not the
    // `participantId` the message claims; a message then needs only a
    // `chatId`.
    let JoinChat {
        chat_id,
        participant_id,
    } = serde_json::from_str(body).map_err(|error| {
        format!("joinChat needs a chatId and a participantId ({error}): {body}")
    })?;
    println!("{connection_id} joins chat {chat_id} as {participant_id}");

    // Exercise 05: store the membership before answering.
    let dynamodb = helpers::dynamodb_client().await;
    dynamodb
        .put_item()
        .table_name(helpers::chats_table()?)
        .item("ChatId", AttributeValue::S(chat_id.clone()))
        .item("ConnectionId", AttributeValue::S(connection_id.to_owned()))
        .item("ParticipantId", AttributeValue::S(participant_id.clone()))
        .send()
        .await?;

    // Tell the joining connection it is in.
    let joined = serde_json::to_string(&ParticipantJoinedChat {
        event: "participantJoinedChat",
        chat_id: &chat_id,
        participant_id: &participant_id,
    })?;
    let client = helpers::management_client(&request).await?;
    client
        .post_to_connection()
        .connection_id(connection_id)
        .data(Blob::new(joined))
        .send()
        .await?;

    let mut response = ApiGatewayProxyResponse::default();
    response.status_code = 200;
    Ok(response)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    run(service_fn(join_chat)).await
}
