//! A probe into a running emulator, for a local scenario: it reads what the
//! emulator holds (table contents, work in flight, what frozen Lambdas had
//! left to do) and arranges what a deployed stack shows only by chance (a
//! stale id in a table, a throttled management API), on purpose.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::watch;
use tokio::time::Instant;

use super::dynamodb::tables::TableDump;
use super::dynamodb::{self, DynamoError, Tables};
use super::events::Event;
use super::gateway::WebSocketApi;
use super::services::Services;

/// How long the emulator must hear nothing from thawed processes before what
/// they had left to do counts as done: long enough for a dev-profile Lambda's
/// first TLS handshake, which the work may start with.
const LEFTOVER_QUIET: Duration = Duration::from_secs(1);
/// The longest that leftover work is waited for.
const LEFTOVER_LIMIT: Duration = Duration::from_secs(5);

/// A handle on the emulator's insides; it holds the emulator's state, so it
/// outlives a borrow of the emulator.
#[derive(Clone)]
pub struct Probe {
    api: Arc<WebSocketApi>,
    services: Arc<Services>,
    tables: Arc<Tables>,
}

impl Probe {
    pub(crate) fn new(
        api: Arc<WebSocketApi>,
        services: Arc<Services>,
        tables: Arc<Tables>,
    ) -> Self {
        Self {
            api,
            services,
            tables,
        }
    }

    /// Every local table and its items (DynamoDB JSON), sorted by name and
    /// key; empty with an external DynamoDB endpoint.
    pub fn dump(&self) -> Vec<TableDump> {
        self.tables.dump()
    }

    /// Stores `item` (DynamoDB JSON) in `table` as a PutItem would, with its
    /// checks and its write event.
    pub fn put(&self, table: &str, item: Value) -> Result<(), DynamoError> {
        let body = json!({ "TableName": table, "Item": item });
        dynamodb::run(&self.tables, &self.services.events, None, "PutItem", body).map(drop)
    }

    /// While on, every PostToConnection answers 429 LimitExceededException.
    pub fn throttle_posts(&self, on: bool) {
        self.api.connections.set_throttled(on);
    }

    /// Thaws for good every Lambda process that was frozen after answering an
    /// invocation, and returns what it then does that shows (an
    /// [`Event::AfterReturn`] per call): the work its handler left running,
    /// which on AWS runs late or never. Waits until the emulator has heard
    /// nothing for a second (and at most five).
    pub async fn release_frozen(&self) -> Vec<Event> {
        let mut events = self.services.events.subscribe();
        let frozen: Vec<_> = self
            .services
            .callers
            .sandboxes()
            .into_iter()
            .filter(|sandbox| sandbox.is_frozen() && sandbox.after_return())
            .collect();
        if frozen.is_empty() {
            return Vec::new();
        }
        for sandbox in &frozen {
            sandbox.release();
        }
        let limit = Instant::now() + LEFTOVER_LIMIT;
        let mut leftover = Vec::new();
        loop {
            let quiet_until = (Instant::now() + LEFTOVER_QUIET).min(limit);
            match tokio::time::timeout_at(quiet_until, events.recv()).await {
                Ok(Some(event @ Event::AfterReturn { .. })) => leftover.push(event),
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => return leftover,
            }
        }
    }

    /// How many frames are queued but not yet written and messages not yet
    /// routed to their end (while any, a frame may still reach a client); the
    /// receiver wakes on each change.
    pub fn in_flight(&self) -> watch::Receiver<usize> {
        self.api.connections.in_flight()
    }
}
