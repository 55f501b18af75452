//! One exercise as `exercises/info.toml` lists it, and which copy of it to use.

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

/// Which copy of an exercise to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// `exercises/`: the learner's copy.
    Learner,
    /// `solutions/`: the reference solution, whose binaries end in `-solution`.
    Solution,
    /// `checker/stubs/`: the stub as the workshop ships it, whatever the
    /// learner's copy holds now; built by the stub store's own crate
    /// (`checker/stubs/Cargo.toml`), whose binaries end in `-stub`.
    Stub,
}

impl Variant {
    pub fn folder(self) -> &'static str {
        match self {
            Self::Learner => "exercises",
            Self::Solution => "solutions",
            Self::Stub => "checker/stubs",
        }
    }

    /// The cargo binary built for the artifact `target/lambda/<stem>.zip`:
    /// solutions share the workspace with the exercises, so their binaries
    /// carry a suffix to keep names unique.
    pub fn binary(self, stem: &str) -> String {
        format!("{stem}{}", self.binary_suffix())
    }

    /// What [`Variant::binary`] appends to an artifact's stem.
    pub fn binary_suffix(self) -> &'static str {
        match self {
            Self::Learner => "",
            Self::Solution => "-solution",
            Self::Stub => "-stub",
        }
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
