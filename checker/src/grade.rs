//! Checks one exercise: load its stack, build its Lambdas, run it in the
//! emulator, drive its scenario, and compare the transcript with the snapshot.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::cargo_build::{self, BuildError, Diagnostics};
use crate::emulator::events::Event;
use crate::emulator::{Emulator, LocalHooks, Settings};
use crate::exercises::{Exercise, Variant, Workshop};
use crate::scenario::{self, Session, Step};
use crate::scenarios;
use crate::stack::{Stack, StackOptions};

/// A scenario that takes longer than this is stopped and reported.
const SCENARIO_LIMIT: Duration = Duration::from_secs(120);
/// How many of the Lambdas' last log lines a report shows.
const LOG_TAIL: usize = 40;

#[derive(Debug, Clone)]
pub struct Graded {
    pub exercise: Exercise,
    pub verdict: Verdict,
    pub duration: Duration,
}

#[derive(Debug, Clone)]
pub enum Verdict {
    Passed {
        steps: Vec<String>,
    },
    Failed(Box<Failure>),
    /// The Lambdas do not compile: cargo's messages, as cargo renders them.
    BuildFailed {
        diagnostics: String,
    },
    /// The exercise could not be run: a bad `serverless.yml`, a missing binary, no free port.
    Broken {
        message: String,
    },
}

#[derive(Debug, Clone)]
pub struct Failure {
    /// Titles of the steps that matched, in order.
    pub passed: Vec<String>,
    pub step: String,
    pub expected: Vec<String>,
    pub received: Vec<String>,
    /// Lambda errors as AWS logs them, e.g. `onMessage ($default): Task timed out after 6.00 seconds`.
    pub lambda_errors: Vec<String>,
    /// The Lambdas' last output lines, prefixed with their function name.
    pub logs: Vec<String>,
    /// The local tables' items at the end, one line per item (connection ids named).
    pub tables: Vec<String>,
}

impl Verdict {
    pub fn passed(&self) -> bool {
        matches!(self, Self::Passed { .. })
    }
}

/// What to check: an exercise's own folder, or any `serverless.yml` that
/// should behave like it (the self-check tests' variants).
#[derive(Debug, Clone)]
pub struct Target {
    pub exercise: Exercise,
    pub variant: Variant,
    pub stack_file: PathBuf,
    /// An external DynamoDB-compatible service instead of the emulator's own tables.
    pub dynamodb_endpoint: Option<String>,
}

impl Target {
    pub fn of(workshop: &Workshop, exercise: &Exercise, variant: Variant) -> Self {
        Self {
            exercise: exercise.clone(),
            variant,
            stack_file: workshop.dir(exercise, variant).join("serverless.yml"),
            dynamodb_endpoint: None,
        }
    }
}

/// Checks `target` in the local emulator.
pub async fn check_local(target: &Target) -> Graded {
    let started = Instant::now();
    let verdict = run_local(target).await;
    Graded {
        exercise: target.exercise.clone(),
        verdict,
        duration: started.elapsed(),
    }
}

async fn run_local(target: &Target) -> Verdict {
    let Some(scenario) = scenarios::for_exercise(&target.exercise.name) else {
        return Verdict::Broken {
            message: format!("the checker has no scenario for {}", target.exercise.name),
        };
    };
    let expected = scenario::parse(scenario.snapshot, true);
    match transcript_local(target, Some(expected.clone())).await {
        Ok(run) => judge(&expected, &run),
        Err(verdict) => verdict,
    }
}

/// One run of a scenario: what it observed and what the emulator reported.
#[derive(Debug)]
pub struct Run {
    pub steps: Vec<Step>,
    pub events: Vec<Event>,
    /// Connection id -> client name, to name connections in logs.
    pub names: BTreeMap<String, String>,
    /// Each local table's name and items (DynamoDB JSON) when the scenario ended.
    pub tables: Vec<(String, Vec<serde_json::Value>)>,
    /// The scenario hit `SCENARIO_LIMIT`.
    pub stopped: bool,
}

/// Builds and serves `target`, then runs its scenario. With `expected`, the
/// scenario stops at its first step that differs; without, it runs to the end
/// (how the self-check tests record snapshots).
pub async fn transcript_local(
    target: &Target,
    expected: Option<Vec<Step>>,
) -> Result<Run, Verdict> {
    let broken = |message: String| Verdict::Broken { message };
    let scenario = scenarios::for_exercise(&target.exercise.name).ok_or_else(|| {
        broken(format!(
            "the checker has no scenario for {}",
            target.exercise.name
        ))
    })?;
    let mut stack = Stack::load(&target.stack_file, &StackOptions::default())
        .map_err(|error| broken(error.to_string()))?;
    for function in &mut stack.functions {
        function.binary = target.variant.binary(&function.binary);
    }
    let binaries: BTreeSet<String> = stack.functions.iter().map(|f| f.binary.clone()).collect();
    let dir = stack.dir.clone();
    let built = tokio::task::spawn_blocking(move || {
        cargo_build::build(&dir, &binaries, Diagnostics::Capture)
    })
    .await
    .map_err(|error| broken(format!("the build task failed: {error}")))?
    .map_err(|error| match error {
        BuildError::Failed { diagnostics } => Verdict::BuildFailed { diagnostics },
        other => broken(other.to_string()),
    })?;
    let settings = Settings {
        port: 0,
        dynamodb_endpoint: target.dynamodb_endpoint.clone(),
        ..Settings::default()
    };
    let emulator = Emulator::start(&stack, &built, settings)
        .await
        .map_err(|error| broken(error.to_string()))?;
    let events = emulator.events().subscribe();
    let session = Session::new(emulator.websocket_url(), Some(events), expected)
        .with_local(std::sync::Arc::new(emulator.local_hooks()));
    let run = run_session(scenario, session).await;
    emulator.shutdown().await;
    Ok(run)
}

