//! TransactWriteItems: up to 100 puts, updates, deletes and condition
//! checks, each on an item of its own, all written or none. Every table the
//! transaction touches is locked, in name order (as every other write locks
//! one), while its conditions are checked and its writes made.

use std::collections::{BTreeMap, BTreeSet};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::MutexGuard;

use serde::Deserialize;
use serde_json::{Value, json};

use super::error::{DynamoError, ErrorCode};
use super::expression::{Condition, Update};
use super::items::write_event;
use super::key::Key;
use super::request::{ConditionalWrite, Parameters};
use super::size::{self, item_size};
use super::tables::{Table, Tables};
use super::update_item::{no_key_in_update, updated};
use super::value::{self, Item};
use crate::emulator::events::{Event, EventBus};

/// DynamoDB's limits on one transaction.
const MAX_ACTIONS: usize = 100;
const MAX_TRANSACTION_BYTES: usize = 4 * 1024 * 1024;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct TransactWriteItems {
    transact_items: Vec<TransactItem>,
    client_request_token: Option<String>,
    #[serde(flatten)]
    rest: Item,
}

impl Parameters for TransactWriteItems {
    const OPERATION: &'static str = "TransactWriteItems";
    const SUPPORTED: &'static [&'static str] = &["TransactItems", "ClientRequestToken"];
    fn rest(&self) -> &Item {
        &self.rest
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct TransactItem {
    condition_check: Option<TransactAction>,
    put: Option<TransactAction>,
    update: Option<TransactAction>,
    delete: Option<TransactAction>,
}

/// Any of the four: each takes the fields its kind needs.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TransactAction {
    table_name: String,
    key: Option<Item>,
    item: Option<Item>,
    update_expression: Option<String>,
    #[serde(flatten)]
    write: ConditionalWrite,
    #[serde(flatten)]
    rest: Item,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ActionKind {
    ConditionCheck,
    Put,
    Update,
    Delete,
}

impl ActionKind {
    fn operation(self) -> &'static str {
        match self {
            ActionKind::ConditionCheck => "ConditionCheck",
            ActionKind::Put => "PutItem",
            ActionKind::Update => "UpdateItem",
            ActionKind::Delete => "DeleteItem",
        }
    }
}

/// One action, checked: what it does to which item.
struct CheckedAction<'a> {
    kind: ActionKind,
    table: &'a Table,
    key: Key,
    key_item: Item,
    condition: Option<Condition>,
    update: Option<Update>,
    item_on_failure: bool,
    put: Option<&'a Item>,
}

/// The IAM action each of a transaction's actions needs, on its table.
pub(crate) fn permissions(body: &Value) -> Vec<(&'static str, String)> {
    let items = body
        .get("TransactItems")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    items
        .iter()
        .take(MAX_ACTIONS + 1)
        .filter_map(|item| {
            [
                ("ConditionCheck", "dynamodb:ConditionCheckItem"),
                ("Put", "dynamodb:PutItem"),
                ("Update", "dynamodb:UpdateItem"),
                ("Delete", "dynamodb:DeleteItem"),
            ]
            .into_iter()
            .find_map(|(field, action)| {
                let table = item.get(field)?.get("TableName")?.as_str()?;
                Some((action, table.to_owned()))
            })
        })
        .collect()
}

pub(crate) fn write(
    tables: &Tables,
    events: &EventBus,
    caller: Option<&str>,
    input: TransactWriteItems,
    fingerprint: u64,
) -> Result<Value, DynamoError> {
    check_count(input.transact_items.len())?;
    if let Some(token) = &input.client_request_token
        && tables.transaction_tokens.seen(token, fingerprint)?
    {
        return Ok(json!({}));
    }
    let actions = check(tables, &input.transact_items)?;
    // Every table involved, locked in name order.
    let names: BTreeSet<&str> = actions
        .iter()
        .map(|action| action.table.schema.name.as_str())
        .collect();
    let mut locked: Locked<'_> = BTreeMap::new();
    for name in names {
        locked.insert(name, tables.get(name)?.items());
    }
    let writes = judge(&actions, &locked)?;
    let emitted = apply(&actions, writes, &mut locked, caller);
    drop(locked);
    for event in emitted {
        events.emit(event);
    }
    if let Some(token) = input.client_request_token {
        tables.transaction_tokens.record(token, fingerprint);
    }
    Ok(json!({}))
}

/// The items of every table a transaction touches, each table locked.
type Locked<'a> = BTreeMap<&'a str, MutexGuard<'a, BTreeMap<Key, Item>>>;

