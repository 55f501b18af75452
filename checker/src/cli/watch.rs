//! `checker watch`: checks the learner's exercises whenever one of their
//! files is saved, as rustlings' watch mode does. On a terminal it is one
//! screen, drawn afresh on every check (`screen`): the verdict and failing
//! step first, the diff and the reasons below, keys for the next hint, the
//! list of exercises, a re-run, a reset and quitting. Without a terminal it
//! prints each report in turn (`plain`). Either way it stays open after the
//! last exercise passes, and an editor's temporary files start nothing
//! (`changes`).

mod changes;
mod plain;
mod screen;

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use checker::class::link::Link;
use checker::grade::{self, Graded};
use checker::workshop::{self, Exercise, Progress, Variant, Workshop};

pub(crate) async fn run() -> anyhow::Result<ExitCode> {
    let workshop = super::workshop()?;
    if std::io::stdout().is_terminal() && std::io::stdin().is_terminal() {
        screen::run(workshop).await
    } else {
        plain::run(workshop).await
    }
}

/// One walk through the workshop, as `cargo run -p checker` makes it: from
/// the first exercise not done up to the first that fails.
struct Walked {
    /// Exercises not checked again: done before, unchanged since.
    unchanged: Vec<Exercise>,
    results: Vec<Graded>,
    progress: Progress,
    /// Each exercise folder's fingerprint when the walk started: a save
    /// that changes one starts the next walk.
    fingerprints: Fingerprints,
}

impl Walked {
    /// The exercise the learner is on: the first that failed.
    fn failing(&self) -> Option<&Graded> {
        self.results.iter().find(|graded| !graded.verdict.passed())
    }
}

/// Each learner's exercise folder, and its fingerprint.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Fingerprints(BTreeMap<PathBuf, String>);

impl Fingerprints {
    fn now(workshop: &Workshop) -> Self {
        Self(
            workshop
                .exercises
                .iter()
                .map(|exercise| {
                    let dir = workshop.dir(exercise, Variant::Learner);
                    let fingerprint = workshop::fingerprint(&dir);
                    (dir, fingerprint)
                })
                .collect(),
        )
    }
}

/// Walks the workshop; `silent` draws no build progress (the screen is
/// drawn instead), and `starting` hears of each exercise as its check starts.
async fn walk(workshop: &Workshop, silent: bool, starting: impl FnMut(&Exercise)) -> Walked {
    // Taken before the checks: a save made while they run starts the next walk.
    let fingerprints = Fingerprints::now(workshop);
    super::ahead::step_aside(workshop);
    let options = grade::CheckOptions {
        variant: Variant::Learner,
        stop_at_failure: true,
        dynamodb_endpoint: None,
        silent_build: silent,
    };
    let mut progress = Progress::load(workshop);
    let (unchanged, chosen) = progress.walk(workshop);
    let (unchanged, chosen) = (unchanged.to_vec(), chosen.to_vec());
    let results =
        grade::check_each(workshop, &chosen, &options, Some(&mut progress), starting).await;
    Walked {
        unchanged,
        results,
        progress,
        fingerprints,
    }
}

/// Saves the walk's progress (with the hints it showed), sends its results
/// to the class view, if the learner joined one, and builds the next
/// exercises ahead; returns what to tell the learner of either, if anything.
async fn finish(workshop: &Workshop, walked: &Walked, class: &mut Option<Link>) -> Option<String> {
    walked.progress.save();
    let class_said = super::class::send(class, &walked.results, &walked.progress).await;
    let ahead_said = super::ahead::start_after(workshop, &walked.results);
    match (class_said, ahead_said) {
        (Some(class), Some(ahead)) => Some(format!("{class} {ahead}")),
        (class, ahead) => class.or(ahead),
    }
}
