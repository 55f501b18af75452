//! Checks one exercise: launch its stack, drive its scenario, and judge the
//! transcript against the snapshot. A walk through the workshop checks
//! exercises in order and keeps the learner's progress.

pub mod ahead;
mod judge;
mod slips;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::cargo_build::{BuildError, Diagnostics, Profile};
use crate::launch::{Binaries, Launch, RunningStack, StartError};
use crate::scenarios::{self, Scenario};
use crate::session::{Session, Transcript};
use crate::workshop::{self, BuiltFrom, Exercise, Progress, Variant, Workshop};

pub use judge::judge;

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

/// What is graded: an exercise's copy (the learner's, the solution), or any
/// `serverless.yml` that should behave like it (the self-check tests'
/// variants), and how to launch its stack.
#[derive(Debug, Clone)]
pub struct Submission {
    pub exercise: Exercise,
    pub variant: Variant,
    pub launch: Launch,
    /// For an exercise's copy in the workshop: what was last built from it,
    /// so that files restored with older times are rebuilt all the same.
    pub built_from: Option<BuiltFrom>,
}

impl Submission {
    /// `exercise`'s copy `variant` in the workshop.
    pub fn of(workshop: &Workshop, exercise: &Exercise, variant: Variant) -> Self {
        let file = workshop.dir(exercise, variant).join("serverless.yml");
        let mut submission = Self::new(exercise, variant, file);
        if variant == Variant::Stub {
            submission.launch.cargo_dir = Some(workshop.root.join(Variant::Stub.folder()));
        }
        submission.built_from = Some(BuiltFrom::new(workshop, exercise, variant));
        submission
    }

    /// The stack in `file`, graded as `exercise`.
    pub fn new(exercise: &Exercise, variant: Variant, file: impl Into<PathBuf>) -> Self {
        let mut launch = Launch::new(file);
        launch.binary_suffix = variant.binary_suffix();
        Self {
            exercise: exercise.clone(),
            variant,
            launch,
            built_from: None,
        }
    }

    /// The `checker` arguments that serve this stack: `serve 02`, `serve 02
    /// --solutions`, or `serve --config FILE` for any other file (relative to
    /// the current folder when under it).
    pub fn serve_command(&self) -> String {
        let short = self.exercise.short_name();
        let stack_file = &self.launch.file;
        let folder = stack_file.parent();
        let standard = folder.and_then(|dir| dir.file_name()) == Some(self.exercise.name.as_ref())
            && folder
                .and_then(|dir| dir.parent())
                .and_then(|dir| dir.file_name())
                == Some(self.variant.folder().as_ref());
        // A stub's report is the one its learner reads, whose copy is the stub.
        let standard = standard || self.variant == Variant::Stub;
        let mut command = if standard {
            format!("serve {short}")
        } else {
            let file = std::env::current_dir()
                .ok()
                .and_then(|dir| stack_file.strip_prefix(dir).ok().map(Path::to_owned))
                .unwrap_or_else(|| stack_file.clone());
            format!("serve --config {}", file.display())
        };
        if standard && self.variant == Variant::Solution {
            command.push_str(" --solutions");
        }
        if let Some(endpoint) = &self.launch.settings.dynamodb_endpoint {
            command.push_str(&format!(" --dynamodb-endpoint {endpoint}"));
        }
        command
    }
}

/// Checks `submission` in the local emulator.
pub async fn check_local(submission: &Submission) -> Graded {
    let started = Instant::now();
    let verdict = match scenario_of(&submission.exercise) {
        Ok(scenario) => judge_local(submission, scenario).await,
        Err(verdict) => verdict,
    };
    Graded {
        exercise: submission.exercise.clone(),
        verdict,
        duration: started.elapsed(),
        serve: Some(submission.serve_command()),
    }
}

/// Runs `scenario` against `submission`'s stack, stopping at the first step
/// that differs from the snapshot, and judges it.
async fn judge_local(submission: &Submission, scenario: &Scenario) -> Verdict {
    let expected = scenario.expected(true);
    let running = match launch(submission).await {
        Ok(running) => running,
        Err(verdict) => return verdict,
    };
    let session = Session::local(&running.emulator, Some(expected.clone()));
    let mut transcript = session.run(scenario.script).await;
    let mismatch = judge::first_difference(&expected, &transcript.steps);
    if mismatch.is_some() {
        // What the frozen Lambdas had left to do explains a failure: thawed
        // now, their calls name the functions that did work after returning.
        let leftover = running.emulator.probe().release_frozen().await;
        transcript.events.extend(leftover);
    }
    let warnings = running.warnings.clone();
    let mut slips = slips::in_routes(&running.stack);
    let binaries = running
        .stack
        .functions
        .iter()
        .map(|function| function.binary.as_str());
    slips.extend(slips::in_source(&running.stack.dir, binaries));
    running.shutdown().await;
    match mismatch {
        None => Verdict::Passed,
        Some(index) => judge::failed(index, &expected, &transcript, &warnings, &slips),
    }
}

