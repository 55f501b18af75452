//! The connections table of exercises 03 and 04: one item per open connection,
//! partition key `ConnectionId` (a string). Each function takes the table's name,
//! which `serverless.yml` passes in an environment variable (`CONNECTIONS_TABLE`).

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::{Client, Error};

const CONNECTION_ID: &str = "ConnectionId";

/// Stores `connection_id` (PutItem).
pub async fn save(client: &Client, table: &str, connection_id: &str) -> Result<(), Error> {
    client
        .put_item()
        .table_name(table)
        .item(CONNECTION_ID, AttributeValue::S(connection_id.to_owned()))
        .send()
        .await?;
    Ok(())
}

/// Every stored connection id (Scan, page after page).
pub async fn all(client: &Client, table: &str) -> Result<Vec<String>, Error> {
    let items = client
        .scan()
        .table_name(table)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await?;
    Ok(items
        .iter()
        .filter_map(|item| item.get(CONNECTION_ID)?.as_s().ok().cloned())
        .collect())
}

/// Removes `connection_id`; nothing happens if it is not stored (DeleteItem).
pub async fn delete(client: &Client, table: &str, connection_id: &str) -> Result<(), Error> {
    client
        .delete_item()
        .table_name(table)
        .key(CONNECTION_ID, AttributeValue::S(connection_id.to_owned()))
        .send()
        .await?;
    Ok(())
}
