//! What only a local run can observe and arrange: which Lambda ran, the
//! tables' contents, a stale id, a throttled management API.

use std::time::Duration;

use super::{FRAME_WAIT, IDLE_PROOF, POLL, Session, redact};
use crate::emulator::events::Event;

/// Transcript lines only a local run can observe: invocations and table contents.
const INVOCATION: &str = "lambda: ";
const TABLE: &str = "table: ";
const FAULT: &str = "fault: ";

/// Whether only a local run can observe this transcript line.
pub fn is_local_only(line: &str) -> bool {
    [INVOCATION, TABLE, FAULT]
        .iter()
        .any(|prefix| line.starts_with(prefix))
}

/// Steps whose title starts with this run only locally: they arrange faults
/// a deployed stack cannot be asked for.
pub const LOCAL_STEP: &str = "(local) ";

/// What a local run can see and arrange in the emulator.
pub trait Local: Send + Sync {
    /// Each table's name and items (DynamoDB JSON).
    fn dump(&self) -> Vec<(String, Vec<serde_json::Value>)>;
    /// Stores `item` in `table`, as a Lambda's PutItem would.
    fn put(&self, table: &str, item: serde_json::Value) -> Result<(), String>;
    /// While on, PostToConnection answers 429 LimitExceededException.
    fn throttle_posts(&self, on: bool);
    /// Frames queued but not yet written and messages still being routed.
    fn in_flight(&self) -> usize;
}

impl Session {
    /// Gives a local run access to the emulator's insides.
    pub fn with_local(mut self, local: std::sync::Arc<dyn Local>) -> Self {
        self.local = Some(local);
        self
    }

    /// Whether this run can arrange faults (`(local)` steps run only then).
    pub fn is_local(&self) -> bool {
        self.local.is_some()
    }

    /// Turns the throttled management API on or off (local runs only).
    pub fn throttle_posts(&mut self, on: bool) {
        if let Some(local) = &self.local {
            local.throttle_posts(on);
            let state = if on {
                "answers 429 LimitExceededException"
            } else {
                "answers normally again"
            };
            self.record(format!("{FAULT}@connections {state}"));
        }
    }

