//! What only a local run can observe and arrange: which Lambda ran, the
//! tables' contents, a stale id, a throttled management API. Every wait here
//! is on the emulator's events (or its count of frames in flight), with a
//! deadline that, when reached, is written down as what did not happen.

use tokio::sync::watch;
use tokio::time::Instant;

use super::client::{Client, Observed};
use super::{FRAME_WAIT, IDLE_PROOF, Mode, Session, redact};
use crate::emulator::events::{Event, Subscription};
use crate::emulator::{Probe, TableDump};

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

/// A local run's view of the emulator.
pub(super) struct LocalRun {
    hooks: Probe,
    events: Subscription,
    in_flight: watch::Receiver<usize>,
    /// Everything the emulator reported, kept for the failure report.
    seen: Vec<Event>,
    /// How much of `seen` `record_invocations` has already written down.
    invocations_recorded: usize,
    /// How much of `seen` `record_work_after_return` has already looked at.
    after_returns_recorded: usize,
    /// Frames the clients sent, to tell whether the emulator has them all.
    frames_sent: usize,
    /// Since when the emulator has been idle, and the activity marks (events
    /// seen, frames sent) it had then: any change means it was not.
    idle_since: Option<(Instant, (usize, usize))>,
    /// Set when the scenario stops; later events are not part of the run.
    ended: bool,
    /// Each table and its items when the scenario stopped.
    final_tables: Vec<TableDump>,
}

impl LocalRun {
    pub(super) fn new(events: Subscription, hooks: Probe) -> Self {
        Self {
            in_flight: hooks.in_flight(),
            hooks,
            events,
            seen: Vec::new(),
            invocations_recorded: 0,
            after_returns_recorded: 0,
            frames_sent: 0,
            idle_since: None,
            ended: false,
            final_tables: Vec::new(),
        }
    }

    pub(super) fn frame_sent(&mut self) {
        self.frames_sent += 1;
    }

    /// Takes down what the emulator reported and the tables, as they are now.
    pub(super) fn end(&mut self) {
        self.drain();
        self.final_tables = self.hooks.dump();
        self.ended = true;
    }

    pub(super) fn into_parts(self) -> (Vec<Event>, Vec<TableDump>) {
        (self.seen, self.final_tables)
    }

    fn drain(&mut self) {
        if self.ended {
            return;
        }
        while let Some(event) = self.events.try_recv() {
            self.seen.push(event);
        }
    }

    /// Waits until the emulator reports something or its frames in flight
    /// change; false once `until` has come.
    async fn next_change(&mut self, until: Instant) -> bool {
        self.drain();
        if self.ended {
            tokio::time::sleep_until(until).await;
            return false;
        }
        tokio::select! {
            event = self.events.recv() => {
                self.seen.extend(event);
                true
            }
            changed = self.in_flight.changed() => changed.is_ok(),
            () = tokio::time::sleep_until(until) => false,
        }
    }

