//! Scenarios: real WebSocket clients drive a stack and write down what they
//! observe as a transcript, which the checker compares with a snapshot.
//!
//! Only what defines correctness is written down: frames each client
//! receives (ids redacted), handshake outcomes, and, locally, which route ran
//! for whom. A transcript is compared step by step as it grows, so a failing
//! scenario stops at its first wrong step instead of waiting out the rest.

mod client;
mod local;
mod redact;
mod snapshot;

use std::collections::BTreeMap;
use std::time::Duration;

use tokio::sync::mpsc::UnboundedReceiver;

use crate::emulator::events::Event;
pub use client::Client;
pub use local::{LOCAL_STEP, Local, is_local_only};
pub use snapshot::{parse, render};

/// How long a client waits for a frame it expects: longer than the
/// exercises' 6 s Lambda timeout, so a hanging Lambda shows as its error frame.
pub const FRAME_WAIT: Duration = Duration::from_secs(10);
/// How often a local wait looks at the emulator's events.
const POLL: Duration = Duration::from_millis(25);
/// Locally, how long the emulator must be idle (every sent frame received, no
/// invocation running, no message or frame in its hands) to prove no frame is
/// coming: frames come only from invocations and from the gateway's handling
/// of a message, all of which it reports.
const IDLE_PROOF: Duration = Duration::from_millis(200);
/// Against a deployed stack, how long a client listens to be sure nothing
/// (more) arrives; nothing reports what the stack is doing there.
pub const QUIET_WAIT: Duration = Duration::from_millis(400);
/// One step of a transcript: a title and what was observed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub title: String,
    pub lines: Vec<String>,
}

/// Why a scenario stopped before its end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diverged;

pub struct Session {
    url: String,
    events: Option<UnboundedReceiver<Event>>,
    expected: Option<Vec<Step>>,
    steps: Vec<Step>,
    /// Connection id -> client name, learned from the emulator's events or from frames.
    names: BTreeMap<String, String>,
    /// Everything the emulator reported, kept for the failure report.
    seen: Vec<Event>,
    /// How much of `seen` `record_invocations` has already written down.
    invocations_recorded: usize,
    /// Frames the clients sent, to tell locally whether the emulator has them all.
    frames_sent: usize,
    /// Locally, since when the emulator has been idle, and the activity marks
    /// (events seen, frames sent) it had then: any change means it was not.
    idle_since: Option<(tokio::time::Instant, (usize, usize))>,
    /// Set when the scenario stops (at its end or its first wrong step): what
    /// the emulator reports afterwards, such as the `$disconnect`s of the
    /// clients the scenario drops, is not part of the run.
    ended: bool,
    /// Locally, each table's name and items when the scenario stopped.
    final_tables: Vec<(String, Vec<serde_json::Value>)>,
    local: Option<std::sync::Arc<dyn Local>>,
}

impl Session {
    /// `events` is the emulator's event stream for a local run (None against
    /// a deployed stack); `expected` is the snapshot to stop early against.
    pub fn new(
        url: String,
        events: Option<UnboundedReceiver<Event>>,
        expected: Option<Vec<Step>>,
    ) -> Self {
        Self {
            url,
            events,
            expected,
            steps: Vec::new(),
            names: BTreeMap::new(),
            seen: Vec::new(),
            invocations_recorded: 0,
            frames_sent: 0,
            idle_since: None,
            ended: false,
            final_tables: Vec::new(),
            local: None,
        }
    }

    /// Starts a new step; the previous one is compared with the snapshot first.
    pub fn step(&mut self, title: &str) -> Result<(), Diverged> {
        self.checkpoint()?;
        self.steps.push(Step {
            title: title.to_owned(),
            lines: Vec::new(),
        });
        Ok(())
    }

    /// Ends the scenario: the last step must match and none may be missing.
    pub fn finish(&mut self) -> Result<(), Diverged> {
        self.checkpoint()?;
        self.end();
        match &self.expected {
            Some(expected) if expected.len() != self.steps.len() => Err(Diverged),
            _ => Ok(()),
        }
    }

    /// The transcript, the emulator's events, and each connection id's client name.
    pub fn into_parts(self) -> (Vec<Step>, Vec<Event>, BTreeMap<String, String>) {
        (self.steps, self.seen, self.names)
    }

    fn checkpoint(&mut self) -> Result<(), Diverged> {
        let (Some(expected), Some(last)) = (&self.expected, self.steps.last()) else {
            return Ok(());
        };
        let index = self.steps.len() - 1;
        match expected.get(index) {
            Some(step) if step == last => Ok(()),
            _ => {
                self.end();
                Err(Diverged)
            }
        }
    }

    /// Takes down what the emulator reported and, locally, the tables, as
    /// they are when the scenario stops; later calls change nothing.
    pub fn end(&mut self) {
        if self.ended {
            return;
        }
        self.drain_events();
        if let Some(local) = &self.local {
            self.final_tables = local.dump();
        }
        self.ended = true;
    }

    /// Locally, each table's name and items when the scenario stopped.
    pub fn take_final_tables(&mut self) -> Vec<(String, Vec<serde_json::Value>)> {
        std::mem::take(&mut self.final_tables)
    }

    fn record(&mut self, line: String) {
        let line = redact::redact(&line, &self.names);
        if let Some(step) = self.steps.last_mut() {
            step.lines.push(line);
        }
    }

