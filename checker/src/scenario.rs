//! Scenarios: real WebSocket clients drive a stack and write down what they
//! observe as a transcript, which the checker compares with a snapshot.
//!
//! Only what defines correctness is written down: frames each client
//! receives (ids redacted), handshake outcomes, and, locally, which route ran
//! for whom. A transcript is compared step by step as it grows, so a failing
//! scenario stops at its first wrong step instead of waiting out the rest.

mod client;
mod redact;

use std::collections::BTreeMap;
use std::time::Duration;

use tokio::sync::mpsc::UnboundedReceiver;

use crate::emulator::events::Event;
pub use client::Client;

/// How long a client waits for a frame it expects: longer than the
/// exercises' 6 s Lambda timeout, so a hanging Lambda shows as its error frame.
pub const FRAME_WAIT: Duration = Duration::from_secs(10);
/// How often a local wait looks at the emulator's events.
const POLL: Duration = Duration::from_millis(50);
/// Locally, how long with no invocation running proves no frame is coming.
const IDLE_PROOF: Duration = Duration::from_millis(300);
/// How long a client listens to be sure nothing (more) arrives.
pub const QUIET_WAIT: Duration = Duration::from_millis(400);
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
}

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
            local: None,
        }
    }

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
            _ => Err(Diverged),
        }
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
            Ok(()) => self.record(format!("{} sends: {text}", client.name())),
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

    /// The next frame for `client` within `FRAME_WAIT`. Locally, frames come
    /// only from invocations: once none has run for `IDLE_PROOF`, none is coming.
    async fn next_frame(&mut self, client: &mut Client) -> client::Observed {
        if self.events.is_none() {
            return client.receive(FRAME_WAIT).await;
        }
        let deadline = tokio::time::Instant::now() + FRAME_WAIT;
        let mut idle_since: Option<tokio::time::Instant> = None;
        loop {
            let observed = client.receive(POLL).await;
            if observed != client::Observed::Nothing {
                return observed;
            }
            let now = tokio::time::Instant::now();
            if self.running_invocations() > 0 {
                idle_since = None;
            } else if now.duration_since(*idle_since.get_or_insert(now)) >= IDLE_PROOF {
                return observed;
            }
            if now >= deadline {
                return observed;
            }
        }
    }

    /// Invocations started but not finished, as far as the events tell.
    fn running_invocations(&mut self) -> usize {
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

    /// Records that nothing arrives for `client` (or what did).
    pub async fn expect_quiet(&mut self, client: &mut Client) {
        let observed = client.receive(QUIET_WAIT).await;
        let name = client.name().to_owned();
        self.record(format!("{name} {observed}"));
    }

    pub async fn close(&mut self, mut client: Client) {
        client.close().await;
        self.record(format!("{} closes", client.name()));
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

    /// Drops the client's TCP connection without a close frame, as a client
    /// that loses its network does.
    pub async fn vanish(&mut self, client: Client) {
        let name = client.name().to_owned();
        drop(client);
        self.record(format!("{name} vanishes without a close frame"));
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
    async fn learn_connection(&mut self, name: &str) {
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
        if let Some(events) = &mut self.events {
            while let Ok(event) = events.try_recv() {
                self.seen.push(event);
            }
        }
    }

    /// Everything the emulator reported until now, for the failure report.
    pub fn collect_events(&mut self) {
        self.drain_events();
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

/// Renders steps as the snapshot text: `## title` then one line per observation.
pub fn render(steps: &[Step]) -> String {
    let mut text = String::new();
    for step in steps {
        text.push_str("## ");
        text.push_str(&step.title);
        text.push('\n');
        for line in &step.lines {
            text.push_str(line);
            text.push('\n');
        }
    }
    text
}

/// Parses snapshot text (insta's `.snap` file, header included) back into steps.
/// `local` false drops what only a local run can observe.
pub fn parse(snapshot: &str, local: bool) -> Vec<Step> {
    let body = strip_insta_header(snapshot);
    let mut steps: Vec<Step> = Vec::new();
    let mut skipping = false;
    for line in body.lines().map(str::trim_end) {
        if let Some(title) = line.strip_prefix("## ") {
            skipping = !local && title.starts_with(LOCAL_STEP);
            if !skipping {
                steps.push(Step {
                    title: title.to_owned(),
                    lines: Vec::new(),
                });
            }
        } else if skipping {
            continue;
        } else if let Some(step) = steps.last_mut()
            && !line.is_empty()
            && (local || !is_local_only(line))
        {
            step.lines.push(line.to_owned());
        }
    }
    steps
}

/// insta's `.snap` files start with a `---`-fenced header.
fn strip_insta_header(snapshot: &str) -> &str {
    let Some(rest) = snapshot.strip_prefix("---\n") else {
        return snapshot;
    };
    match rest.find("\n---\n") {
        Some(end) => &rest[end + 5..],
        None => snapshot,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshots_round_trip() {
        let steps = vec![
            Step {
                title: "connect".into(),
                lines: vec![
                    "alice connects: accepted".into(),
                    "lambda: $connect -> onConnect for alice".into(),
                ],
            },
            Step {
                title: "echo".into(),
                lines: vec!["alice sends: hi".into()],
            },
        ];
        let snap = format!("---\nsource: x\nexpression: y\n---\n{}", render(&steps));
        assert_eq!(parse(&snap, true), steps);
        let remote = parse(&snap, false);
        assert_eq!(remote[0].lines, vec!["alice connects: accepted".to_owned()]);
    }
}
