//! What a local scenario may read and arrange inside the emulator: table
//! contents, a stale id, a throttled management API. Faults a deployed stack
//! shows only by chance, made to happen on purpose.

use std::sync::Arc;

use serde_json::Value;

use super::{LocalTables, Shared};

#[derive(Clone)]
pub struct LocalHooks {
    shared: Arc<Shared>,
}

impl LocalHooks {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        Self { shared }
    }

    pub fn tables(&self) -> LocalTables {
        LocalTables::new(self.shared.clone())
    }

    /// While on, every PostToConnection answers 429 LimitExceededException.
    pub fn throttle_posts(&self, on: bool) {
        self.shared.connections.set_throttled(on);
    }

    /// Frames queued but not yet written and messages not yet routed to their
    /// end: while any, a frame may still reach a client.
    pub fn in_flight(&self) -> usize {
        self.shared.connections.in_flight()
    }

    /// Every table and its items (DynamoDB JSON).
    pub fn dump(&self) -> Vec<(String, Vec<Value>)> {
        self.tables()
            .dump()
            .into_iter()
            .map(|table| (table.name, table.items))
            .collect()
    }
}