/// The full transcript of `submission`'s scenario, run locally to its end
/// (how the self-check tests record snapshots, and one side of `compare`).
pub async fn transcript_local(submission: &Submission) -> Result<Transcript, Verdict> {
    let scenario = scenario_of(&submission.exercise)?;
    let running = launch(submission).await?;
    let transcript = Session::local(&running.emulator, None)
        .run(scenario.script)
        .await;
    running.shutdown().await;
    Ok(transcript)
}

async fn launch(submission: &Submission) -> Result<RunningStack, Verdict> {
    let contents = submission.built_from.as_ref().map(BuiltFrom::freshen);
    let running = RunningStack::start(&submission.launch)
        .await
        .map_err(|error| match error {
            StartError::Build(BuildError::Failed { diagnostics }) => {
                Verdict::BuildFailed { diagnostics }
            }
            other => Verdict::Broken {
                message: other.to_string(),
            },
        })?;
    if let (Some(built_from), Some(contents)) = (&submission.built_from, &contents) {
        built_from.record(contents);
    }
    Ok(running)
}

fn scenario_of(exercise: &Exercise) -> Result<&'static Scenario, Verdict> {
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
            let expected = scenario.expected(false);
            let session = Session::remote(url.to_owned(), Some(expected.clone()));
            judge(&expected, &session.run(scenario.script).await, &[])
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
pub async fn transcript_remote(exercise: &Exercise, url: &str) -> Result<Transcript, Verdict> {
    let scenario = scenario_of(exercise)?;
    Ok(Session::remote(url.to_owned(), None)
        .run(scenario.script)
        .await)
}

/// How [`check_each`] goes through the exercises.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    pub variant: Variant,
    /// Stop at the first exercise that fails (a learner's walk).
    pub stop_at_failure: bool,
    /// An external DynamoDB-compatible service instead of the emulator's own tables.
    pub dynamodb_endpoint: Option<String>,
    /// Draw no build progress on the terminal, which shows something else.
    pub silent_build: bool,
}

/// Checks `chosen` locally in order, calling `starting` before each; with
/// `progress`, records each verdict there.
pub async fn check_each(
    workshop: &Workshop,
    chosen: &[Exercise],
    options: &CheckOptions,
    mut progress: Option<&mut Progress>,
    mut starting: impl FnMut(&Exercise),
) -> Vec<Graded> {
    let mut results = Vec::new();
    for exercise in chosen {
        starting(exercise);
        // Taken before the check: an edit made while it runs is not taken as checked.
        let fingerprint = workshop::fingerprint(&workshop.dir(exercise, options.variant));
        let mut submission = Submission::of(workshop, exercise, options.variant);
        submission.launch.settings.dynamodb_endpoint = options.dynamodb_endpoint.clone();
        if options.silent_build {
            submission.launch.binaries = Binaries::Build {
                diagnostics: Diagnostics::CaptureSilently,
                profile: Profile::Dev,
            };
        }
        let graded = check_local(&submission).await;
        let passed = graded.verdict.passed();
        if let Some(progress) = progress.as_deref_mut() {
            progress.record(exercise, passed, fingerprint);
        }
        results.push(graded);
        if options.stop_at_failure && !passed {
            break;
        }
    }
    results
}

#[cfg(test)]
mod tests {
    use super::*;

    fn submission(file: &str, variant: Variant) -> Submission {
        let exercise = Exercise {
            name: "02-there-and-back-again".into(),
            title: String::new(),
            goal: String::new(),
            hints: Vec::new(),
        };
        Submission::new(&exercise, variant, file)
    }

    #[test]
    fn the_serve_command_shows_the_same_stack() {
        let learner = submission(
            "/w/exercises/02-there-and-back-again/serverless.yml",
            Variant::Learner,
        );
        assert_eq!(learner.serve_command(), "serve 02");
        let solution = submission(
            "/w/solutions/02-there-and-back-again/serverless.yml",
            Variant::Solution,
        );
        assert_eq!(solution.serve_command(), "serve 02 --solutions");
        let mut other = submission("/elsewhere/02-error.yml", Variant::Learner);
        other.launch.settings.dynamodb_endpoint = Some("http://127.0.0.1:8000".into());
        assert_eq!(
            other.serve_command(),
            "serve --config /elsewhere/02-error.yml --dynamodb-endpoint http://127.0.0.1:8000"
        );
    }
}
