//! A correct exercise 05, written differently from the solution: one binary
//! serves all five functions and picks its work by the event's route key; the
//! frames are one internally tagged enum; `ping` is a two-way route
//! (`routeResponseSelectionExpression: $default`), so the pong is the
//! response's body instead of a PostToConnection.
//! Stack: `05-alternative-one-function.yml`. The check must pass.

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use aws_lambda_events::encodings::Body;
use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use serde::{Deserialize, Serialize};
use variants::chats;

/// Every frame the app sends: `event` first, then the variant's fields in order.
#[derive(Serialize)]
#[serde(tag = "event", rename_all = "camelCase")]
enum Frame<'a> {
    #[serde(rename_all = "camelCase")]
    ParticipantJoinedChat {
        chat_id: &'a str,
        participant_id: &'a str,
    },
    #[serde(rename_all = "camelCase")]
    ParticipantSentMessage {
        participant_id: &'a str,
        message: &'a str,
    },
    Pong,
    Error {
        message: &'a str,
    },
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct JoinChat {
    chat_id: String,
    participant_id: String,
}

async fn handler(
    event: LambdaEvent<ApiGatewayWebsocketProxyRequest>,
) -> Result<ApiGatewayProxyResponse, Error> {
    let request = event.payload;
    let route = request
        .request_context
        .route_key
        .as_deref()
        .unwrap_or_default();
    let mut response = ApiGatewayProxyResponse::default();
    response.status_code = 200;
    if route == "$connect" {
        return Ok(response);
    }
    if route == "ping" {
        response.body = Some(Body::Text(serde_json::to_string(&Frame::Pong)?));
        return Ok(response);
    }

    let me = variants::connection_id(&request).ok_or("the event has no connection id")?;
    let body = request.body.as_deref().unwrap_or_default();
    let dynamodb = variants::dynamodb_client().await;
    let table = std::env::var("CHATS_TABLE")?;
    let client = variants::management_client(&request).await;
    match route {
        "$disconnect" => {
            for membership in chats::membership_of(&dynamodb, &table, me).await? {
                chats::leave(&dynamodb, &table, &membership.chat_id, me).await?;
            }
        }
        "joinChat" => {
            let join: JoinChat = serde_json::from_str(body)?;
            chats::join(&dynamodb, &table, &join.chat_id, me, &join.participant_id).await?;
            let joined = Frame::ParticipantJoinedChat {
                chat_id: &join.chat_id,
                participant_id: &join.participant_id,
            };
            variants::post_to_connection(&client, me, serde_json::to_string(&joined)?).await?;
        }
        _ => {
            let memberships = chats::membership_of(&dynamodb, &table, me).await?;
            if memberships.is_empty() {
                let error = Frame::Error {
                    message: "join a chat first",
                };
                variants::post_to_connection(&client, me, serde_json::to_string(&error)?).await?;
            }
            for membership in &memberships {
                let frame = serde_json::to_string(&Frame::ParticipantSentMessage {
                    participant_id: &membership.participant_id,
                    message: body,
                })?;
                for member in chats::members(&dynamodb, &table, &membership.chat_id).await? {
                    let to = &member.connection_id;
                    let Err(error) =
                        variants::post_to_connection(&client, to, frame.as_str()).await
                    else {
                        continue;
                    };
                    if !variants::is_gone(&error) {
                        return Err(error.into());
                    }
                    chats::leave(&dynamodb, &table, &member.chat_id, to).await?;
                }
            }
        }
    }
    Ok(response)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    run(service_fn(handler)).await
}