/// Checks a stack that is already running at `url` (a deployed `wss://…/dev`,
/// or any emulator): the same scenario, without what only a local run can see.
pub async fn check_remote(exercise: &Exercise, url: &str) -> Graded {
    let started = Instant::now();
    let verdict = match scenarios::for_exercise(&exercise.name) {
        None => Verdict::Broken {
            message: format!("the checker has no scenario for {}", exercise.name),
        },
        Some(scenario) => {
            let expected = scenario::parse(scenario.snapshot, false);
            let run = run_scenario(scenario, url.to_owned(), None, Some(expected.clone())).await;
            judge(&expected, &run)
        }
    };
    Graded {
        exercise: exercise.clone(),
        verdict,
        duration: started.elapsed(),
    }
}

/// The full transcript of `exercise`'s scenario against the stack at `url`.
pub async fn transcript_remote(exercise: &Exercise, url: &str) -> Result<Run, Verdict> {
    let scenario = scenarios::for_exercise(&exercise.name).ok_or_else(|| Verdict::Broken {
        message: format!("the checker has no scenario for {}", exercise.name),
    })?;
    Ok(run_scenario(scenario, url.to_owned(), None, None).await)
}

async fn run_scenario(
    scenario: &scenarios::Scenario,
    url: String,
    events: Option<tokio::sync::mpsc::UnboundedReceiver<Event>>,
    expected: Option<Vec<Step>>,
) -> Run {
    run_session(scenario, Session::new(url, events, expected)).await
}

async fn run_session(scenario: &scenarios::Scenario, mut session: Session) -> Run {
    let finished = tokio::time::timeout(SCENARIO_LIMIT, (scenario.run)(&mut session)).await;
    // A scenario cut short by the time limit has not ended itself.
    session.end();
    let tables = session.take_final_tables();
    let (steps, events, names) = session.into_parts();
    Run {
        steps,
        events,
        names,
        tables,
        stopped: finished.is_err(),
    }
}

impl scenario::Local for LocalHooks {
    fn dump(&self) -> Vec<(String, Vec<serde_json::Value>)> {
        LocalHooks::dump(self)
    }

    fn put(&self, table: &str, item: serde_json::Value) -> Result<(), String> {
        self.tables().put(table, item)
    }

    fn throttle_posts(&self, on: bool) {
        LocalHooks::throttle_posts(self, on);
    }

    fn in_flight(&self) -> usize {
        LocalHooks::in_flight(self)
    }
}

/// Compares the transcript with the snapshot, step by step.
pub fn judge(expected: &[Step], run: &Run) -> Verdict {
    let received = &run.steps;
    let mismatch = (0..expected.len().max(received.len()))
        .find(|&index| expected.get(index) != received.get(index));
    let Some(index) = mismatch else {
        return Verdict::Passed {
            steps: expected.iter().map(|step| step.title.clone()).collect(),
        };
    };
    let title_of = |steps: &[Step]| steps.get(index).map(|step| step.title.clone());
    let lines_of = |steps: &[Step]| {
        steps
            .get(index)
            .map(|step| step.lines.clone())
            .unwrap_or_default()
    };
    let mut failure = Box::new(Failure {
        passed: expected[..index]
            .iter()
            .map(|step| step.title.clone())
            .collect(),
        step: title_of(expected)
            .or_else(|| title_of(received))
            .unwrap_or_default(),
        expected: lines_of(expected),
        received: lines_of(received),
        lambda_errors: lambda_errors(&run.events),
        logs: logs(&run.events, &run.names),
        tables: table_lines(&run.tables, &run.names),
    });
    if run.stopped {
        failure.received.push(format!(
            "(the scenario was stopped after {} s)",
            SCENARIO_LIMIT.as_secs()
        ));
    }
    Verdict::Failed(failure)
}

fn lambda_errors(events: &[Event]) -> Vec<String> {
    let mut routes = BTreeMap::new();
    let mut errors = Vec::new();
    for event in events {
        match event {
            Event::InvocationStarted {
                request_id,
                route_key,
                ..
            } => {
                routes.insert(request_id.clone(), route_key.clone());
            }
            Event::InvocationFinished {
                function,
                request_id,
                outcome: Err(error),
            } => {
                let route = routes.get(request_id).map(String::as_str).unwrap_or("?");
                errors.push(format!("{function} ({route}): {error}"));
            }
            _ => {}
        }
    }
    errors
}

fn table_lines(
    tables: &[(String, Vec<serde_json::Value>)],
    names: &BTreeMap<String, String>,
) -> Vec<String> {
    tables
        .iter()
        .flat_map(|(table, items)| {
            let header = format!("{table}: {} item(s)", items.len());
            // Keys are random ids: sorted once named, the lines read the same every run.
            let mut rows: Vec<String> = items
                .iter()
                .map(|item| format!("  {}", scenario::redact_log(&item.to_string(), names)))
                .collect();
            rows.sort();
            std::iter::once(header).chain(rows)
        })
        .collect()
}

fn logs(events: &[Event], names: &BTreeMap<String, String>) -> Vec<String> {
    let lines: Vec<String> = events
        .iter()
        .filter_map(|event| match event {
            Event::Log { function, line } => Some(format!(
                "[{function}] {}",
                scenario::redact_log(line, names)
            )),
            _ => None,
        })
        .collect();
    let skip = lines.len().saturating_sub(LOG_TAIL);
    lines.into_iter().skip(skip).collect()
}