    /// Opens a connection for `name` and records whether the handshake succeeded.
    pub async fn connect(&mut self, name: &str) -> Option<Client> {
        let result = Client::connect(&self.url, name).await;
        match result {
            Ok(client) => {
                self.record(format!("{name} connects: accepted"));
                self.learn_connection(name).await;
                Some(client)
            }
            Err(refusal) => {
                self.record(format!("{name} connects: {refusal}"));
                self.drain_events();
                None
            }
        }
    }

    /// Connects each of `names` in turn; None as soon as one is refused.
    pub async fn connect_all(&mut self, names: &[&str]) -> Option<Vec<Client>> {
        let mut clients = Vec::with_capacity(names.len());
        for name in names {
            clients.push(self.connect(name).await?);
        }
        Some(clients)
    }

    pub async fn send(&mut self, client: &mut Client, text: &str) {
        match client.send(text).await {
            Ok(()) => {
                self.frames_sent += 1;
                self.record(format!("{} sends: {text}", client.name()));
            }
            Err(error) => self.record(format!("{} cannot send: {error}", client.name())),
        }
    }

    /// Records the next frame `client` receives, or that none came.
    pub async fn receive(&mut self, client: &mut Client) {
        let observed = self.next_frame(client).await;
        self.learn_from_frame(client.name(), &observed);
        let name = client.name().to_owned();
        self.record(format!("{name} {observed}"));
    }

    /// Like `receive`, but a JSON frame is written down with sorted keys and
    /// no spaces, so any correct serialization reads the same.
    pub async fn receive_json(&mut self, client: &mut Client) {
        let observed = match self.next_frame(client).await {
            client::Observed::Text(text) => client::Observed::Text(canonical_json(&text)),
            other => other,
        };
        let name = client.name().to_owned();
        self.record(format!("{name} {observed}"));
    }

    /// The next frame for `client` within `FRAME_WAIT`.
    async fn next_frame(&mut self, client: &mut Client) -> client::Observed {
        self.listen(client, FRAME_WAIT).await
    }

    /// Records that nothing arrives for `client` (or what did).
    pub async fn expect_quiet(&mut self, client: &mut Client) {
        let observed = self.listen(client, QUIET_WAIT).await;
        let name = client.name().to_owned();
        self.record(format!("{name} {observed}"));
    }

    /// The first frame `client` receives, or Nothing: against a deployed stack
    /// after `remote_wait`; locally as soon as the emulator has been idle for
    /// `IDLE_PROOF`, however long a Lambda runs before that (up to `FRAME_WAIT`).
    async fn listen(&mut self, client: &mut Client, remote_wait: Duration) -> client::Observed {
        if self.events.is_none() {
            return client.receive(remote_wait).await;
        }
        let deadline = tokio::time::Instant::now() + FRAME_WAIT;
        loop {
            let observed = client.receive(POLL).await;
            if observed != client::Observed::Nothing
                || self.idle_for() >= IDLE_PROOF
                || tokio::time::Instant::now() >= deadline
            {
                return observed;
            }
        }
    }

    /// How the scenarios with a crowd end: nothing more arrives for anyone,
    /// then everyone closes.
    pub async fn end_quietly(&mut self, mut clients: Vec<Client>) -> Result<(), Diverged> {
        self.step("nothing else arrives")?;
        for client in &mut clients {
            self.expect_quiet(client).await;
        }
        self.step("everyone closes")?;
        for client in clients {
            self.close(client).await;
        }
        self.finish()
    }

    pub async fn close(&mut self, mut client: Client) {
        client.close().await;
        self.record(format!("{} closes", client.name()));
    }

    /// Drops the client's TCP connection without a close frame, as a client
    /// that loses its network does.
    pub async fn vanish(&mut self, client: Client) {
        let name = client.name().to_owned();
        drop(client);
        self.record(format!("{name} vanishes without a close frame"));
    }

    /// Against a deployed stack, ids are learned from error frames that carry them.
    fn learn_from_frame(&mut self, name: &str, observed: &client::Observed) {
        if let client::Observed::Text(text) = observed
            && let Some(id) = redact::connection_id_in(text)
            && !self.names.contains_key(&id)
        {
            self.names.insert(id, name.to_owned());
        }
    }

    fn drain_events(&mut self) {
        if self.ended {
            return;
        }
        if let Some(events) = &mut self.events {
            while let Ok(event) = events.try_recv() {
                self.seen.push(event);
            }
        }
    }
}

/// A Lambda's output line with connection ids named and thread ids dropped.
pub fn redact_log(line: &str, names: &BTreeMap<String, String>) -> String {
    redact::redact_log(line, names)
}

/// `text` with object keys sorted, if it is JSON; as it is otherwise.
fn canonical_json(text: &str) -> String {
    fn sorted(value: serde_json::Value) -> serde_json::Value {
        match value {
            serde_json::Value::Object(map) => {
                let entries: BTreeMap<String, serde_json::Value> = map
                    .into_iter()
                    .map(|(key, value)| (key, sorted(value)))
                    .collect();
                serde_json::Value::Object(entries.into_iter().collect())
            }
            serde_json::Value::Array(items) => {
                serde_json::Value::Array(items.into_iter().map(sorted).collect())
            }
            other => other,
        }
    }
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(value) => sorted(value).to_string(),
        Err(_) => text.to_owned(),
    }
}
