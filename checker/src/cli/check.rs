//! `checker [check [EXERCISE]...] [--solutions] [--format human|json|junit]`
//! and `checker compare`.

use std::process::ExitCode;

use anyhow::{Context, bail};

use checker::grade::{self, Graded, Submission};
use checker::report::{self, HumanReport, Next, Walk};
use checker::workshop::{Exercise, Progress, Variant, Workshop};

use super::Solutions;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    /// A report for people, coloured on a terminal.
    #[default]
    Human,
    /// Exercism's test-runner results.json (version 3), one task per exercise.
    Json,
    /// JUnit XML, one test case per exercise.
    Junit,
}

#[derive(Debug, Default, clap::Args)]
#[command(mut_arg("solutions", |arg| arg.help(
    "Check the reference solutions instead of your copies (for instructors); every exercise is checked, none stops the others"
)))]
pub(crate) struct CheckArgs {
    /// Exercises by name or number (`01`, `02-there-and-back-again`). Without
    /// any, all are checked in order, stopping at the first that fails.
    exercises: Vec<String>,
    #[command(flatten)]
    solutions: Solutions,
    #[arg(long, value_enum, default_value_t)]
    format: Format,
    /// Check a stack that is already running there (`wss://….amazonaws.com/dev`,
    /// or `ws://127.0.0.1:3001/dev`) instead of the local emulator; name one exercise.
    #[arg(long, value_name = "URL")]
    endpoint: Option<String>,
    /// Use this DynamoDB-compatible service (e.g. `http://127.0.0.1:8000`)
    /// instead of the emulator's own tables.
    #[arg(long, value_name = "URL")]
    dynamodb_endpoint: Option<String>,
    /// Also write the results.json to the file `$GITHUB_OUTPUT` names, as GitHub
    /// Classroom's reporter reads it (`.github/workflows/classroom.yml`); the
    /// exit code is then 0 once it is written: the reporter gives the verdict.
    #[arg(long)]
    github_output: bool,
}

#[derive(Debug, clap::Args)]
#[command(mut_arg("solutions", |arg| arg.help(
    "Run the local side from the reference solution instead of your copy"
)))]
pub(crate) struct CompareArgs {
    /// The exercise the deployed stack runs.
    exercise: String,
    /// The deployed stack's WebSocket URL.
    #[arg(long, value_name = "URL")]
    endpoint: String,
    #[command(flatten)]
    solutions: Solutions,
}

