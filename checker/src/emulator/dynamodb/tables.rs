//! The tables' contents, in memory: per table a `BTreeMap` from key to item
//! behind its own `Mutex`, held only for a map operation (never across an
//! `.await`). Indexes are not stored: a query on one scans the table, which
//! costs nothing at workshop sizes.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use serde_json::Value;

use super::budget::ParseBudget;
use super::error::DynamoError;
use super::key::Key;
use super::tokens::Tokens;
use super::value::Item;
use crate::stack;

/// The contents of one table, for reports: items as DynamoDB JSON, in key order.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct TableDump {
    pub name: String,
    pub items: Vec<Value>,
}

pub(crate) struct Table {
    pub(crate) schema: stack::Table,
    /// Epoch seconds, as `DescribeTable` gives `CreationDateTime`.
    pub(crate) created_at: f64,
    items: Mutex<BTreeMap<Key, Item>>,
}

impl Table {
    pub(crate) fn items(&self) -> MutexGuard<'_, BTreeMap<Key, Item>> {
        // Every change is one map operation, so a panic elsewhere cannot
        // leave the map half-changed.
        self.items.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[derive(Default)]
pub(crate) struct Tables {
    tables: BTreeMap<String, Table>,
    /// For ARNs.
    pub(crate) region: String,
    /// The transactions' recent `ClientRequestToken`s.
    pub(crate) transaction_tokens: Tokens,
    /// The memory the requests' trees take while they are parsed.
    pub(crate) parse_budget: ParseBudget,
}

impl Tables {
    pub(crate) fn new(schemas: &[stack::Table], region: &str) -> Self {
        let created_at = chrono::Utc::now().timestamp_millis() as f64 / 1000.0;
        let tables = schemas
            .iter()
            .map(|schema| {
                let table = Table {
                    schema: schema.clone(),
                    created_at,
                    items: Mutex::default(),
                };
                (table.schema.name.clone(), table)
            })
            .collect();
        Self {
            tables,
            region: region.to_owned(),
            transaction_tokens: Tokens::default(),
            parse_budget: ParseBudget::default(),
        }
    }

    pub(crate) fn get(&self, name: &str) -> Result<&Table, DynamoError> {
        self.tables
            .get(name)
            .ok_or_else(|| DynamoError::table_not_found(name))
    }

    /// The table names, sorted (as `ListTables` gives them).
    pub(crate) fn names(&self) -> impl Iterator<Item = &String> {
        self.tables.keys()
    }

    /// Each table's first `max_items` items (in key order) and how many it
    /// holds: what a page shows, read without copying the rest (each table's
    /// lock is held for that many items only).
    pub(crate) fn first_items(&self, max_items: usize) -> Vec<(TableDump, usize)> {
        self.tables
            .iter()
            .map(|(name, table)| {
                let items = table.items();
                let first = items
                    .values()
                    .take(max_items)
                    .map(|item| Value::Object(item.clone()))
                    .collect();
                let dump = TableDump {
                    name: name.clone(),
                    items: first,
                };
                (dump, items.len())
            })
            .collect()
    }

    pub(crate) fn dump(&self) -> Vec<TableDump> {
        self.tables
            .iter()
            .map(|(name, table)| TableDump {
                name: name.clone(),
                items: table
                    .items()
                    .values()
                    .map(|item| Value::Object(item.clone()))
                    .collect(),
            })
            .collect()
    }
}
