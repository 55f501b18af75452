//! Exercise 05: the `$default` Lambda, which sends each message to every
//! connection in the sender's chat, as
//! `{"event":"participantSentMessage","participantId":…,"message":…}`.
//!
//! Every message whose `action` matches no other route comes here, text or
//! JSON; the frame carries it as a JSON string. A connection that has joined
//! no chat gets `{"event":"error","message":"join a chat first"}` back; one in
//! several chats sends to each of them, under the name it joined each with.

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use serde::Serialize;

/// The frame each connection in the chat receives, fields in this order.
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
    let Some(sender) = workshop::connection_id(&request) else {
        return Err("the event has no connection id in its request context".into());
    };
    let body = request.body.clone().unwrap_or_default();
    println!("message from {sender}: {body}");

    let dynamodb = workshop::dynamodb_client().await;
    let table = workshop::table_name("CHATS_TABLE")?;
    let client = workshop::management_client(&request).await;

    // The chats the sender is in (a Query on the index by connection id).
    let memberships = workshop::chats::membership_of(&dynamodb, &table, sender).await?;
    if memberships.is_empty() {
        let error = serde_json::to_string(&ErrorFrame {
            event: "error",
            message: "join a chat first",
        })?;
        workshop::post_to_connection(&client, sender, error).await?;
    }
    for membership in &memberships {
        // The message as the chat sees it: who sent it, and its text.
        let frame = serde_json::to_string(&ParticipantSentMessage {
            event: "participantSentMessage",
            participant_id: &membership.participant_id,
            message: &body,
        })?;
        // The TODO was: send `frame` to every connection in the chat, the
        // sender's included; a 410 Gone takes that connection out of the chat,
        // as in exercise 04, and any other error ends the Lambda.
        for member in workshop::chats::members(&dynamodb, &table, &membership.chat_id).await? {
            let chat_id = &member.chat_id;
            let connection_id = &member.connection_id;
            match workshop::post_to_connection(&client, connection_id, frame.as_str()).await {
                Ok(()) => {}
                Err(error) if workshop::is_gone(&error) => {
                    println!("{connection_id} is gone: taking it out of chat {chat_id}");
                    workshop::chats::leave(&dynamodb, &table, chat_id, connection_id).await?;
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
