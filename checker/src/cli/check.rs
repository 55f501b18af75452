//! `checker [check [EXERCISE]...] [--solutions] [--format human|json|junit]`.

use std::process::ExitCode;

use checker::exercises::{Exercise, Variant, Workshop};
use checker::grade::{self, Graded, Target};
use checker::report::{self, HumanReport, Next};

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
}

pub(crate) async fn run(args: CheckArgs) -> anyhow::Result<ExitCode> {
    let workshop = super::workshop()?;
    let variant = if args.solutions {
        Variant::Solution
    } else {
        Variant::Learner
    };
    let chosen: Vec<Exercise> = if args.exercises.is_empty() {
        workshop.exercises.clone()
    } else {
        args.exercises
            .iter()
            .map(|asked| workshop.find(asked).cloned())
            .collect::<Result<_, _>>()?
    };
    // Like rustlings: walking the workshop stops at the learner's current exercise.
    let stop_at_failure = args.exercises.is_empty() && !args.solutions;
    let results = check_all(&workshop, &chosen, variant, stop_at_failure, args.format).await;
    let all_passed = results.iter().all(|graded| graded.verdict.passed());
    match args.format {
        Format::Human => print_human(&workshop, &results, variant, stop_at_failure)?,
        Format::Json => {
            let position = |name: &str| {
                workshop
                    .exercises
                    .iter()
                    .position(|exercise| exercise.name == name)
                    .map_or(0, |index| index + 1)
            };
            let results = report::exercism_results(&results, &position);
            println!("{}", serde_json::to_string_pretty(&results)?);
        }
        Format::Junit => println!("{}", report::junit_xml(&results)?),
    }
    Ok(if all_passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

pub(crate) async fn check_all(
    workshop: &Workshop,
    chosen: &[Exercise],
    variant: Variant,
    stop_at_failure: bool,
    format: Format,
) -> Vec<Graded> {
    let mut results = Vec::new();
    for exercise in chosen {
        if format == Format::Human {
            eprintln!("Checking {} ...", exercise.name);
        }
        let graded = grade::check_local(&Target::of(workshop, exercise, variant)).await;
        let passed = graded.verdict.passed();
        results.push(graded);
        if stop_at_failure && !passed {
            break;
        }
    }
    results
}

pub(crate) fn print_human(
    workshop: &Workshop,
    results: &[Graded],
    variant: Variant,
    walking: bool,
) -> anyhow::Result<()> {
    let done = results
        .iter()
        .filter(|graded| graded.verdict.passed())
        .count();
    let failed = results.iter().find(|graded| !graded.verdict.passed());
    let folder = variant.folder();
    let next = match (failed, walking) {
        (Some(graded), _) => Next::Fix {
            exercise: short_name(&graded.exercise),
            dir: format!("{folder}/{}", graded.exercise.name),
        },
        (None, true) => match workshop.exercises.get(results.len()) {
            Some(exercise) => Next::Start {
                exercise: short_name(exercise),
                dir: format!("{folder}/{}", exercise.name),
            },
            None => Next::Done,
        },
        (None, false) => Next::Nothing,
    };
    let hint_of = |name: &str| {
        workshop
            .find(name)
            .ok()
            .map(|exercise| exercise.hint.clone())
    };
    HumanReport {
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

/// `02` for `02-there-and-back-again`: what the learner types.
fn short_name(exercise: &Exercise) -> String {
    exercise
        .name
        .split('-')
        .next()
        .unwrap_or(&exercise.name)
        .to_owned()
}