    /// Waits until `$disconnect` has run for client `name` and records it
    /// (local runs only), so table contents read afterwards include its work.
    pub async fn record_disconnect(&mut self, name: &str) {
        if self.events.is_none() {
            return;
        }
        let Some(id) = self
            .names
            .iter()
            .find(|(_, known)| known.as_str() == name)
            .map(|(id, _)| id.clone())
        else {
            return;
        };
        let deadline = tokio::time::Instant::now() + FRAME_WAIT;
        let mut closed_since: Option<tokio::time::Instant> = None;
        loop {
            self.drain_events();
            let started = self.seen.iter().find_map(|event| match event {
                Event::InvocationStarted {
                    function,
                    route_key,
                    connection_id,
                    request_id,
                } if route_key == "$disconnect" && *connection_id == id => {
                    Some((function.clone(), request_id.clone()))
                }
                _ => None,
            });
            if let Some((function, request)) = &started {
                let finished = self.seen.iter().any(|event| {
                    matches!(event, Event::InvocationFinished { request_id, .. } if request_id == request)
                });
                if finished {
                    self.record(format!(
                        "{INVOCATION}$disconnect -> {function} for <{name}>"
                    ));
                    return;
                }
            }
            // The emulator starts `$disconnect` right after it reports the
            // close: if none started by then, the API has no such route.
            let closed = self.seen.iter().any(|event| {
                matches!(event, Event::Disconnected { connection_id, .. } if *connection_id == id)
            });
            let now = tokio::time::Instant::now();
            if started.is_none()
                && closed
                && now.duration_since(*closed_since.get_or_insert(now)) >= IDLE_PROOF
                || now >= deadline
            {
                self.record(format!("{INVOCATION}no $disconnect ran for <{name}>"));
                return;
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Waits until every invocation started so far has finished, so what
    /// they write is in the tables (local runs only).
    async fn settle(&mut self) {
        let deadline = tokio::time::Instant::now() + FRAME_WAIT;
        while self.running_invocations() > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(POLL).await;
        }
    }

    /// How long the emulator has been idle: no event, no frame sent, nothing
    /// running. Kept across waits, so quiet clients checked one after the
    /// other share one proof.
    pub(super) fn idle_for(&mut self) -> Duration {
        let busy = self.emulator_busy();
        let now = tokio::time::Instant::now();
        let marks = (self.seen.len(), self.frames_sent);
        match self.idle_since {
            Some((since, then)) if !busy && then == marks => now.duration_since(since),
            _ => {
                self.idle_since = (!busy).then_some((now, marks));
                Duration::ZERO
            }
        }
    }

    /// Whether a frame may still come: a sent frame has not reached the
    /// emulator yet, an invocation is running, or the emulator has a message
    /// or a frame in hand (it may be slow to get to it on a loaded machine).
    pub(super) fn emulator_busy(&mut self) -> bool {
        let running = self.running_invocations();
        let received = self
            .seen
            .iter()
            .filter(|event| matches!(event, Event::FrameIn { .. }))
            .count();
        let in_flight = self.local.as_ref().map_or(0, |local| local.in_flight());
        running > 0 || received < self.frames_sent || in_flight > 0
    }

    /// Invocations started but not finished, as far as the events tell.
    pub(super) fn running_invocations(&mut self) -> usize {
        self.drain_events();
        let mut running = std::collections::BTreeSet::new();
        for event in &self.seen {
            match event {
                Event::InvocationStarted { request_id, .. } => {
                    running.insert(request_id.as_str());
                }
                Event::InvocationFinished { request_id, .. } => {
                    running.remove(request_id.as_str());
                }
                _ => {}
            }
        }
        running.len()
    }

    /// Records which routes ran so far (local runs only), e.g. `lambda: $connect -> onConnect for alice`.
    pub async fn record_invocations(&mut self, route_key: &str) {
        // Invocations are reported before the frames they cause; a short
        // settle lets `$disconnect`, which runs after a close, arrive too.
        tokio::time::sleep(Duration::from_millis(50)).await;
        self.drain_events();
        let fresh = &self.seen[self.invocations_recorded..];
        self.invocations_recorded = self.seen.len();
        let lines: Vec<String> = fresh
            .iter()
            .filter_map(|event| match event {
                Event::InvocationStarted {
                    function,
                    route_key: key,
                    connection_id,
                    ..
                } if key == route_key => Some(format!(
                    "{INVOCATION}{key} -> {function} for {connection_id}"
                )),
                _ => None,
            })
            .collect();
        if self.events.is_some() {
            for line in lines {
                self.record(line);
            }
        }
    }

    /// Records the connection ids the table whose name ends in `suffix` holds
    /// (local runs only): `table: …-connections holds <alice>, <bob>`.
    pub async fn record_table(&mut self, suffix: &str) {
        if self.local.is_none() {
            return;
        }
        self.settle().await;
        let Some(local) = &self.local else {
            return;
        };
        let dump = local.dump();
        let Some((name, items)) = dump.iter().find(|(name, _)| name.ends_with(suffix)) else {
            self.record(format!("{TABLE}no table ends in {suffix}"));
            return;
        };
        let mut ids: Vec<String> = items
            .iter()
            .map(|item| {
                let id = item["ConnectionId"]["S"].as_str().unwrap_or("?");
                redact::redact(id, &self.names)
            })
            .collect();
        ids.sort();
        let line = format!("{TABLE}{name} holds {}", ids.join(", "));
        self.record(line);
    }

    /// Stores the id of a connection that no longer exists in the table whose
    /// name ends in `suffix`, as a client that vanished unnoticed leaves
    /// behind (local runs only). It is named `name` in the transcript.
    pub fn plant_stale_connection(&mut self, suffix: &str, name: &str) {
        let Some(tables) = self.local.clone() else {
            return;
        };
        let table = tables
            .dump()
            .into_iter()
            .map(|(name, _)| name)
            .find(|table| table.ends_with(suffix));
        let Some(table) = table else {
            self.record(format!("{TABLE}no table ends in {suffix}"));
            return;
        };
        let id = crate::emulator::new_connection_id();
        self.names.insert(id.clone(), name.to_owned());
        let item = serde_json::json!({ "ConnectionId": { "S": id } });
        match tables.put(&table, item) {
            Ok(()) => self.record(format!("{TABLE}{table} gets the stale id <{name}>")),
            Err(error) => self.record(format!("{TABLE}cannot store a stale id: {error}")),
        }
    }

    /// After a handshake: the newest `Connected` event is this client's.
    pub(super) async fn learn_connection(&mut self, name: &str) {
        if self.events.is_none() {
            return;
        }
        // The emulator reports the connection right after the 101 is written.
        for _ in 0..100 {
            self.drain_events();
            let newest = self.seen.iter().rev().find_map(|event| match event {
                Event::Connected { connection_id } if !self.names.contains_key(connection_id) => {
                    Some(connection_id.clone())
                }
                _ => None,
            });
            if let Some(id) = newest {
                self.names.insert(id, name.to_owned());
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}
