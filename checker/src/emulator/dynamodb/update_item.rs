//! UpdateItem: an update expression applied to an item, which it creates
//! when there is none, under an optional condition.

use serde_json::{Value, json};

use super::error::DynamoError;
use super::expression::{self, Path, Update};
use super::items::{check_condition, write_event};
use super::request::{Returns, UpdateItem};
use super::size;
use super::tables::{Table, Tables};
use super::value::{self, Item};
use crate::emulator::events::EventBus;

pub(crate) fn update(
    tables: &Tables,
    events: &EventBus,
    caller: Option<&str>,
    input: UpdateItem,
) -> Result<Value, DynamoError> {
    let table = tables.get(&input.table_name)?;
    let returns = input.write.returns()?;
    let item_on_failure = input.write.item_on_failure()?;
    input.key.values().try_for_each(value::check)?;
    let key = table.schema.key.key_of_key(&input.key)?;
    let (condition, update) = input
        .write
        .expressions(input.update_expression.as_deref())?;
    if let Some(update) = &update {
        no_key_in_update(table, update)?;
    }
    let event = write_event(table, "UpdateItem", &input.key, caller);
    let (old, new) = {
        let mut items = table.items();
        let current = items.get(&key);
        check_condition(condition.as_ref(), current, item_on_failure)?;
        let new = updated(table, &input.key, current, update.as_ref())?;
        let old = items.insert(key, new.clone());
        (old, new)
    };
    events.emit(event);
    let changed = || -> Vec<Path> {
        update
            .as_ref()
            .map(|update| update.paths().into_iter().cloned().collect())
            .unwrap_or_default()
    };
    let attributes = match returns {
        Returns::Nothing => None,
        Returns::AllOld => old,
        Returns::AllNew => Some(new),
        Returns::UpdatedOld => old.map(|old| expression::project(&old, &changed())),
        Returns::UpdatedNew => Some(expression::project(&new, &changed())),
    };
    Ok(
        match attributes.filter(|attributes| !attributes.is_empty()) {
            Some(attributes) => json!({ "Attributes": attributes }),
            None => json!({}),
        },
    )
}

/// The item as `update` leaves it: the current one, or one holding only
/// `key`, updated, then checked as a PutItem's item would be.
pub(super) fn updated(
    table: &Table,
    key: &Item,
    current: Option<&Item>,
    update: Option<&Update>,
) -> Result<Item, DynamoError> {
    let old = current.cloned().unwrap_or_else(|| key.clone());
    let mut new = old.clone();
    if let Some(update) = update {
        update.apply(&old, &mut new)?;
    }
    table.schema.check_index_keys(&new)?;
    size::check_updated(&new)?;
    Ok(new)
}

/// DynamoDB refuses an update of a key attribute.
pub(super) fn no_key_in_update(table: &Table, update: &Update) -> Result<(), DynamoError> {
    let key = update.paths().into_iter().find_map(|path| {
        table
            .schema
            .key
            .attributes()
            .find(|attribute| attribute.name == path.top())
    });
    match key {
        Some(key) => Err(DynamoError::validation(format!(
            "One or more parameter values were invalid: Cannot update attribute {}. This \
             attribute is part of the key",
            key.name
        ))
        .advise(
            "an item's key never changes: to move an item to another key, put a new item and \
             delete the old one (a TransactWriteItems does both at once)",
        )),
        None => Ok(()),
    }
}
