//! Checks one exercise: load its stack, build its Lambdas, run it in the
//! emulator, drive its scenario, and compare the transcript with the snapshot.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::cargo_build::{self, BuildError, Diagnostics};
use crate::emulator::events::Event;
use crate::emulator::{Emulator, Settings};
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
}

impl Target {
    pub fn of(workshop: &Workshop, exercise: &Exercise, variant: Variant) -> Self {
        Self {
            exercise: exercise.clone(),
            variant,
            stack_file: workshop.dir(exercise, variant).join("serverless.yml"),
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
        Ok(run) => {
            let mut verdict = judge(&expected, &run);
            if run.stopped
                && let Verdict::Failed(failure) = &mut verdict
            {
                failure.received.push(format!(
                    "(the scenario was stopped after {} s)",
                    SCENARIO_LIMIT.as_secs()
                ));
            }
            verdict
        }
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
        ..Settings::default()
    };
    let emulator = Emulator::start(&stack, &built, settings)
        .await
        .map_err(|error| broken(error.to_string()))?;
    let events = emulator.events().subscribe();
    let mut session = Session::new(emulator.websocket_url(), Some(events), expected);
    let finished = tokio::time::timeout(SCENARIO_LIMIT, (scenario.run)(&mut session)).await;
    session.collect_events();
    emulator.shutdown().await;
    let (steps, events, names) = session.into_parts();
    Ok(Run {
        steps,
        events,
        names,
        stopped: finished.is_err(),
    })
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
    Verdict::Failed(Box::new(Failure {
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
    }))
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
