//! What the learner has done, kept across runs in `.checker/state.toml` (as
//! rustlings keeps its state file): the exercises that passed, with the
//! fingerprint of their files at the time, and how many hint stages each has
//! shown. An exercise counts as done while it passed and its files are
//! unchanged since.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::files::fingerprint;
use super::{Exercise, HintShown, Nudge, Variant, Workshop};

#[derive(Debug, Default, Serialize, Deserialize)]
struct StateFile {
    #[serde(default)]
    exercises: BTreeMap<String, ExerciseState>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct ExerciseState {
    /// How many hint stages the learner has been shown.
    #[serde(default)]
    hints_seen: usize,
    /// The fingerprint of the exercise's files when it last passed; removed when it fails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    passed_with: Option<String>,
}

#[derive(Debug)]
pub struct Progress {
    path: PathBuf,
    state: StateFile,
}

impl Progress {
    /// The saved progress, or none yet. A file that cannot be read is named
    /// and set aside: progress starts again rather than the check failing.
    pub fn load(workshop: &Workshop) -> Self {
        let path = workshop.checker_dir().join("state.toml");
        let state = match std::fs::read_to_string(&path) {
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => StateFile::default(),
            Err(error) => {
                eprintln!(
                    "warning: cannot read {} ({error}); progress starts again",
                    path.display()
                );
                StateFile::default()
            }
            Ok(text) => toml::from_str(&text).unwrap_or_else(|error| {
                eprintln!(
                    "warning: {} is not valid ({error}); progress starts again",
                    path.display()
                );
                StateFile::default()
            }),
        };
        Self { path, state }
    }

    /// Writes the state file; a failure is only a warning: the check's verdict stands.
    pub fn save(&self) {
        if let Err(error) = self.try_save() {
            eprintln!(
                "warning: cannot save progress to {}: {error:#}",
                self.path.display()
            );
        }
    }

    fn try_save(&self) -> anyhow::Result<()> {
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let text = format!(
            "# The checker's record of your progress (`cargo run -p checker` reads it).\n\
             # Delete this file to start afresh.\n\n{}",
            toml::to_string(&self.state)?
        );
        // Written whole, then renamed: a check stopped half-way leaves the old file.
        let partial = self.path.with_extension("toml.partial");
        std::fs::write(&partial, text)?;
        std::fs::rename(&partial, &self.path)?;
        Ok(())
    }

    /// Whether `exercise` passed and its files have not changed since.
    pub fn is_done(&self, workshop: &Workshop, exercise: &Exercise) -> bool {
        self.state
            .exercises
            .get(&exercise.name)
            .and_then(|state| state.passed_with.as_deref())
            .is_some_and(|passed| passed == fingerprint(&workshop.dir(exercise, Variant::Learner)))
    }

    /// How many exercises are done.
    pub fn done_count(&self, workshop: &Workshop) -> usize {
        workshop
            .exercises
            .iter()
            .filter(|exercise| self.is_done(workshop, exercise))
            .count()
    }

    /// A walk through the workshop starts at the first exercise not done:
    /// the exercises before it, done, and the ones from it on.
    pub fn walk<'w>(&self, workshop: &'w Workshop) -> (&'w [Exercise], &'w [Exercise]) {
        let done = workshop
            .exercises
            .iter()
            .take_while(|exercise| self.is_done(workshop, exercise))
            .count();
        workshop.exercises.split_at(done)
    }

    /// Records a check of `exercise` whose files had the `fingerprint` before it ran.
    pub fn record(&mut self, exercise: &Exercise, passed: bool, fingerprint: String) {
        self.entry(exercise).passed_with = passed.then_some(fingerprint);
    }

    /// How many hint stages of `exercise` the learner has been shown.
    pub fn hints_seen(&self, exercise: &Exercise) -> usize {
        self.state
            .exercises
            .get(&exercise.name)
            .map_or(0, |state| state.hints_seen)
    }

    /// The next hint stage the learner has not seen, counted as seen now.
    pub fn next_hint(&mut self, exercise: &Exercise) -> HintShown {
        let state = self.entry(exercise);
        let hint = HintShown::after(exercise, state.hints_seen);
        if let HintShown::Stage { number, .. } = &hint {
            state.hints_seen = *number;
        }
        hint
    }

    /// The nudge a failing report shows, counted as seen now; the later
    /// stages stay for `hint` to show.
    pub fn nudge(&mut self, exercise: &Exercise) -> Option<Nudge> {
        let state = self.entry(exercise);
        let nudge = Nudge::after(exercise, state.hints_seen)?;
        state.hints_seen = state.hints_seen.max(1);
        Some(nudge)
    }

    /// Counts every hint stage of `exercise` as seen.
    pub fn saw_all_hints(&mut self, exercise: &Exercise) {
        self.entry(exercise).hints_seen = exercise.hints.len();
    }

    fn entry(&mut self, exercise: &Exercise) -> &mut ExerciseState {
        self.state
            .exercises
            .entry(exercise.name.clone())
            .or_default()
    }
}
