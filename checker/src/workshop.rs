//! The workshop: its exercises in order (`exercises/info.toml`), where each
//! one's files are, and what the learner has done with them. The command
//! line asks; this module knows.
//!
//! - `exercise`: an exercise, and which copy of it (the learner's, the solution).
//! - `progress`: what passed and which hints were seen (`.checker/state.toml`).
//! - `hints`: each exercise's hint, in stages: a nudge, then the API, the code
//!   last; a report shows the nudge, `hint` the rest.
//! - `files`: an exercise folder's files and their fingerprint.
//! - `built`: what was last built from each folder, so that a file restored
//!   with an older time is rebuilt all the same.
//! - `restore`: the stub or the solution copied over the learner's files,
//!   whatever they replace kept first (`backups`), and kept files brought back.

mod backups;
mod built;
mod exercise;
mod files;
mod hints;
mod progress;
mod restore;

use std::path::{Path, PathBuf};

use serde::Deserialize;

pub use self::built::{BuiltFrom, Contents};
pub use self::exercise::{Exercise, Variant};
pub use self::files::{editor_file, fingerprint};
pub use self::hints::{HintShown, Nudge};
pub use self::progress::Progress;
pub use self::restore::{Reset, Restored, apply_solution, reset, restore_backup, solution_files};

#[derive(Debug, Deserialize)]
struct InfoFile {
    exercises: Vec<Exercise>,
}

#[derive(Debug, Clone)]
pub struct Workshop {
    pub root: PathBuf,
    pub exercises: Vec<Exercise>,
}

#[derive(Debug, thiserror::Error)]
pub enum WorkshopError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not valid: {message}")]
    Invalid { path: PathBuf, message: String },
    #[error("there is no exercise \"{asked}\". The exercises are: {known}")]
    Unknown { asked: String, known: String },
    #[error(
        "{} is not inside the workshop: no folder from here up holds exercises/info.toml. Run the \
         checker from your clone of the workshop (or any folder in it), or set CHECKER_ROOT to it",
        start.display()
    )]
    NotFound { start: PathBuf },
}

impl Workshop {
    pub fn load(root: &Path) -> Result<Self, WorkshopError> {
        let path = root.join("exercises").join("info.toml");
        let text = std::fs::read_to_string(&path).map_err(|source| WorkshopError::Read {
            path: path.clone(),
            source,
        })?;
        let info: InfoFile = toml::from_str(&text).map_err(|error| WorkshopError::Invalid {
            path: path.clone(),
            message: error.to_string(),
        })?;
        if let Some(bare) = info.exercises.iter().find(|e| e.hints.is_empty()) {
            return Err(WorkshopError::Invalid {
                path,
                message: format!("{} has no hints: give it `hints = [\"…\"]`", bare.name),
            });
        }
        Ok(Self {
            root: root.to_owned(),
            exercises: info.exercises,
        })
    }

    /// The workshop that holds `start`: the nearest folder from `start` up
    /// with `exercises/info.toml`, as rustlings finds its `info.toml`.
    pub fn discover(start: &Path) -> Result<Self, WorkshopError> {
        let root = start
            .ancestors()
            .find(|dir| dir.join("exercises").join("info.toml").is_file())
            .ok_or_else(|| WorkshopError::NotFound {
                start: start.to_owned(),
            })?;
        Self::load(root)
    }

    /// Finds an exercise by full name or number: `02`, `2`, `02-there-and-back-again`.
    pub fn find(&self, asked: &str) -> Result<&Exercise, WorkshopError> {
        let number = asked.parse::<u32>().ok();
        self.exercises
            .iter()
            .find(|exercise| {
                exercise.name == asked || number.is_some_and(|n| exercise.number() == Some(n))
            })
            .ok_or_else(|| WorkshopError::Unknown {
                asked: asked.to_owned(),
                known: self
                    .exercises
                    .iter()
                    .map(|exercise| exercise.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    pub fn dir(&self, exercise: &Exercise, variant: Variant) -> PathBuf {
        self.root.join(variant.folder()).join(&exercise.name)
    }

    /// The checker's own folder in the workshop, git-ignored: the state file and backups.
    pub fn checker_dir(&self) -> PathBuf {
        self.root.join(".checker")
    }

    /// The stub of `exercise` as the workshop ships it: `checker/stubs/<exercise>`.
    pub fn stubs_dir(&self, exercise: &Exercise) -> PathBuf {
        self.dir(exercise, Variant::Stub)
    }
}
