//! A broken exercise 05: the `$default` Lambda also counts each
//! participant's messages, with an UpdateItem that names the attribute
//! `Total` unquoted. `TOTAL` is one of DynamoDB's 573 reserved words, so
//! every message fails with a ValidationException, on AWS as in the
//! checker, before anything is sent. `joinChat`, `ping` and `onDisconnect`
//! are the solution's. Stack: `05-reserved-word.yml`. The check must fail
//! and name the word.

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
        // The sender's message count: `Total` should be `#total`.
        dynamodb
            .update_item()
            .table_name(&table)
            .key("ChatId", AttributeValue::S(membership.chat_id.clone()))
            .key("ConnectionId", AttributeValue::S(sender.to_owned()))
            .update_expression("SET Total = if_not_exists(Total, :zero) + :one")
            .expression_attribute_values(":zero", AttributeValue::N("0".to_owned()))
            .expression_attribute_values(":one", AttributeValue::N("1".to_owned()))
            .send()
            .await?;
        let frame = serde_json::to_string(&ParticipantSentMessage {
            event: "participantSentMessage",
            participant_id: &membership.participant_id,
            message: &body,
        })?;
        for member in variants::chats::members(&dynamodb, &table, &membership.chat_id).await? {
            match variants::post_to_connection(&client, &member.connection_id, frame.as_str()).await
            {
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