/// One TransactWriteItems holds 1 to [`MAX_ACTIONS`] actions.
fn check_count(count: usize) -> Result<(), DynamoError> {
    if count != 0 && count <= MAX_ACTIONS {
        return Ok(());
    }
    let bound = if count == 0 {
        "greater than or equal to 1".to_owned()
    } else {
        format!("less than or equal to {MAX_ACTIONS}")
    };
    Err(DynamoError::validation(format!(
        "1 validation error detected: Value at 'transactItems' failed to satisfy constraint: \
         Member must have length {bound}"
    ))
    .advise(format!(
        "one TransactWriteItems holds 1 to {MAX_ACTIONS} actions"
    )))
}

/// What each action writes, or the transaction cancelled with every
/// action's reason when one of them fails.
fn judge(
    actions: &[CheckedAction<'_>],
    locked: &Locked<'_>,
) -> Result<Vec<Option<Item>>, DynamoError> {
    let mut reasons = Vec::new();
    let mut writes = Vec::new();
    let mut failed = false;
    for action in actions {
        let current = locked
            .get(action.table.schema.name.as_str())
            .and_then(|items| items.get(&action.key));
        match outcome(action, current) {
            Ok(write) => {
                reasons.push(json!({ "Code": "None" }));
                writes.push(write);
            }
            Err(reason) => {
                failed = true;
                reasons.push(reason);
            }
        }
    }
    if !failed {
        return Ok(writes);
    }
    let codes: Vec<&str> = reasons
        .iter()
        .map(|reason| reason["Code"].as_str().unwrap_or("None"))
        .collect();
    Err(DynamoError::new(
        ErrorCode::TransactionCanceled,
        format!(
            "Transaction cancelled, please refer cancellation reasons for specific reasons [{}]",
            codes.join(", ")
        ),
    )
    .with_field("CancellationReasons", Value::Array(reasons)))
}

/// The writes made, under the locks; the events they raise, to emit once
/// the locks are released.
fn apply(
    actions: &[CheckedAction<'_>],
    writes: Vec<Option<Item>>,
    locked: &mut Locked<'_>,
    caller: Option<&str>,
) -> Vec<Event> {
    let mut emitted = Vec::new();
    for (action, write) in actions.iter().zip(writes) {
        let Some(items) = locked.get_mut(action.table.schema.name.as_str()) else {
            continue;
        };
        match (action.kind, write) {
            (ActionKind::ConditionCheck, _) => continue,
            (_, Some(item)) => {
                items.insert(action.key.clone(), item);
            }
            (_, None) => {
                items.remove(&action.key);
            }
        }
        emitted.push(write_event(
            action.table,
            action.kind.operation(),
            &action.key_item,
            caller,
        ));
    }
    emitted
}

/// Every action parsed and checked before any item is read: a mistake in
/// one is a ValidationException for the whole transaction.
fn check<'a>(
    tables: &'a Tables,
    items: &'a [TransactItem],
) -> Result<Vec<CheckedAction<'a>>, DynamoError> {
    let mut actions = Vec::new();
    let mut seen = BTreeSet::new();
    let mut bytes = 0;
    for item in items {
        let present = [
            (ActionKind::ConditionCheck, &item.condition_check),
            (ActionKind::Put, &item.put),
            (ActionKind::Update, &item.update),
            (ActionKind::Delete, &item.delete),
        ];
        let mut present = present
            .into_iter()
            .filter_map(|(kind, action)| Some((kind, action.as_ref()?)));
        let (Some((kind, action)), None) = (present.next(), present.next()) else {
            return Err(DynamoError::validation(
                "TransactItems can only contain one of Check, Put, Update or Delete",
            ));
        };
        let checked = check_action(tables, kind, action)?;
        if !seen.insert((checked.table.schema.name.clone(), checked.key.clone())) {
            return Err(DynamoError::validation(
                "Transaction request cannot include multiple operations on one item",
            )
            .advise(
                "a transaction touches each item once: merge the actions on the same key into one",
            ));
        }
        bytes += checked.put.map_or(item_size(&checked.key_item), item_size);
        actions.push(checked);
    }
    if bytes > MAX_TRANSACTION_BYTES {
        return Err(DynamoError::validation(
            "Transaction request size exceeds the maximum allowed size of 4 MB",
        ));
    }
    Ok(actions)
}

