//! Exercise 05: the `$default` Lambda, which send each message to every
//! connection in the sender's chat, as
//! `{"event":"participantSentMessage","participantId":…,"message":…}`.
//!
//! Every message whose `action` matches no other route comes here, text or
//! JSON; the frame carries it as a JSON string. A connection that has joined
//! no chat gets `{"event":"error","message":"join a chat first"}` back; one in
//! several chats sends to each of them, under the name it joined each with.

mod helpers;

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use aws_sdk_apigatewaymanagement::operation::post_to_connection::PostToConnectionError;
use aws_sdk_apigatewaymanagement::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use serde::Serialize;

/// The frame each connection in the chat receives.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ParticipantSentMessage<'a> {
    event: &'static str,
    participant_id: &'a str,
    message: &'a str,
}

/// The frame a sender that is in no chat receives.
#[derive(Serialize)]
struct ErrorFrame<'a> {
    event: &'static str,
    message: &'a str,
}

async fn send_message(
    event: LambdaEvent<ApiGatewayWebsocketProxyRequest>,
) -> Result<ApiGatewayProxyResponse, Error> {
    let request = event.payload;
    let Some(sender) = request.request_context.connection_id.as_deref() else {
        return Err("the event has no connection id in its request context".into());
    };
    let body = request.body.clone().unwrap_or_default();
    println!("message from {sender}: {body}");

    let dynamodb = helpers::dynamodb_client().await;
    let table = helpers::chats_table()?;
    let client = helpers::management_client(&request).await?;

    // The chats the sender is in: a Query on the index by connection id.
    let memberships: Vec<_> = dynamodb
        .query()
        .table_name(&table)
        .index_name("ConnectionIdIndex")
        .key_condition_expression("ConnectionId = :connection")
        .expression_attribute_values(":connection", AttributeValue::S(sender.to_owned()))
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await?;
    if memberships.is_empty() {
        let error = serde_json::to_string(&ErrorFrame {
            event: "error",
            message: "join a chat first",
        })?;
        client
            .post_to_connection()
            .connection_id(sender)
            .data(Blob::new(error))
            .send()
            .await?;
    }
    for membership in &memberships {
        let text = |name: &str| membership.get(name).and_then(|value| value.as_s().ok());
        let (Some(chat_id), Some(participant_id)) = (text("ChatId"), text("ParticipantId")) else {
            continue;
        };
        // The message as the chat sees it: who sent it, and its text.
        let frame = serde_json::to_string(&ParticipantSentMessage {
            event: "participantSentMessage",
            participant_id,
            message: &body,
        })?;
        // Exercise 05: send `frame` to every connection in the chat, the
        // sender's included; a 410 Gone takes that connection out of the chat,
        // as in exercise 04, and any other error ends the Lambda.
        let members: Vec<_> = dynamodb
            .query()
            .table_name(&table)
            .key_condition_expression("ChatId = :chat")
            .expression_attribute_values(":chat", AttributeValue::S(chat_id.to_owned()))
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await?;
        let connection_ids = members
            .iter()
            .filter_map(|member| member.get("ConnectionId")?.as_s().ok());
        for connection_id in connection_ids {
            let posted = client
                .post_to_connection()
                .connection_id(connection_id)
                .data(Blob::new(frame.as_str()))
                .send()
                .await;
            match posted {
                Ok(_) => {}
                Err(error)
                    if error
                        .as_service_error()
                        .is_some_and(PostToConnectionError::is_gone_exception) =>
                {
                    println!("{connection_id} is gone: taking it out of chat {chat_id}");
                    dynamodb
                        .delete_item()
                        .table_name(&table)
                        .key("ChatId", AttributeValue::S(chat_id.to_owned()))
                        .key("ConnectionId", AttributeValue::S(connection_id.to_owned()))
                        .send()
                        .await?;
                }
                Err(error) => return Err(error.into()),
            }
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
