//! Exercise 05: the `$default` Lambda, which should send each message to every
//! connection in the sender's chat, as
//! `{"event":"participantSentMessage","participantId":…,"message":…}`.
//!
//! Every message whose `action` matches no other route comes here, text or
//! JSON; the frame carries it as a JSON string. A connection that has joined
//! no chat gets `{"event":"error","message":"join a chat first"}` back; one in
//! several chats sends to each of them, under the name it joined each with.

mod helpers;

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
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
        // TODO: send `frame` to every connection in `chat_id`, the sender's
        // included, instead of to the sender alone:
        // 1. the chat's connections: a Query on the table by `ChatId` (its
        //    partition key), each item with its `ConnectionId`;
        // 2. post `frame` to each of them. As in exercise 04, a post that fails
        //    with 410 Gone means that client left: take it out of the chat (a
        //    DeleteItem of its `ChatId` and `ConnectionId`) and carry on; any
        //    other error ends the Lambda with that error.
        // https://docs.rs/aws-sdk-dynamodb/latest/aws_sdk_dynamodb/client/struct.Client.html#method.query
        println!("chat {chat_id}: sending to the sender only");
        client
            .post_to_connection()
            .connection_id(sender)
            .data(Blob::new(frame))
            .send()
            .await?;
    }

    let mut response = ApiGatewayProxyResponse::default();
    response.status_code = 200;
    Ok(response)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    run(service_fn(send_message)).await
}
