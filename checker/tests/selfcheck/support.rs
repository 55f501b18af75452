//! Checking exercises, solutions and variants as the checker does.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use checker::grade::{self, Failure, Graded, Submission, Verdict};
use checker::launch::{Launch, RunningStack};
use checker::report::{HumanReport, Next};
use checker::workshop::{Exercise, Nudge, Variant, Workshop};

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

/// The target folder of the learners' scratch copies (`flow`, `screen`),
/// fixed so that later runs build incrementally, and the right to use it:
/// one copy's build at a time, or one would grade the other's binaries.
pub fn learners_target() -> (MutexGuard<'static, ()>, PathBuf) {
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    let guard = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let target_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("learner-flow/target");
    (guard, target_dir)
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
    grade::check_local(&Submission::of(&workshop, exercise, variant)).await
}

/// Checks a variant's `serverless.yml` (`checker/tests/variants/`) as exercise `name`.
pub async fn check_variant(name: &str, file: &str) -> Graded {
    check_file(name, &root().join("checker/tests/variants").join(file)).await
}

pub async fn check_file(name: &str, file: &Path) -> Graded {
    let submission = Submission::new(&exercise(name), Variant::Learner, file);
    grade::check_local(&submission).await
}

pub fn failure(graded: &Graded) -> &Failure {
    match &graded.verdict {
        Verdict::Failed(failure) => failure,
        other => panic!("expected a failed step, got {other:#?}"),
    }
}

/// Asserts that the failure's notes (the report's explanations) say each of `expected`.
pub fn assert_notes_say(failure: &Failure, expected: &[&str]) {
    let notes = failure.notes.join("\n");
    for text in expected {
        assert!(notes.contains(text), "{text}\n{notes}");
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
    // What a learner who has seen no hint yet reads: the first stage.
    let hint_of = |exercise: &Exercise| Nudge::after(exercise, 0);
    let mut text = Vec::new();
    HumanReport {
        unchanged: &[],
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

/// The expected transcripts, which the checker compiles in: `checker/snapshots/`.
pub fn transcript_snapshots() -> insta::Settings {
    snapshots_in(root().join("checker/snapshots"))
}

/// The reports only these tests compare: `checker/tests/selfcheck/snapshots/`.
pub fn report_snapshots() -> insta::Settings {
    snapshots_in(root().join("checker/tests/selfcheck/snapshots"))
}

fn snapshots_in(dir: PathBuf) -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(dir);
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings
}

/// Every file under `dir` (but `target/`) with its bytes, sorted by path.
pub fn files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    walk(dir)
        .filter(|entry| entry.file_type().is_file())
        .map(|entry| {
            let relative = entry.path().strip_prefix(dir).unwrap().to_owned();
            (relative, std::fs::read(entry.path()).unwrap())
        })
        .collect()
}

/// Whether the learner's copy of `exercise` is still the stub as shipped
/// (`checker/stubs/`): checks of `exercises/` that expect a stub's failure
/// hold only then, never against a learner's work.
pub fn as_shipped(exercise: &str) -> bool {
    let name = &self::exercise(exercise).name;
    let shipped = files(&root().join("exercises").join(name))
        == files(&root().join("checker/stubs").join(name));
    if !shipped {
        eprintln!(
            "exercises/{name} holds a learner's work: its stub's failure is not checked there"
        );
    }
    shipped
}

/// How two folders' files (as [`files`] lists them) differ, as text: a
/// unified diff per file that differs, a line per file only one side has.
pub fn text_differences(
    left_name: &str,
    left: &[(PathBuf, Vec<u8>)],
    right_name: &str,
    right: &[(PathBuf, Vec<u8>)],
) -> String {
    let mut paths: Vec<&PathBuf> = left.iter().chain(right).map(|(path, _)| path).collect();
    paths.sort();
    paths.dedup();
    let find = |side: &[(PathBuf, Vec<u8>)], path: &PathBuf| {
        side.iter()
            .find(|(other, _)| other == path)
            .map(|(_, bytes)| String::from_utf8_lossy(bytes).into_owned())
    };
    let mut text = String::new();
    for path in paths {
        let shown = path.display();
        match (find(left, path), find(right, path)) {
            (Some(a), Some(b)) if a != b => {
                let diff = similar::TextDiff::from_lines(&a, &b);
                text.push_str(
                    &diff
                        .unified_diff()
                        .header(
                            &format!("{left_name}/{shown}"),
                            &format!("{right_name}/{shown}"),
                        )
                        .to_string(),
                );
            }
            (Some(_), None) => text.push_str(&format!("only in {left_name}: {shown}\n")),
            (None, Some(_)) => text.push_str(&format!("only in {right_name}: {shown}\n")),
            _ => {}
        }
    }
    text
}

/// `dir` and everything under it, sorted by path, but what git ignores or
/// keeps: `target/`, `.git/`, the checker's `.checker/`, and the tools the
/// scripts install (`.tools/`, with symlinks into system folders) or
/// Serverless writes (`.serverless/`).
pub fn walk(dir: &Path) -> impl Iterator<Item = walkdir::DirEntry> {
    walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|entry| {
            !(entry.file_type().is_dir()
                && ["target", ".git", ".checker", ".tools", ".serverless"]
                    .map(std::ffi::OsStr::new)
                    .contains(&entry.file_name()))
        })
        .map(Result::unwrap)
}

/// Builds and starts an exercise's stack, as `checker serve` would.
pub async fn serve(
    name: &str,
    variant: Variant,
    settings: checker::emulator::Settings,
) -> RunningStack {
    let workshop = workshop();
    let exercise = workshop.find(name).unwrap();
    let mut launch = Launch::new(workshop.dir(exercise, variant).join("serverless.yml"));
    launch.binary_suffix = variant.binary_suffix();
    launch.settings = settings;
    RunningStack::start(&launch)
        .await
        .expect("the stack starts")
}