fn check_action<'a>(
    tables: &'a Tables,
    kind: ActionKind,
    action: &'a TransactAction,
) -> Result<CheckedAction<'a>, DynamoError> {
    let table = tables.get(&action.table_name)?;
    only_its_parameters(kind, action)?;
    let item_on_failure = action.write.item_on_failure()?;
    let (condition, update) = action
        .write
        .expressions(action.update_expression.as_deref())?;
    if kind == ActionKind::ConditionCheck && condition.is_none() {
        return Err(DynamoError::validation(
            "1 validation error detected: Value null at 'conditionExpression' failed to satisfy \
             constraint: Member must not be null",
        ));
    }
    let (key, key_item, put) = key_and_item(table, kind, action)?;
    if let Some(update) = &update {
        no_key_in_update(table, update)?;
    }
    if kind == ActionKind::Update && update.is_none() {
        return Err(missing(kind, "UpdateExpression"));
    }
    Ok(CheckedAction {
        kind,
        table,
        key,
        key_item,
        condition,
        update,
        item_on_failure,
        put,
    })
}

/// A transaction's action takes the parameters of its kind and no others.
fn only_its_parameters(kind: ActionKind, action: &TransactAction) -> Result<(), DynamoError> {
    let allowed: &[&str] = match kind {
        ActionKind::Put => &["Item"],
        ActionKind::Update => &["Key", "UpdateExpression"],
        ActionKind::ConditionCheck | ActionKind::Delete => &["Key"],
    };
    let given = [
        ("Item", action.item.is_some()),
        ("Key", action.key.is_some()),
        ("UpdateExpression", action.update_expression.is_some()),
    ];
    if let Some((field, _)) = given
        .iter()
        .find(|(field, set)| *set && !allowed.contains(field))
    {
        return Err(DynamoError::validation(format!(
            "{field} is not a parameter of a transaction's {}",
            kind.operation()
        )));
    }
    if let Some(other) = action.rest.keys().next() {
        return Err(DynamoError::unsupported(
            format_args!(
                "the parameter {other} of a transaction's {}",
                kind.operation()
            ),
            "TableName, Key, Item, UpdateExpression, ConditionExpression, \
             ExpressionAttributeNames, ExpressionAttributeValues and \
             ReturnValuesOnConditionCheckFailure",
        ));
    }
    if action.write.has_return_values() {
        return Err(DynamoError::validation(format!(
            "ReturnValues is not a parameter of a transaction's {}; it takes \
             ReturnValuesOnConditionCheckFailure",
            kind.operation()
        )));
    }
    Ok(())
}

/// The action's key, its key attributes as an item, and (a put's) the item.
fn key_and_item<'a>(
    table: &Table,
    kind: ActionKind,
    action: &'a TransactAction,
) -> Result<(Key, Item, Option<&'a Item>), DynamoError> {
    match (kind, &action.item, &action.key) {
        (ActionKind::Put, Some(item), _) => {
            item.values().try_for_each(value::check)?;
            let key = table.schema.key.key_of_item(item)?;
            table.schema.check_index_keys(item)?;
            size::check_item(item)?;
            let mut key_item = Item::new();
            table.schema.key.copy_key(item, &mut key_item);
            Ok((key, key_item, Some(item)))
        }
        (ActionKind::Put, None, _) => Err(missing(kind, "Item")),
        (_, _, Some(key_item)) => {
            key_item.values().try_for_each(value::check)?;
            Ok((
                table.schema.key.key_of_key(key_item)?,
                key_item.clone(),
                None,
            ))
        }
        (_, _, None) => Err(missing(kind, "Key")),
    }
}

fn missing(kind: ActionKind, field: &str) -> DynamoError {
    DynamoError::validation(format!(
        "A transaction's {} needs {field}",
        kind.operation()
    ))
}

/// What the action writes (`None`: delete the item; a condition check
/// writes nothing), or its cancellation reason.
fn outcome(action: &CheckedAction<'_>, current: Option<&Item>) -> Result<Option<Item>, Value> {
    let empty = Item::new();
    if let Some(condition) = &action.condition
        && !condition.matches(current.unwrap_or(&empty))
    {
        let mut reason = json!({
            "Code": "ConditionalCheckFailed",
            "Message": "The conditional request failed",
        });
        if let Some(item) = current.filter(|_| action.item_on_failure) {
            reason["Item"] = Value::Object(item.clone());
        }
        return Err(reason);
    }
    match action.kind {
        ActionKind::ConditionCheck => Ok(current.cloned()),
        ActionKind::Put => Ok(action.put.cloned()),
        ActionKind::Delete => Ok(None),
        ActionKind::Update => updated(
            action.table,
            &action.key_item,
            current,
            action.update.as_ref(),
        )
        .map(Some)
        .map_err(|error| json!({ "Code": "ValidationError", "Message": error.message })),
    }
}

/// What identifies a transaction's parameters: its actions as sent.
pub(crate) fn fingerprint(body: &Value) -> u64 {
    let mut hasher = DefaultHasher::new();
    body.get("TransactItems")
        .map(Value::to_string)
        .hash(&mut hasher);
    hasher.finish()
}
