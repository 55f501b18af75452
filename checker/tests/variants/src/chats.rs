//! The chats table of exercise 05: one item per connection in a chat, with
//! partition key `ChatId`, sort key `ConnectionId` and the attribute
//! `ParticipantId` (all strings), and a global secondary index
//! `ConnectionIdIndex` on `ConnectionId` to find a connection's chats. Each
//! function takes the table's name, which `serverless.yml` passes in an
//! environment variable (`CHATS_TABLE`).

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::{Client, Error};

const CHAT_ID: &str = "ChatId";
const CONNECTION_ID: &str = "ConnectionId";
const PARTICIPANT_ID: &str = "ParticipantId";
/// The global secondary index on `ConnectionId`, as `serverless.yml` declares it.
pub const CONNECTION_INDEX: &str = "ConnectionIdIndex";

/// One connection in one chat, under the name its participant joined with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub chat_id: String,
    pub connection_id: String,
    pub participant_id: String,
}

impl Membership {
    fn from_item(item: &HashMap<String, AttributeValue>) -> Option<Self> {
        let text = |name: &str| item.get(name)?.as_s().ok().cloned();
        Some(Self {
            chat_id: text(CHAT_ID)?,
            connection_id: text(CONNECTION_ID)?,
            participant_id: text(PARTICIPANT_ID)?,
        })
    }
}

/// Puts `connection_id` in `chat_id` as `participant_id`; joining again
/// replaces the participant id (PutItem).
pub async fn join(
    client: &Client,
    table: &str,
    chat_id: &str,
    connection_id: &str,
    participant_id: &str,
) -> Result<(), Error> {
    client
        .put_item()
        .table_name(table)
        .item(CHAT_ID, AttributeValue::S(chat_id.to_owned()))
        .item(CONNECTION_ID, AttributeValue::S(connection_id.to_owned()))
        .item(PARTICIPANT_ID, AttributeValue::S(participant_id.to_owned()))
        .send()
        .await?;
    Ok(())
}

/// Every connection in `chat_id` (Query on the table by `ChatId`).
pub async fn members(
    client: &Client,
    table: &str,
    chat_id: &str,
) -> Result<Vec<Membership>, Error> {
    query(client, table, None, CHAT_ID, chat_id).await
}

/// The chats `connection_id` is in (Query on the index `ConnectionIdIndex`).
pub async fn membership_of(
    client: &Client,
    table: &str,
    connection_id: &str,
) -> Result<Vec<Membership>, Error> {
    query(
        client,
        table,
        Some(CONNECTION_INDEX),
        CONNECTION_ID,
        connection_id,
    )
    .await
}

/// Takes `connection_id` out of `chat_id`; nothing happens if it is not in it (DeleteItem).
pub async fn leave(
    client: &Client,
    table: &str,
    chat_id: &str,
    connection_id: &str,
) -> Result<(), Error> {
    client
        .delete_item()
        .table_name(table)
        .key(CHAT_ID, AttributeValue::S(chat_id.to_owned()))
        .key(CONNECTION_ID, AttributeValue::S(connection_id.to_owned()))
        .send()
        .await?;
    Ok(())
}

/// The items whose `key` is `value`, page after page.
async fn query(
    client: &Client,
    table: &str,
    index: Option<&str>,
    key: &str,
    value: &str,
) -> Result<Vec<Membership>, Error> {
    let items = client
        .query()
        .table_name(table)
        .set_index_name(index.map(str::to_owned))
        .key_condition_expression(format!("{key} = :value"))
        .expression_attribute_values(":value", AttributeValue::S(value.to_owned()))
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await?;
    Ok(items.iter().filter_map(Membership::from_item).collect())
}
