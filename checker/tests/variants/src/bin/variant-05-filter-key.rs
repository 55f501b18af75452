//! A broken exercise 05: the `$default` Lambda leaves the sender out of its
//! own broadcast with a FilterExpression on the chat's Query,
//! `ConnectionId <> :me`. `ConnectionId` is the table's sort key, and
//! DynamoDB refuses a Query whose filter names a key attribute: every
//! message fails with a ValidationException, on AWS as in the checker.
//! `joinChat`, `ping` and `onDisconnect` are the solution's. Stack:
//! `05-filter-key.yml`. The check must fail and name the filter.

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use serde::Serialize;
use variants::dynamodb::types::AttributeValue;

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
    for membership in variants::chats::membership_of(&dynamodb, &table, sender).await? {
        let frame = serde_json::to_string(&ParticipantSentMessage {
            event: "participantSentMessage",
            participant_id: &membership.participant_id,
            message: &body,
        })?;
        // Everyone in the chat but the sender: the filter DynamoDB refuses.
        let others = dynamodb
            .query()
            .table_name(&table)
            .key_condition_expression("ChatId = :chat")
            .filter_expression("ConnectionId <> :me")
            .expression_attribute_values(":chat", AttributeValue::S(membership.chat_id.clone()))
            .expression_attribute_values(":me", AttributeValue::S(sender.to_owned()))
            .send()
            .await?;
        for other in others.items() {
            let Some(connection_id) = other.get("ConnectionId").and_then(|id| id.as_s().ok())
            else {
                continue;
            };
            match variants::post_to_connection(&client, connection_id, frame.as_str()).await {
                Ok(()) => {}
                Err(error) if variants::is_gone(&error) => {}
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
