//! BatchWriteItem and BatchGetItem: up to 25 puts and deletes, up to 100
//! keys read, over one or more tables, with DynamoDB's limits. Every request
//! is processed here, so `UnprocessedItems` is always empty and
//! `UnprocessedKeys` holds only what did not fit the 16 MB of an answer.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::error::DynamoError;
use super::expression::{self, Placeholders};
use super::items::write_event;
use super::key::Key;
use super::request::Parameters;
use super::size::{self, item_size};
use super::tables::Tables;
use super::value::{self, Item};
use crate::emulator::events::EventBus;

/// DynamoDB's limits on one call.
const MAX_WRITES: usize = 25;
const MAX_KEYS: usize = 100;
const MAX_ANSWER_BYTES: usize = 16 * 1024 * 1024;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct BatchWriteItem {
    request_items: BTreeMap<String, Vec<WriteRequest>>,
    #[serde(flatten)]
    rest: Item,
}

impl Parameters for BatchWriteItem {
    const OPERATION: &'static str = "BatchWriteItem";
    const SUPPORTED: &'static [&'static str] = &["RequestItems"];
    fn rest(&self) -> &Item {
        &self.rest
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct WriteRequest {
    put_request: Option<PutRequest>,
    delete_request: Option<DeleteRequest>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct PutRequest {
    item: Item,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct DeleteRequest {
    key: Item,
}

/// One checked write: the table, the item's key, and the item to put (none: delete).
struct Write<'r> {
    table: &'r str,
    key: Key,
    key_item: &'r Item,
    put: Option<&'r Item>,
}

pub(crate) fn write(
    tables: &Tables,
    events: &EventBus,
    caller: Option<&str>,
    input: BatchWriteItem,
) -> Result<Value, DynamoError> {
    check_counts(
        input.request_items.values().map(Vec::len),
        MAX_WRITES,
        "BatchWriteItem",
        |table| format!("requestItems.{table}.member"),
        input.request_items.keys(),
    )?;
    let mut writes = Vec::new();
    let mut seen = BTreeSet::new();
    for (name, requests) in &input.request_items {
        let table = tables.get(name)?;
        for request in requests {
            let (key_item, put) = match (&request.put_request, &request.delete_request) {
                (Some(put), None) => (&put.item, Some(&put.item)),
                (None, Some(delete)) => (&delete.key, None),
                _ => {
                    return Err(DynamoError::validation(
                        "Supplied WriteRequest must contain exactly one of PutRequest or \
                         DeleteRequest",
                    ));
                }
            };
            key_item.values().try_for_each(value::check)?;
            let key = match put {
                Some(item) => {
                    let key = table.schema.key.key_of_item(item)?;
                    table.schema.check_index_keys(item)?;
                    size::check_item(item)?;
                    key
                }
                None => table.schema.key.key_of_key(key_item)?,
            };
            if !seen.insert((name.as_str(), key.clone())) {
                return Err(duplicates());
            }
            writes.push(Write {
                table: name,
                key,
                key_item,
                put,
            });
        }
    }
    for write in writes {
        let table = tables.get(write.table)?;
        let operation = if write.put.is_some() {
            "PutItem"
        } else {
            "DeleteItem"
        };
        let event = write_event(table, operation, write.key_item, caller);
        {
            let mut items = table.items();
            match write.put {
                Some(item) => items.insert(write.key, item.clone()),
                None => items.remove(&write.key),
            };
        }
        events.emit(event);
    }
    Ok(json!({ "UnprocessedItems": {} }))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct BatchGetItem {
    request_items: BTreeMap<String, KeysAndAttributes>,
    #[serde(flatten)]
    rest: Item,
}

impl Parameters for BatchGetItem {
    const OPERATION: &'static str = "BatchGetItem";
    const SUPPORTED: &'static [&'static str] = &["RequestItems"];
    fn rest(&self) -> &Item {
        &self.rest
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct KeysAndAttributes {
    keys: Vec<Item>,
    projection_expression: Option<String>,
    expression_attribute_names: Option<BTreeMap<String, String>>,
    consistent_read: Option<bool>,
    #[serde(flatten)]
    rest: Item,
}

pub(crate) fn get(tables: &Tables, input: BatchGetItem) -> Result<Value, DynamoError> {
    check_counts(
        input
            .request_items
            .values()
            .map(|request| request.keys.len()),
        MAX_KEYS,
        "BatchGetItem",
        |table| format!("requestItems.{table}.member.keys"),
        input.request_items.keys(),
    )?;
    let mut reads = Vec::new();
    for (name, request) in &input.request_items {
        if let Some(other) = request.rest.keys().next() {
            return Err(DynamoError::unsupported(
                format_args!("the parameter {other} of BatchGetItem's RequestItems"),
                "Keys, ProjectionExpression, ExpressionAttributeNames and ConsistentRead",
            ));
        }
        let table = tables.get(name)?;
        let mut placeholders =
            Placeholders::new(request.expression_attribute_names.as_ref(), None)?;
        let projection = request
            .projection_expression
            .as_deref()
            .map(|text| expression::projection(text, &mut placeholders))
            .transpose()?;
        placeholders.finish()?;
        let mut seen = BTreeSet::new();
        let mut keys = Vec::new();
        for key_item in &request.keys {
            key_item.values().try_for_each(value::check)?;
            let key = table.schema.key.key_of_key(key_item)?;
            if !seen.insert(key.clone()) {
                return Err(duplicates());
            }
            keys.push((key, key_item));
        }
        reads.push((name, table, projection, keys, request));
    }
    let mut responses = Map::new();
    let mut unprocessed = Map::new();
    let mut answer_bytes = 0;
    for (name, table, projection, keys, request) in reads {
        let mut found = Vec::new();
        let mut left = Vec::new();
        for (key, key_item) in keys {
            let Some(item) = table.items().get(&key).cloned() else {
                continue;
            };
            let item = match &projection {
                Some(paths) => expression::project(&item, paths),
                None => item,
            };
            let bytes = item_size(&item);
            if answer_bytes + bytes > MAX_ANSWER_BYTES {
                left.push(Value::Object(key_item.clone()));
                continue;
            }
            answer_bytes += bytes;
            found.push(Value::Object(item));
        }
        responses.insert(name.clone(), Value::Array(found));
        if !left.is_empty() {
            unprocessed.insert(name.clone(), read_again(request, left));
        }
    }
    Ok(json!({ "Responses": responses, "UnprocessedKeys": unprocessed }))
}

/// A table's `UnprocessedKeys`: the keys left, with the request's own
/// parameters, ready to send again.
fn read_again(request: &KeysAndAttributes, left: Vec<Value>) -> Value {
    let mut again = json!({ "Keys": left });
    for (field, value) in [
        (
            "ProjectionExpression",
            request.projection_expression.clone().map(Value::String),
        ),
        (
            "ExpressionAttributeNames",
            request
                .expression_attribute_names
                .as_ref()
                .map(|names| json!(names)),
        ),
        ("ConsistentRead", request.consistent_read.map(Value::Bool)),
    ] {
        if let Some(value) = value {
            again[field] = value;
        }
    }
    again
}

/// DynamoDB's counts: at least one table, 1 to `max` requests per table,
/// at most `max` in all.
fn check_counts<'t>(
    per_table: impl Iterator<Item = usize>,
    max: usize,
    operation: &str,
    at: impl Fn(&str) -> String,
    tables: impl Iterator<Item = &'t String>,
) -> Result<(), DynamoError> {
    let counts: Vec<(usize, &String)> = per_table.zip(tables).collect();
    if counts.is_empty() {
        return Err(DynamoError::validation(
            "1 validation error detected: Value '{}' at 'requestItems' failed to satisfy \
             constraint: Member must have length greater than or equal to 1",
        ));
    }
    if operation == "BatchWriteItem" {
        if counts.iter().any(|(count, _)| *count == 0 || *count > max) {
            return Err(DynamoError::validation(format!(
                "1 validation error detected: Value at 'requestItems' failed to satisfy \
                 constraint: Map value must satisfy constraint: [Member must have length less \
                 than or equal to {max}, Member must have length greater than or equal to 1]"
            ))
            .advise(batch_advice(operation, max)));
        }
    } else if let Some((count, table)) =
        counts.iter().find(|(count, _)| *count == 0 || *count > max)
    {
        let bound = if *count == 0 {
            "greater than or equal to 1".to_owned()
        } else {
            format!("less than or equal to {max}")
        };
        return Err(DynamoError::validation(format!(
            "1 validation error detected: Value at '{}' failed to satisfy constraint: Member \
             must have length {bound}",
            at(table)
        ))
        .advise(batch_advice(operation, max)));
    }
    if counts.iter().map(|(count, _)| count).sum::<usize>() > max {
        return Err(DynamoError::validation(format!(
            "Too many items requested for the {operation} call"
        ))
        .advise(batch_advice(operation, max)));
    }
    Ok(())
}

fn batch_advice(operation: &str, max: usize) -> String {
    format!(
        "one {operation} takes at most {max} requests over all its tables: split the work into \
         chunks of {max} (`.chunks({max})`), one call per chunk, and send again whatever comes \
         back unprocessed"
    )
}

fn duplicates() -> DynamoError {
    DynamoError::validation("Provided list of item keys contains duplicates")
        .advise("a batch names each item once: drop the repeated keys")
}
