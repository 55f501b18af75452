//! What a local scenario may read and arrange inside the emulator: table contents, a stale id, a throttled management API. Faults a
//! deployed stack shows only by chance, made to happen on purpose.

use std::sync::Arc;

use serde_json::{Value, json};
use tokio::sync::watch;

use super::Shared;
use super::dynamodb::{self, DynamoError, TableDump};

/// A handle on the emulator's insides; it holds the emulator's state, so it
/// outlives a borrow of the emulator.
#[derive(Clone)]
pub struct LocalHooks {
    shared: Arc<Shared>,
}

impl LocalHooks {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        Self { shared }
    }

    /// Every local table and its items (DynamoDB JSON), sorted by name and
    /// key; empty with an external DynamoDB endpoint.
    pub fn dump(&self) -> Vec<TableDump> {
        self.shared.dynamodb.dump()
    }

    /// Stores `item` (DynamoDB JSON) in `table` as a PutItem would, with its
    /// checks and its write event.
    pub fn put(&self, table: &str, item: Value) -> Result<(), DynamoError> {
        let body = json!({ "TableName": table, "Item": item });
        dynamodb::run(
            &self.shared.dynamodb,
            &self.shared.events,
            None,
            "PutItem",
            body,
        )
        .map(drop)
    }

    /// While on, every PostToConnection answers 429 LimitExceededException.
    pub fn throttle_posts(&self, on: bool) {
        self.shared.connections.set_throttled(on);
    }

    /// How many frames are queued but not yet written and messages not yet
    /// routed to their end (while any, a frame may still reach a client); the
    /// receiver wakes on each change.
    pub fn in_flight(&self) -> watch::Receiver<usize> {
        self.shared.connections.in_flight()
    }
}
