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
/// How long a client listens to be sure nothing (more) arrives.
pub const QUIET_WAIT: Duration = Duration::from_millis(400);
/// Transcript lines only a local run can observe start with this.
pub const LOCAL_ONLY: &str = "lambda: ";

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

    pub async fn send(&mut self, client: &mut Client, text: &str) {
        match client.send(text).await {
            Ok(()) => self.record(format!("{} sends: {text}", client.name())),
            Err(error) => self.record(format!("{} cannot send: {error}", client.name())),
        }
    }

    /// Records the next frame `client` receives, or that none came.
    pub async fn receive(&mut self, client: &mut Client) {
        let observed = client.receive(FRAME_WAIT).await;
        self.learn_from_frame(client.name(), &observed);
        let name = client.name().to_owned();
        self.record(format!("{name} {observed}"));
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
                    "{LOCAL_ONLY}{key} -> {function} for {connection_id}"
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
    for line in body.lines().map(str::trim_end) {
        if let Some(title) = line.strip_prefix("## ") {
            steps.push(Step {
                title: title.to_owned(),
                lines: Vec::new(),
            });
        } else if let Some(step) = steps.last_mut()
            && !line.is_empty()
            && (local || !line.starts_with(LOCAL_ONLY))
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
