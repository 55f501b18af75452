//! Checks one exercise: load its stack, build its Lambdas, run it in the
//! emulator, drive its scenario, and compare the transcript with the snapshot.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::cargo_build::BuildError;
use crate::emulator::TableDump;
use crate::emulator::events::Event;
use crate::exercises::{Exercise, Variant, Workshop};
use crate::local_stack::{Launch, LocalStack, StartError};
use crate::scenario::{self, Session, Step};
use crate::scenarios;

/// A scenario that takes longer than this is stopped and reported.
const SCENARIO_LIMIT: Duration = Duration::from_secs(120);
/// How many of the Lambdas' last log lines a report shows.
const LOG_TAIL: usize = 40;

#[derive(Debug, Clone)]
pub struct Graded {
    pub exercise: Exercise,
    pub verdict: Verdict,
    pub duration: Duration,
    /// The `checker` arguments that serve the same stack live, with its
    /// console (`serve 02`); none for a stack checked where it runs remotely.
    pub serve: Option<String>,
}

#[derive(Debug, Clone)]
pub enum Verdict {
    Passed,
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
    /// The compiler's warnings about the learner's crate, as cargo renders
    /// them: code that compiles but may not do what was meant.
    pub warnings: Vec<String>,
    /// Likely slips the emulator saw: a body returned on a one-way route, a
    /// route that matches a message's action only in case, a call the role
    /// refuses, a management client sent to the regional endpoint.
    pub notes: Vec<String>,
}

impl Verdict {
    pub fn passed(&self) -> bool {
        matches!(self, Self::Passed)
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

    /// The `checker` arguments that serve this stack: `serve 02`, `serve 02
    /// --solutions`, or `serve --config FILE` for any other file (relative to
    /// the current folder when under it).
    pub fn serve_command(&self) -> String {
        let short = self.exercise.name.split('-').next().unwrap_or_default();
        let folder = self.stack_file.parent();
        let standard = folder.and_then(|dir| dir.file_name()) == Some(self.exercise.name.as_ref())
            && folder
                .and_then(|dir| dir.parent())
                .and_then(|dir| dir.file_name())
                == Some(self.variant.folder().as_ref());
        let mut command = if standard {
            format!("serve {short}")
        } else {
            let file = std::env::current_dir()
                .ok()
                .and_then(|dir| self.stack_file.strip_prefix(dir).ok().map(Path::to_owned))
                .unwrap_or_else(|| self.stack_file.clone());
            format!("serve --config {}", file.display())
        };
        if standard && self.variant == Variant::Solution {
            command.push_str(" --solutions");
        }
        if let Some(endpoint) = &self.dynamodb_endpoint {
            command.push_str(&format!(" --dynamodb-endpoint {endpoint}"));
        }
        command
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
        serve: Some(target.serve_command()),
    }
}

async fn run_local(target: &Target) -> Verdict {
    let scenario = match scenario_of(&target.exercise) {
        Ok(scenario) => scenario,
        Err(verdict) => return verdict,
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
    /// Each local table and its items (DynamoDB JSON) when the scenario ended.
    pub tables: Vec<TableDump>,
    /// The scenario hit `SCENARIO_LIMIT`.
    pub stopped: bool,
    /// The compiler's warnings about the stack's own crates (local runs).
    pub warnings: Vec<String>,
}

/// Builds and serves `target`, then runs its scenario. With `expected`, the
/// scenario stops at its first step that differs; without, it runs to the end
/// (how the self-check tests record snapshots).
pub async fn transcript_local(
    target: &Target,
    expected: Option<Vec<Step>>,
) -> Result<Run, Verdict> {
    let scenario = scenario_of(&target.exercise)?;
    let mut launch = Launch::new(&target.stack_file);
    launch.variant = target.variant;
    launch.settings.dynamodb_endpoint = target.dynamodb_endpoint.clone();
    let local = LocalStack::start(&launch)
        .await
        .map_err(|error| match error {
            StartError::Build(BuildError::Failed { diagnostics }) => {
                Verdict::BuildFailed { diagnostics }
            }
            other => Verdict::Broken {
                message: other.to_string(),
            },
        })?;
    let session = Session::local(&local.emulator, expected.clone());
    let mut run = run_session(scenario, session).await;
    run.warnings = local.warnings.clone();
    if expected.is_some_and(|expected| !judge(&expected, &run).passed()) {
        // What the frozen Lambdas had left to do explains a failure: thawed
        // now, their calls name the functions that did work after returning.
        let leftover = local.emulator.probe().release_frozen().await;
        run.events.extend(leftover);
    }
    local.shutdown().await;
    Ok(run)
}

fn scenario_of(exercise: &Exercise) -> Result<&'static scenarios::Scenario, Verdict> {
    scenarios::for_exercise(&exercise.name).ok_or_else(|| Verdict::Broken {
        message: format!("the checker has no scenario for {}", exercise.name),
    })
}

/// Checks a stack that is already running at `url` (a deployed `wss://…/dev`,
/// or any emulator): the same scenario, without what only a local run can see.
pub async fn check_remote(exercise: &Exercise, url: &str) -> Graded {
    let started = Instant::now();
    let verdict = match scenario_of(exercise) {
        Err(verdict) => verdict,
        Ok(scenario) => {
            let expected = scenario::parse(scenario.snapshot, false);
            let session = Session::remote(url.to_owned(), Some(expected.clone()));
            judge(&expected, &run_session(scenario, session).await)
        }
    };
    Graded {
        exercise: exercise.clone(),
        verdict,
        duration: started.elapsed(),
        serve: None,
    }
}

/// The full transcript of `exercise`'s scenario against the stack at `url`.
pub async fn transcript_remote(exercise: &Exercise, url: &str) -> Result<Run, Verdict> {
    let scenario = scenario_of(exercise)?;
    Ok(run_session(scenario, Session::remote(url.to_owned(), None)).await)
}

async fn run_session(scenario: &scenarios::Scenario, mut session: Session) -> Run {
    let finished = tokio::time::timeout(SCENARIO_LIMIT, (scenario.run)(&mut session)).await;
    // A scenario cut short by the time limit has not ended itself.
    let transcript = session.into_transcript();
    Run {
        steps: transcript.steps,
        events: transcript.events,
        names: transcript.names,
        tables: transcript.tables,
        stopped: finished.is_err(),
        warnings: Vec::new(),
    }
}

/// Compares the transcript with the snapshot, step by step.
pub fn judge(expected: &[Step], run: &Run) -> Verdict {
    let received = &run.steps;
    let mismatch = (0..expected.len().max(received.len()))
        .find(|&index| expected.get(index) != received.get(index));
    let Some(index) = mismatch else {
        return Verdict::Passed;
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
        warnings: run.warnings.clone(),
        notes: notes(&run.events, &run.names),
    });
    if run.stopped {
        failure.received.push(format!(
            "(the scenario was stopped after {} s)",
            SCENARIO_LIMIT.as_secs()
        ));
    }
    Verdict::Failed(failure)
}