pub(crate) async fn run(args: CheckArgs) -> anyhow::Result<ExitCode> {
    let workshop = super::workshop()?;
    let github_output = match args.github_output {
        false => None,
        true => Some(std::env::var_os("GITHUB_OUTPUT").ok_or_else(|| {
            anyhow::anyhow!(
                "--github-output appends to the file $GITHUB_OUTPUT names, which GitHub Actions sets; it is not set"
            )
        })?),
    };
    let variant = args.solutions.variant();
    // Like rustlings: walking the workshop stops at the learner's current exercise.
    let walking = args.exercises.is_empty() && variant == Variant::Learner;
    // A learner's checks at a terminal count towards their progress; graders'
    // (JSON, JUnit) leave no trace and always get every verdict afresh.
    let mut progress = (variant == Variant::Learner
        && args.endpoint.is_none()
        && args.format == Format::Human
        && github_output.is_none())
    .then(|| Progress::load(&workshop));
    let (unchanged, chosen) = chosen(&workshop, &args.exercises, walking, progress.as_ref())?;
    let results = match &args.endpoint {
        Some(url) => {
            let [exercise] = chosen.as_slice() else {
                bail!(
                    "`--endpoint` checks one deployed exercise: name it, e.g. `check 02 --endpoint {url}`"
                );
            };
            vec![grade::check_remote(exercise, url).await]
        }
        None => {
            super::ahead::step_aside(&workshop);
            let options = grade::CheckOptions {
                variant,
                stop_at_failure: walking,
                dynamodb_endpoint: args.dynamodb_endpoint.clone(),
                silent_build: false,
            };
            check_each(&workshop, &chosen, &options, args.format, progress.as_mut()).await
        }
    };
    let all_passed = results.iter().all(|graded| graded.verdict.passed());
    let task_id = |name: &str| {
        workshop
            .exercises
            .iter()
            .position(|exercise| exercise.name == name)
            .map_or(0, |index| index + 1)
    };
    match args.format {
        Format::Human => {
            let walk = Walk { unchanged, walking };
            let next = Next::after(&workshop, &results, variant, &walk);
            print_human(&workshop, &results, &walk, next, progress.as_mut())?;
        }
        Format::Json => {
            let results = report::exercism_results(&results, &task_id);
            println!("{}", serde_json::to_string_pretty(&results)?);
        }
        Format::Junit => println!("{}", report::junit_xml(&results)?),
    }
    if let Some(progress) = &progress {
        after_a_learners_check(&workshop, &results, progress).await;
    }
    if let Some(file) = github_output {
        let line = report::github_output(&report::exercism_results(&results, &task_id));
        std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(&file)
            .and_then(|mut file| std::io::Write::write_all(&mut file, line.as_bytes()))
            .with_context(|| format!("cannot append to $GITHUB_OUTPUT ({})", file.display()))?;
        return Ok(ExitCode::SUCCESS);
    }
    Ok(if all_passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// After a learner's check: the progress saved, the results sent to the
/// class view (if the learner joined one), the next exercises built ahead.
async fn after_a_learners_check(workshop: &Workshop, results: &[Graded], progress: &Progress) {
    progress.save();
    let link = &mut super::class::link(workshop);
    if let Some(line) = super::class::send(link, results, progress).await {
        println!("{line}");
    }
    if let Some(line) = super::ahead::start_after(workshop, results) {
        eprintln!("\n{line}");
    }
}

/// The exercises named, or all; on a walk, those done before the first
/// that is not (not checked again) and the rest.
fn chosen<'w>(
    workshop: &'w Workshop,
    asked: &[String],
    walking: bool,
    progress: Option<&Progress>,
) -> anyhow::Result<(&'w [Exercise], Vec<Exercise>)> {
    if !asked.is_empty() {
        let chosen = asked
            .iter()
            .map(|asked| workshop.find(asked).cloned())
            .collect::<Result<_, _>>()?;
        return Ok((&[], chosen));
    }
    Ok(match (walking, progress) {
        (true, Some(progress)) => {
            let (done, rest) = progress.walk(workshop);
            (done, rest.to_vec())
        }
        _ => (&[], workshop.exercises.clone()),
    })
}

/// Checks `chosen` locally, saying which one is being checked when the
/// report is for people.
pub(crate) async fn check_each(
    workshop: &Workshop,
    chosen: &[Exercise],
    options: &grade::CheckOptions,
    format: Format,
    progress: Option<&mut Progress>,
) -> Vec<Graded> {
    grade::check_each(workshop, chosen, options, progress, |exercise| {
        if format == Format::Human {
            eprintln!("Checking {} ...", exercise.name);
        }
    })
    .await
}

/// Prints the report: failing exercises show their hint's nudge (with
/// `progress`, counted as seen), and the progress is the saved one.
pub(crate) fn print_human(
    workshop: &Workshop,
    results: &[Graded],
    walk: &Walk<'_>,
    next: Next,
    mut progress: Option<&mut Progress>,
) -> anyhow::Result<()> {
    // Found by walking up from the current folder: say which one was graded.
    if std::env::current_dir().ok().as_deref() != Some(workshop.root.as_path()) {
        println!("Workshop: {}", workshop.root.display());
    }
    let done = match progress.as_deref() {
        Some(progress) => progress.done_count(workshop),
        None => results
            .iter()
            .filter(|graded| graded.verdict.passed())
            .count(),
    };
    let mut hints = std::collections::BTreeMap::new();
    for graded in results.iter().filter(|graded| !graded.verdict.passed()) {
        let exercise = &graded.exercise;
        let hint = match progress.as_deref_mut() {
            Some(progress) => progress.nudge(exercise),
            None => checker::workshop::Nudge::after(exercise, 0),
        };
        if let Some(hint) = hint {
            hints.insert(exercise.name.clone(), hint);
        }
    }
    let hint_of = |exercise: &Exercise| hints.get(&exercise.name).cloned();
    HumanReport {
        unchanged: walk.unchanged,
        results,
        total: workshop.exercises.len(),
        done,
        hint_of: &hint_of,
        next,
        show_times: true,
    }
    .print()?;
    Ok(())
}

pub(crate) async fn compare(args: CompareArgs) -> anyhow::Result<ExitCode> {
    let workshop = super::workshop()?;
    let exercise = workshop.find(&args.exercise)?;
    let submission = Submission::of(&workshop, exercise, args.solutions.variant());
    let differences = match checker::compare::compare(&submission, &args.endpoint).await {
        Ok(differences) => differences,
        Err(verdict) => bail!(
            "the local side cannot run: {}",
            report::plain_verdict(&verdict).unwrap_or_default()
        ),
    };
    if differences.is_empty() {
        println!(
            "{}: the local emulator and {} behave the same (ids and times masked).",
            exercise.name, args.endpoint
        );
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{}: {} step(s) differ between local (-) and {} (+):",
        exercise.name,
        differences.len(),
        args.endpoint
    );
    for difference in &differences {
        println!("\n## {}", difference.step);
        for line in report::diff_lines(&difference.local, &difference.remote) {
            println!("  {line}");
        }
    }
    Ok(ExitCode::FAILURE)
}
