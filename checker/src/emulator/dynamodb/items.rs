//! PutItem, GetItem and DeleteItem, and what the writes share.

use serde_json::{Value, json};

use super::error::DynamoError;
use super::expression::{self, Condition, Placeholders};
use super::request::{DeleteItem, GetItem, PutItem};
use super::size;
use super::tables::{Table, Tables};
use super::value::{self, Item};
use crate::emulator::events::{Event, EventBus};

pub(crate) fn put(
    tables: &Tables,
    events: &EventBus,
    caller: Option<&str>,
    input: PutItem,
) -> Result<Value, DynamoError> {
    let table = tables.get(&input.table_name)?;
    let return_old = input.write.return_old()?;
    let item_on_failure = input.write.item_on_failure()?;
    input.item.values().try_for_each(value::check)?;
    let key = table.schema.key.key_of_item(&input.item)?;
    table.schema.check_index_keys(&input.item)?;
    size::check_item(&input.item)?;
    let condition = input.write.condition()?;
    let event = write_event(table, "PutItem", &input.item, caller);
    let old = {
        let mut items = table.items();
        check_condition(condition.as_ref(), items.get(&key), item_on_failure)?;
        items.insert(key, input.item)
    };
    events.emit(event);
    Ok(answer_old(old.filter(|_| return_old)))
}

pub(crate) fn get(tables: &Tables, input: GetItem) -> Result<Value, DynamoError> {
    let table = tables.get(&input.table_name)?;
    input.key.values().try_for_each(value::check)?;
    let key = table.schema.key.key_of_key(&input.key)?;
    let mut placeholders = Placeholders::new(input.expression_attribute_names.as_ref(), None)?;
    let projection = input
        .projection_expression
        .as_deref()
        .map(|text| expression::projection(text, &mut placeholders))
        .transpose()?;
    placeholders.finish()?;
    let item = table.items().get(&key).cloned();
    Ok(match item {
        Some(item) => {
            let item = match &projection {
                Some(names) => expression::project(&item, names),
                None => item,
            };
            json!({ "Item": item })
        }
        None => json!({}),
    })
}

pub(crate) fn delete(
    tables: &Tables,
    events: &EventBus,
    caller: Option<&str>,
    input: DeleteItem,
) -> Result<Value, DynamoError> {
    let table = tables.get(&input.table_name)?;
    let return_old = input.write.return_old()?;
    let item_on_failure = input.write.item_on_failure()?;
    input.key.values().try_for_each(value::check)?;
    let key = table.schema.key.key_of_key(&input.key)?;
    let condition = input.write.condition()?;
    let event = write_event(table, "DeleteItem", &input.key, caller);
    let old = {
        let mut items = table.items();
        check_condition(condition.as_ref(), items.get(&key), item_on_failure)?;
        items.remove(&key)
    };
    events.emit(event);
    Ok(answer_old(old.filter(|_| return_old)))
}

/// A write's condition holds for the item it replaces, updates or deletes
/// (none: an empty one); if not, the refusal carries that item when
/// `item_on_failure` (`ReturnValuesOnConditionCheckFailure: ALL_OLD`).
pub(super) fn check_condition(
    condition: Option<&Condition>,
    current: Option<&Item>,
    item_on_failure: bool,
) -> Result<(), DynamoError> {
    let empty = Item::new();
    match condition {
        Some(condition) if !condition.matches(current.unwrap_or(&empty)) => {
            let item = current
                .filter(|_| item_on_failure)
                .map(|item| Value::Object(item.clone()));
            Err(DynamoError::condition_failed(item))
        }
        _ => Ok(()),
    }
}

/// `caller`: the request id of the invocation that writes, when known.
pub(super) fn write_event(
    table: &Table,
    operation: &str,
    item: &Item,
    caller: Option<&str>,
) -> Event {
    let mut key = Item::new();
    table.schema.key.copy_key(item, &mut key);
    Event::TableWrite {
        table: table.schema.name.clone(),
        operation: operation.to_owned(),
        key: Value::Object(key).to_string(),
        request_id: caller.map(str::to_owned),
    }
}

pub(super) fn answer_old(old: Option<Item>) -> Value {
    match old {
        Some(old) => json!({ "Attributes": old }),
        None => json!({}),
    }
}
