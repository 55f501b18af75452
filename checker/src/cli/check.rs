//! `checker [check [EXERCISE]...] [--solutions] [--format human|json|junit]`.

use std::process::ExitCode;

use anyhow::{Context, bail};

use checker::exercises::{Exercise, Variant, Workshop};
use checker::grade::{self, Graded, Target};
use checker::report::{self, HintShown, HumanReport, Next};

use super::progress::{self, Progress};

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
pub(crate) struct CheckArgs {
    /// Exercises by name or number (`01`, `02-there-and-back-again`). Without
    /// any, all are checked in order, stopping at the first that fails.
    exercises: Vec<String>,
    /// Check the reference solutions instead of your copies (for instructors);
    /// every exercise is checked, none stops the others.
    #[arg(long)]
    solutions: bool,
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
pub(crate) struct CompareArgs {
    /// The exercise the deployed stack runs.
    exercise: String,
    /// The deployed stack's WebSocket URL.
    #[arg(long, value_name = "URL")]
    endpoint: String,
    /// Run the local side from the reference solution instead of your copy.
    #[arg(long)]
    solutions: bool,
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
    let variant = if args.solutions {
        Variant::Solution
    } else {
        Variant::Learner
    };
    // Like rustlings: walking the workshop stops at the learner's current exercise.
    let walking = args.exercises.is_empty() && !args.solutions;
    // A learner's checks at a terminal count towards their progress; graders'
    // (JSON, JUnit) leave no trace and always get every verdict afresh.
    let mut progress = (variant == Variant::Learner
        && args.endpoint.is_none()
        && args.format == Format::Human
        && github_output.is_none())
    .then(|| Progress::load(&workshop));
    let mut unchanged = Vec::new();
    let chosen: Vec<Exercise> = if args.exercises.is_empty() {
        let mut exercises = workshop.exercises.clone();
        // A walk starts at the first exercise not done.
        if let (true, Some(progress)) = (walking, &progress) {
            let done = exercises
                .iter()
                .take_while(|exercise| progress.is_done(&workshop, exercise))
                .count();
            unchanged = exercises.drain(..done).collect();
        }
        exercises
    } else {
        args.exercises
            .iter()
            .map(|asked| workshop.find(asked).cloned())
            .collect::<Result<_, _>>()?
    };
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
            let options = CheckOptions {
                variant,
                stop_at_failure: walking,
                format: args.format,
                dynamodb_endpoint: args.dynamodb_endpoint.clone(),
            };
            check_all(&workshop, &chosen, &options, progress.as_mut()).await
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
            let walk = Walk {
                unchanged: &unchanged,
                walking,
            };
            print_human(&workshop, &results, variant, &walk, progress.as_mut())?;
        }
        Format::Json => {
            let results = report::exercism_results(&results, &task_id);
            println!("{}", serde_json::to_string_pretty(&results)?);
        }
        Format::Junit => println!("{}", report::junit_xml(&results)?),
    }
    if let Some(progress) = &progress {
        progress.save();
        super::class::send(&mut super::class::link(&workshop), &results, progress).await;
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

/// How `check_all` walks the exercises.
pub(crate) struct CheckOptions {
    pub(crate) variant: Variant,
    pub(crate) stop_at_failure: bool,
    pub(crate) format: Format,
    pub(crate) dynamodb_endpoint: Option<String>,
}

/// Checks `chosen` in order; with `progress`, records each verdict there.
pub(crate) async fn check_all(
    workshop: &Workshop,
    chosen: &[Exercise],
    options: &CheckOptions,
    mut progress: Option<&mut Progress>,
) -> Vec<Graded> {
    let mut results = Vec::new();
    for exercise in chosen {
        if options.format == Format::Human {
            eprintln!("Checking {} ...", exercise.name);
        }
        // Hashed before the check: an edit made while it runs is not taken as checked.
        let files = progress::files_hash(&workshop.dir(exercise, options.variant));
        let mut target = Target::of(workshop, exercise, options.variant);
        target.dynamodb_endpoint = options.dynamodb_endpoint.clone();
        let graded = grade::check_local(&target).await;
        let passed = graded.verdict.passed();
        if let Some(progress) = progress.as_deref_mut() {
            progress.record(exercise, passed, files);
        }
        results.push(graded);
        if options.stop_at_failure && !passed {
            break;
        }
    }
    results
}

/// Where a walk through the workshop stands.
pub(crate) struct Walk<'a> {
    /// Exercises skipped because they are done.
    pub(crate) unchanged: &'a [Exercise],
    /// All exercises in order (no list named): suggest the next one.
    pub(crate) walking: bool,
}

/// Prints the report; with `progress`, failing exercises show their next
/// hint stage (counted as seen) and the progress is the saved one.
pub(crate) fn print_human(
    workshop: &Workshop,
    results: &[Graded],
    variant: Variant,
    walk: &Walk<'_>,
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
    let failed = results.iter().find(|graded| !graded.verdict.passed());
    let folder = variant.folder();
    let next = match (failed, walk.walking) {
        (Some(graded), _) => Next::Fix {
            exercise: graded.exercise.short_name().to_owned(),
            dir: format!("{folder}/{}", graded.exercise.name),
        },
        (None, true) => {
            let checked = walk.unchanged.len() + results.len();
            match workshop.exercises.get(checked) {
                Some(exercise) => Next::Start {
                    exercise: exercise.short_name().to_owned(),
                    dir: format!("{folder}/{}", exercise.name),
                },
                None => Next::Done,
            }
        }
        (None, false) => Next::Nothing,
    };
    let mut hints = std::collections::BTreeMap::new();
    for graded in results.iter().filter(|graded| !graded.verdict.passed()) {
        let exercise = &graded.exercise;
        let hint = match progress.as_deref_mut() {
            Some(progress) => Some(progress.next_hint(exercise)),
            None => progress::first_hint(exercise),
        };
        if let Some(hint) = hint {
            hints.insert(exercise.name.clone(), hint);
        }
    }
    let hint_of = |exercise: &Exercise| -> Option<HintShown> { hints.get(&exercise.name).cloned() };
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
    let variant = if args.solutions {
        Variant::Solution
    } else {
        Variant::Learner
    };
    let target = Target::of(&workshop, exercise, variant);
    let differences = match checker::compare::compare(&target, &args.endpoint).await {
        Ok(differences) => differences,
        Err(verdict) => {
            let graded = Graded {
                exercise: exercise.clone(),
                verdict,
                duration: std::time::Duration::ZERO,
                serve: None,
            };
            bail!(
                "the local side cannot run: {}",
                report::plain_reason(&graded).unwrap_or_default()
            );
        }
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
