//! Checking exercises, solutions and variants as the checker does.

use std::path::{Path, PathBuf};

use checker::exercises::{Exercise, Variant, Workshop};
use checker::grade::{self, Failure, Graded, Target, Verdict};
use checker::report::{HumanReport, Next};

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

pub fn workshop() -> Workshop {
    Workshop::load(&root()).expect("exercises/info.toml is valid")
}

pub fn exercise(name: &str) -> Exercise {
    workshop().find(name).expect("the exercise exists").clone()
}

pub async fn check(name: &str, variant: Variant) -> Graded {
    let workshop = workshop();
    let exercise = workshop.find(name).unwrap();
    grade::check_local(&Target::of(&workshop, exercise, variant)).await
}

/// Checks a variant's `serverless.yml` (`checker/tests/variants/`) as exercise `name`.
pub async fn check_variant(name: &str, file: &str) -> Graded {
    check_file(name, &root().join("checker/tests/variants").join(file)).await
}

pub async fn check_file(name: &str, file: &Path) -> Graded {
    let target = Target {
        exercise: exercise(name),
        variant: Variant::Learner,
        stack_file: file.to_owned(),
        dynamodb_endpoint: None,
    };
    grade::check_local(&target).await
}

pub fn failure(graded: &Graded) -> &Failure {
    match &graded.verdict {
        Verdict::Failed(failure) => failure,
        other => panic!("expected a failed step, got {other:#?}"),
    }
}

/// The report a learner reads, without colours or timings, for snapshots.
/// The Lambdas' output lines are sorted: a broadcast meets connections in the
/// order of their random ids, so the lines' order changes from run to run.
pub fn report(graded: &Graded) -> String {
    let mut graded = graded.clone();
    if let Verdict::Failed(failure) = &mut graded.verdict {
        failure.logs.sort();
    }
    let graded = &graded;
    let workshop = workshop();
    let hint_of = |name: &str| {
        workshop
            .find(name)
            .ok()
            .map(|exercise| exercise.hint.clone())
    };
    let mut text = Vec::new();
    HumanReport {
        results: std::slice::from_ref(graded),
        total: workshop.exercises.len(),
        done: usize::from(graded.verdict.passed()),
        hint_of: &hint_of,
        next: Next::Nothing,
        show_times: false,
    }
    .write(&mut text)
    .unwrap();
    anstream::adapter::strip_str(&String::from_utf8(text).unwrap()).to_string()
}

/// Snapshots live beside the checker's own: `checker/snapshots/`.
pub fn snapshot_settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(root().join("checker/snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings
}

/// Every file under `dir` (but `target/`) with its bytes, sorted by path.
pub fn files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(next) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&next) else {
            continue;
        };
        for entry in entries.map(Result::unwrap) {
            if entry.file_type().unwrap().is_dir() {
                if entry.file_name() != "target" {
                    pending.push(entry.path());
                }
            } else {
                let relative = entry.path().strip_prefix(dir).unwrap().to_owned();
                files.push((relative, std::fs::read(entry.path()).unwrap()));
            }
        }
    }
    files.sort();
    files
}

/// Builds and starts the emulator on an exercise's stack, as `checker serve` would.
pub async fn serve(
    name: &str,
    variant: Variant,
    settings: checker::emulator::Settings,
) -> checker::emulator::Emulator {
    use checker::stack::{Stack, StackOptions};
    let workshop = workshop();
    let exercise = workshop.find(name).unwrap();
    let file = workshop.dir(exercise, variant).join("serverless.yml");
    let mut stack = Stack::load(&file, &StackOptions::default()).unwrap();
    for function in &mut stack.functions {
        function.binary = variant.binary(&function.binary);
    }
    let names: std::collections::BTreeSet<String> =
        stack.functions.iter().map(|f| f.binary.clone()).collect();
    let dir = stack.dir.clone();
    let built = tokio::task::spawn_blocking(move || {
        checker::cargo_build::build(&dir, &names, checker::cargo_build::Diagnostics::Capture)
    })
    .await
    .unwrap()
    .expect("the solution builds");
    checker::emulator::Emulator::start(&stack, &built, settings)
        .await
        .unwrap()
}
