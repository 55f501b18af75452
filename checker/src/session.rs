//! Sessions: real WebSocket clients drive a stack, as an exercise's scenario
//! scripts them, and write down what they observe as a transcript, which the
//! checker compares with a snapshot.
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
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use crate::emulator::events::Event;
use crate::emulator::{Emulator, TableDump};
pub use client::Client;
use local::LocalRun;
pub use local::{LOCAL_STEP, is_local_only};
pub use snapshot::{parse, render};

/// A scenario's script: what its clients do, step by step, in a session.
pub type Script =
    for<'a> fn(&'a mut Session) -> Pin<Box<dyn Future<Output = Result<(), Diverged>> + Send + 'a>>;

/// A scenario that takes longer than this is stopped and reported.
pub const SCENARIO_LIMIT: Duration = Duration::from_secs(120);

/// How long a client waits for a frame it expects: longer than the
/// exercises' 6 s Lambda timeout, so a hanging Lambda shows as its error frame.
pub const FRAME_WAIT: Duration = Duration::from_secs(10);
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

/// Where a scenario runs: against the local emulator, which reports what it
/// does and lets faults be arranged, or against a stack known only by its URL.
enum Mode {
    Local(Box<LocalRun>),
    Remote,
}

pub struct Session {
    url: String,
    expected: Option<Vec<Step>>,
    steps: Vec<Step>,
    /// Connection id -> client name, learned from the emulator's events or from frames.
    names: BTreeMap<String, String>,
    /// Set when the scenario stops (at its end or its first wrong step): what
    /// the emulator reports afterwards, such as the `$disconnect`s of the
    /// clients the scenario drops, is not part of the run.
    ended: bool,
    mode: Mode,
}

/// What a session observed, once it ended.
#[derive(Debug, Default)]
pub struct Transcript {
    pub steps: Vec<Step>,
    /// Locally, everything the emulator reported until the scenario stopped.
    pub events: Vec<Event>,
    /// Connection id -> client name.
    pub names: BTreeMap<String, String>,
    /// Locally, each table and its items when the scenario stopped.
    pub tables: Vec<TableDump>,
    /// The scenario hit [`SCENARIO_LIMIT`].
    pub stopped: bool,
}

impl Session {
    /// A session against the local `emulator`, seeing its events from now on.
    /// `expected` is the snapshot to stop early against.
    pub fn local(emulator: &Emulator, expected: Option<Vec<Step>>) -> Self {
        let run = LocalRun::new(emulator.events().subscribe(), emulator.probe());
        Self::with_mode(
            emulator.websocket_url(),
            expected,
            Mode::Local(Box::new(run)),
        )
    }

    /// A session against a stack running at `url` (a deployment, any emulator).
    pub fn remote(url: String, expected: Option<Vec<Step>>) -> Self {
        Self::with_mode(url, expected, Mode::Remote)
    }

    fn with_mode(url: String, expected: Option<Vec<Step>>, mode: Mode) -> Self {
        Self {
            url,
            expected,
            steps: Vec::new(),
            names: BTreeMap::new(),
            ended: false,
            mode,
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

    /// Runs `script` in this session, for at most [`SCENARIO_LIMIT`], and
    /// hands over what it observed.
    pub async fn run(mut self, script: Script) -> Transcript {
        let finished = tokio::time::timeout(SCENARIO_LIMIT, script(&mut self)).await;
        Transcript {
            stopped: finished.is_err(),
            ..self.into_transcript()
        }
    }

    /// Ends the session (if the scenario did not) and hands over what it observed.
    pub fn into_transcript(mut self) -> Transcript {
        self.end();
        let (events, tables) = match self.mode {
            Mode::Local(run) => run.into_parts(),
            Mode::Remote => Default::default(),
        };
        Transcript {
            steps: self.steps,
            events,
            names: self.names,
            tables,
            stopped: false,
        }
    }

    fn checkpoint(&mut self) -> Result<(), Diverged> {
        self.record_work_after_return();
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
    fn end(&mut self) {
        if self.ended {
            return;
        }
        if let Mode::Local(run) = &mut self.mode {
            run.end();
        }
        self.ended = true;
    }

    fn record(&mut self, line: String) {
        let line = redact::redact(&line, &self.names);
        if let Some(step) = self.steps.last_mut() {
            step.lines.push(line);
        }
    }

    /// Opens a connection for `name` and records whether the handshake succeeded.
    pub async fn connect(&mut self, name: &str) -> Option<Client> {
        self.connect_to(name, &self.url.clone(), format!("{name} connects"))
            .await
    }

    /// Like `connect`, with `query` (`token=…`) after the URL's `?`.
    pub async fn connect_with(&mut self, name: &str, query: &str) -> Option<Client> {
        let url = format!("{}?{query}", self.url);
        self.connect_to(name, &url, format!("{name} connects with ?{query}"))
            .await
    }

    async fn connect_to(&mut self, name: &str, url: &str, what: String) -> Option<Client> {
        let result = Client::connect(url, name).await;
        match result {
            Ok(client) => {
                self.record(format!("{what}: accepted"));
                self.learn_connection(name).await;
                Some(client)
            }
            Err(refusal) => {
                self.learn_rejected_connection(name);
                self.record(format!("{what}: {refusal}"));
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
                if let Mode::Local(run) = &mut self.mode {
                    run.frame_sent();
                }
                self.record(format!("{} sends: {text}", client.name()));
            }
            Err(error) => self.record(format!("{} cannot send: {error}", client.name())),
        }
    }

    /// Records the next frame `client` receives, or that none came.
    pub async fn receive(&mut self, client: &mut Client) {
        let observed = self.listen(client, FRAME_WAIT).await;
        self.learn_from_frame(client.name(), &observed);
        let name = client.name().to_owned();
        self.record(format!("{name} {observed}"));
    }

    /// Like `receive`, but a JSON frame is written down with sorted keys and
    /// no spaces, so any correct serialization reads the same.
    pub async fn receive_json(&mut self, client: &mut Client) {
        let observed = match self.listen(client, FRAME_WAIT).await {
            client::Observed::Text(text) => client::Observed::Text(canonical_json(&text)),
            other => other,
        };
        let name = client.name().to_owned();
        self.record(format!("{name} {observed}"));
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
        match &mut self.mode {
            Mode::Remote => client.receive(remote_wait).await,
            Mode::Local(run) => run.listen(client).await,
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
}

/// A Lambda's output line with connection ids named and thread ids dropped.
pub fn redact_log(line: &str, names: &BTreeMap<String, String>) -> String {
    redact::redact_log(line, names)
}

/// `text` with object keys sorted, if it is JSON; as it is otherwise
/// (serde_json's maps are sorted by key).
fn canonical_json(text: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(value) => value.to_string(),
        Err(_) => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn canonical_json_sorts_keys_and_drops_spaces() {
        // Relies on serde_json's sorted maps (no `preserve_order` feature).
        assert_eq!(
            super::canonical_json(r#"{"b": 1, "a": {"d": [2], "c": null}}"#),
            r#"{"a":{"c":null,"d":[2]},"b":1}"#
        );
        assert_eq!(super::canonical_json("not json"), "not json");
    }
}
