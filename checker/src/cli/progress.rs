//! What the learner has done, kept across runs in `.checker/state.toml` (as
//! rustlings keeps its state file): the exercises that passed, with a hash of
//! their files at the time, and how many hint stages each has shown. An
//! exercise counts as done while it passed and its files are unchanged since.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use checker::exercises::{Exercise, Variant, Workshop};
use checker::report::HintShown;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The checker's own folder in the workshop, git-ignored: the state file and backups.
pub(crate) fn checker_dir(workshop: &Workshop) -> PathBuf {
    workshop.root.join(".checker")
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct State {
    #[serde(default)]
    exercises: BTreeMap<String, ExerciseState>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct ExerciseState {
    /// How many hint stages the learner has been shown.
    #[serde(default)]
    hints_seen: usize,
    /// The hash of the exercise's files when it last passed; removed when it fails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    passed_with: Option<String>,
}

#[derive(Debug)]
pub(crate) struct Progress {
    path: PathBuf,
    state: State,
}

impl Progress {
    /// The saved progress, or none yet. A file that cannot be read is named
    /// and set aside: progress starts again rather than the check failing.
    pub(crate) fn load(workshop: &Workshop) -> Self {
        let path = checker_dir(workshop).join("state.toml");
        let state = match std::fs::read_to_string(&path) {
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => State::default(),
            Err(error) => {
                eprintln!(
                    "warning: cannot read {} ({error}); progress starts again",
                    path.display()
                );
                State::default()
            }
            Ok(text) => toml::from_str(&text).unwrap_or_else(|error| {
                eprintln!(
                    "warning: {} is not valid ({error}); progress starts again",
                    path.display()
                );
                State::default()
            }),
        };
        Self { path, state }
    }

    /// Writes the state file; a failure is only a warning: the check's verdict stands.
    pub(crate) fn save(&self) {
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
    pub(crate) fn is_done(&self, workshop: &Workshop, exercise: &Exercise) -> bool {
        self.state
            .exercises
            .get(&exercise.name)
            .and_then(|state| state.passed_with.as_deref())
            .is_some_and(|hash| hash == files_hash(&workshop.dir(exercise, Variant::Learner)))
    }

    /// How many exercises are done.
    pub(crate) fn done_count(&self, workshop: &Workshop) -> usize {
        workshop
            .exercises
            .iter()
            .filter(|exercise| self.is_done(workshop, exercise))
            .count()
    }

    /// Records a check of `exercise` whose files hashed to `hash` before it ran.
    pub(crate) fn record(&mut self, exercise: &Exercise, passed: bool, hash: String) {
        let state = self
            .state
            .exercises
            .entry(exercise.name.clone())
            .or_default();
        state.passed_with = passed.then_some(hash);
    }

    /// How many hint stages of `exercise` the learner has been shown.
    pub(crate) fn hints_seen(&self, exercise: &Exercise) -> usize {
        self.state
            .exercises
            .get(&exercise.name)
            .map_or(0, |state| state.hints_seen)
    }

    /// The next hint stage the learner has not seen, counted as seen now.
    pub(crate) fn next_hint(&mut self, exercise: &Exercise) -> HintShown {
        let state = self
            .state
            .exercises
            .entry(exercise.name.clone())
            .or_default();
        let of = exercise.hints.len();
        match exercise.hints.get(state.hints_seen) {
            Some(text) => {
                state.hints_seen += 1;
                HintShown::Stage {
                    number: state.hints_seen,
                    of,
                    text: text.clone(),
                }
            }
            None => HintShown::AllSeen { of },
        }
    }

    /// Counts every hint stage of `exercise` as seen.
    pub(crate) fn saw_all_hints(&mut self, exercise: &Exercise) {
        let state = self
            .state
            .exercises
            .entry(exercise.name.clone())
            .or_default();
        state.hints_seen = exercise.hints.len();
    }
}

/// The first hint stage, for reports that keep no progress (solutions, deployments).
pub(crate) fn first_hint(exercise: &Exercise) -> Option<HintShown> {
    exercise.hints.first().map(|text| HintShown::Stage {
        number: 1,
        of: exercise.hints.len(),
        text: text.clone(),
    })
}

/// A hash of every file of the exercise folder `dir` (paths and contents),
/// build output (`target/`) and hidden folders (`.serverless/`) left out.
pub(crate) fn files_hash(dir: &Path) -> String {
    let mut hasher = Sha256::new();
    for relative in super::files::files_under(dir).unwrap_or_default() {
        if relative
            .components()
            .any(|part| part.as_os_str().to_string_lossy().starts_with('.'))
        {
            continue;
        }
        let Ok(bytes) = std::fs::read(dir.join(&relative)) else {
            continue;
        };
        // Lengths first, so that no two different trees hash alike.
        let path = relative.to_string_lossy();
        hasher.update((path.len() as u64).to_le_bytes());
        hasher.update(path.as_bytes());
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(&bytes);
    }
    hasher
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}