/// Each likely slip the emulator explained, once, connection ids named.
fn notes(events: &[Event], names: &BTreeMap<String, String>) -> Vec<String> {
    let mut notes: Vec<String> = Vec::new();
    for note in events.iter().filter_map(Event::explain) {
        let note = scenario::redact_log(&note, names);
        if !notes.contains(&note) {
            notes.push(note);
        }
    }
    notes
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
            // Never expected (the checker's queue holds far more than a
            // scenario makes), but a report built on missing events says so.
            Event::Skipped { count } => errors.push(format!(
                "(the checker fell behind the emulator and missed {count} of its events: this report may be incomplete)"
            )),
            _ => {}
        }
    }
    errors
}

fn table_lines(tables: &[TableDump], names: &BTreeMap<String, String>) -> Vec<String> {
    tables
        .iter()
        .flat_map(|table| {
            let header = format!("{}: {} item(s)", table.name, table.items.len());
            // Keys are random ids: sorted once named, the lines read the same every run.
            let mut rows: Vec<String> = table
                .items
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
            Event::Log { function, line, .. } => Some(format!(
                "[{function}] {}",
                scenario::redact_log(line, names)
            )),
            _ => None,
        })
        .collect();
    let skip = lines.len().saturating_sub(LOG_TAIL);
    lines.into_iter().skip(skip).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(file: &str, variant: Variant) -> Target {
        Target {
            exercise: Exercise {
                name: "02-there-and-back-again".into(),
                title: String::new(),
                goal: String::new(),
                hints: Vec::new(),
            },
            variant,
            stack_file: PathBuf::from(file),
            dynamodb_endpoint: None,
        }
    }

    #[test]
    fn a_report_built_on_missed_events_says_so() {
        let errors = lambda_errors(&[Event::Skipped { count: 3 }]);
        assert_eq!(errors.len(), 1);
        assert!(errors[0].contains("missed 3 of its events"), "{errors:?}");
    }

    #[test]
    fn the_serve_command_shows_the_same_stack() {
        let learner = target(
            "/w/exercises/02-there-and-back-again/serverless.yml",
            Variant::Learner,
        );
        assert_eq!(learner.serve_command(), "serve 02");
        let solution = target(
            "/w/solutions/02-there-and-back-again/serverless.yml",
            Variant::Solution,
        );
        assert_eq!(solution.serve_command(), "serve 02 --solutions");
        let mut other = target("/elsewhere/02-error.yml", Variant::Learner);
        other.dynamodb_endpoint = Some("http://127.0.0.1:8000".into());
        assert_eq!(
            other.serve_command(),
            "serve --config /elsewhere/02-error.yml --dynamodb-endpoint http://127.0.0.1:8000"
        );
    }
}
