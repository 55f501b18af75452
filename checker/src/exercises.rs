//! The workshop's exercises: their order, titles and hints from
//! `exercises/info.toml`, and where each one's files are.
//!
//! Each exercise's hints come in stages, as the learner needs them: a nudge
//! first, then the API to use, the code last.

use std::path::{Path, PathBuf};

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct Exercise {
    /// The folder name, e.g. `02-there-and-back-again`.
    pub name: String,
    pub title: String,
    pub goal: String,
    /// The hint's stages, in the order they are shown.
    pub hints: Vec<String>,
}

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

/// Which copy of an exercise to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// `exercises/`: the learner's copy.
    Learner,
    /// `solutions/`: the reference solution, whose binaries end in `-solution`.
    Solution,
}

impl Variant {
    pub fn folder(self) -> &'static str {
        match self {
            Self::Learner => "exercises",
            Self::Solution => "solutions",
        }
    }

    /// The cargo binary built for the artifact `target/lambda/<stem>.zip`:
    /// solutions share the workspace with the exercises, so their binaries
    /// carry a suffix to keep names unique.
    pub fn binary(self, stem: &str) -> String {
        match self {
            Self::Learner => stem.to_owned(),
            Self::Solution => format!("{stem}-solution"),
        }
    }
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
}

impl Exercise {
    /// What the learner types: `02` for `02-there-and-back-again`.
    pub fn short_name(&self) -> &str {
        self.name.split('-').next().unwrap_or(&self.name)
    }

    /// The leading number of the name: `2` for `02-there-and-back-again`.
    pub fn number(&self) -> Option<u32> {
        self.name.split('-').next()?.parse().ok()
    }
}