    /// Waits until `done` holds, re-checking at each change and when an idle
    /// proof under way completes; false when `FRAME_WAIT` passed first.
    async fn wait_until(&mut self, mut done: impl FnMut(&mut Self) -> bool) -> bool {
        let deadline = Instant::now() + FRAME_WAIT;
        loop {
            self.drain();
            if done(self) {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            let now = Instant::now();
            let wake = match self.idle_since {
                Some((since, _)) if since + IDLE_PROOF > now => deadline.min(since + IDLE_PROOF),
                _ => deadline,
            };
            self.next_change(wake).await;
        }
    }

    /// The first frame `client` receives, or Nothing once the emulator has
    /// been idle for `IDLE_PROOF` (or `FRAME_WAIT` passed).
    pub(super) async fn listen(&mut self, client: &mut Client) -> Observed {
        let deadline = Instant::now() + FRAME_WAIT;
        loop {
            let idle = self.idle_for();
            if idle >= IDLE_PROOF || Instant::now() >= deadline {
                // A frame written before the emulator went idle is read by now.
                return client.receive(std::time::Duration::ZERO).await;
            }
            // Idle: wake when the proof is complete; busy: when anything changes.
            let wake = if self.idle_since.is_some() {
                deadline.min(Instant::now() + (IDLE_PROOF - idle))
            } else {
                deadline
            };
            tokio::select! {
                biased;
                observed = client.receive_until(wake) => {
                    if observed != Observed::Nothing {
                        return observed;
                    }
                }
                _ = self.next_change(wake) => {}
            }
        }
    }

    /// How long the emulator has been idle: no event, no frame sent, nothing
    /// running. Kept across waits, so quiet clients checked one after the
    /// other share one proof.
    fn idle_for(&mut self) -> std::time::Duration {
        self.drain();
        let busy = self.busy();
        let now = Instant::now();
        let marks = (self.seen.len(), self.frames_sent);
        match self.idle_since {
            Some((since, then)) if !busy && then == marks => now.duration_since(since),
            _ => {
                self.idle_since = (!busy).then_some((now, marks));
                std::time::Duration::ZERO
            }
        }
    }

    /// Whether a frame may still come: a sent frame has not reached the
    /// emulator yet, an invocation is running, or the emulator has a message
    /// or a frame in hand (it may be slow to get to it on a loaded machine).
    fn busy(&self) -> bool {
        let received = self
            .seen
            .iter()
            .filter(|event| matches!(event, Event::FrameIn { .. }))
            .count();
        self.running_invocations() > 0
            || received < self.frames_sent
            || *self.in_flight.borrow() > 0
    }

    /// Invocations started but not finished, as far as the events tell.
    fn running_invocations(&self) -> usize {
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

    /// The `$disconnect` invocation for connection `id`, if one started: its
    /// function, and whether it finished.
    fn disconnect_of(&self, id: &str) -> Option<(String, bool)> {
        let (function, request) = self.seen.iter().find_map(|event| match event {
            Event::InvocationStarted {
                function,
                route_key,
                connection_id,
                request_id,
                ..
            } if route_key == "$disconnect" && connection_id == id => {
                Some((function.clone(), request_id.clone()))
            }
            _ => None,
        })?;
        let finished = self.seen.iter().any(|event| {
            matches!(event, Event::InvocationFinished { request_id, .. } if *request_id == request)
        });
        Some((function, finished))
    }

    fn closed(&self, id: &str) -> bool {
        self.seen.iter().any(
            |event| matches!(event, Event::Disconnected { connection_id, .. } if connection_id == id),
        )
    }

    /// The newest `Connected` connection not in `known`.
    fn newest_connection(
        &self,
        known: &std::collections::BTreeMap<String, String>,
    ) -> Option<String> {
        self.seen.iter().rev().find_map(|event| match event {
            Event::Connected { connection_id, .. } if !known.contains_key(connection_id) => {
                Some(connection_id.clone())
            }
            _ => None,
        })
    }
}

impl Session {
    /// Whether this run can arrange faults (`(local)` steps run only then).
    pub fn is_local(&self) -> bool {
        matches!(self.mode, Mode::Local(_))
    }

    /// Turns the throttled management API on or off (local runs only).
    pub fn throttle_posts(&mut self, on: bool) {
        if let Mode::Local(run) = &self.mode {
            run.hooks.throttle_posts(on);
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
        let Mode::Local(run) = &mut self.mode else {
            return;
        };
        let Some(id) = self
            .names
            .iter()
            .find(|(_, known)| known.as_str() == name)
            .map(|(id, _)| id.clone())
        else {
            return;
        };
        // The emulator starts `$disconnect` right after it reports the close:
        // if none started once it has been idle since, the API has no such route.
        run.wait_until(|run| match run.disconnect_of(&id) {
            Some((_, finished)) => finished,
            None => run.closed(&id) && run.idle_for() >= IDLE_PROOF,
        })
        .await;
        let line = match (run.disconnect_of(&id), run.closed(&id)) {
            (Some((function, true)), _) => format!("$disconnect -> {function} for <{name}>"),
            (Some((function, false)), _) => format!(
                "$disconnect -> {function} for <{name}> still running after {} s",
                FRAME_WAIT.as_secs()
            ),
            (None, true) => format!("no $disconnect ran for <{name}>"),
            (None, false) => format!(
                "the emulator reported no close of <{name}> within {} s",
                FRAME_WAIT.as_secs()
            ),
        };
        self.record(format!("{INVOCATION}{line}"));
    }

    /// Records the connection ids the table whose name ends in `suffix` holds
    /// (local runs only): `table: …-connections holds <alice>, <bob>`. Waits
    /// for the invocations started so far to finish, so their writes are in.
    pub async fn record_table(&mut self, suffix: &str) {
        let Mode::Local(run) = &mut self.mode else {
            return;
        };
        if !run.wait_until(|run| run.running_invocations() == 0).await {
            let running = run.running_invocations();
            self.record(format!(
                "{INVOCATION}{running} invocation(s) still running after {} s",
                FRAME_WAIT.as_secs()
            ));
        }
        let Mode::Local(run) = &self.mode else {
            return;
        };
        let dump = run.hooks.dump();
        let Some(table) = dump.iter().find(|table| table.name.ends_with(suffix)) else {
            self.record(format!("{TABLE}no table ends in {suffix}"));
            return;
        };
        let mut ids: Vec<String> = table
            .items
            .iter()
            .map(|item| {
                let id = item["ConnectionId"]["S"].as_str().unwrap_or("?");
                redact::redact(id, &self.names)
            })
            .collect();
        ids.sort();
        let line = format!("{TABLE}{} holds {}", table.name, ids.join(", "));
        self.record(line);
    }

    /// Stores the id of a connection that no longer exists in the table whose
    /// name ends in `suffix`, as a client that vanished unnoticed leaves
    /// behind (local runs only). It is named `name` in the transcript.
    pub fn plant_stale_connection(&mut self, suffix: &str, name: &str) {
        let Mode::Local(run) = &self.mode else {
            return;
        };
        let table = run
            .hooks
            .dump()
            .into_iter()
            .map(|table| table.name)
            .find(|table| table.ends_with(suffix));
        let Some(table) = table else {
            self.record(format!("{TABLE}no table ends in {suffix}"));
            return;
        };
        let id = crate::emulator::new_connection_id();
        let item = serde_json::json!({ "ConnectionId": { "S": id } });
        let stored = run.hooks.put(&table, item);
        self.names.insert(id, name.to_owned());
        match stored {
            Ok(()) => self.record(format!("{TABLE}{table} gets the stale id <{name}>")),
            Err(error) => self.record(format!("{TABLE}cannot store a stale id: {error}")),
        }
    }

    /// Records which routes ran so far (local runs only), e.g.
    /// `lambda: $connect -> onConnect for alice`. `$connect` runs before the
    /// handshake is answered, so it is reported by the time a client connected.
    pub fn record_invocations(&mut self, route_key: &str) {
        let Mode::Local(run) = &mut self.mode else {
            return;
        };
        run.drain();
        let fresh = &run.seen[run.invocations_recorded..];
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
        run.invocations_recorded = run.seen.len();
        for line in lines {
            self.record(line);
        }
    }

    /// Writes down, in the current step, every call a Lambda made after its
    /// handler had returned (local runs only): on AWS such work runs late or
    /// never, so a transcript with it does not match, whatever else it shows.
    pub(super) fn record_work_after_return(&mut self) {
        let Mode::Local(run) = &mut self.mode else {
            return;
        };
        if run.ended {
            return;
        }
        run.drain();
        let lines: Vec<String> = run.seen[run.after_returns_recorded..]
            .iter()
            .filter_map(|event| match event {
                Event::AfterReturn { function, call, .. } => Some(format!(
                    "{INVOCATION}{function} did work after its handler returned: {call}"
                )),
                _ => None,
            })
            .collect();
        run.after_returns_recorded = run.seen.len();
        for line in lines {
            self.record(line);
        }
    }

    /// After a refused handshake: the emulator reported the refusal before it
    /// answered, so the newest `ConnectRejected` is this client's, and its
    /// Lambdas' output can name it.
    pub(super) fn learn_rejected_connection(&mut self, name: &str) {
        let Mode::Local(run) = &mut self.mode else {
            return;
        };
        run.drain();
        let names = &self.names;
        let rejected = run.seen.iter().rev().find_map(|event| match event {
            Event::ConnectRejected { connection_id, .. } if !names.contains_key(connection_id) => {
                Some(connection_id.clone())
            }
            _ => None,
        });
        if let Some(id) = rejected {
            self.names.insert(id, name.to_owned());
        }
    }

    /// After a handshake: the newest `Connected` event is this client's.
    pub(super) async fn learn_connection(&mut self, name: &str) {
        let Mode::Local(run) = &mut self.mode else {
            return;
        };
        // The emulator reports the connection just after the 101 is written.
        let names = &self.names;
        let mut found = None;
        run.wait_until(|run| {
            found = run.newest_connection(names);
            found.is_some()
        })
        .await;
        match found {
            Some(id) => {
                self.names.insert(id, name.to_owned());
            }
            None => self.record(format!(
                "{INVOCATION}the emulator reported no connection for {name} within {} s",
                FRAME_WAIT.as_secs()
            )),
        }
    }
}
