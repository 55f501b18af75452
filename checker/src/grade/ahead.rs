//! After a check, the exercises still ahead of the learner are built in the
//! background ([`crate::cargo_build::ahead`]), so that the first check of
//! each of them does not wait on the AWS SDK.

use std::collections::BTreeSet;
use std::path::Path;

use crate::cargo_build::ahead::{self, AheadRequest, Started};
use crate::launch::{Launch, Plan};
use crate::workshop::{Exercise, Variant, Workshop};

/// What started, for the learner to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildingAhead {
    /// The exercises built ahead (short names: `02`, `03` ...).
    pub exercises: Vec<String>,
}

/// Starts building the learner's copies of the exercises after `last` (the
/// last one checked) in the background, with `checker` (this program's
/// executable). `None` when there is nothing ahead, when it already runs or
/// when everything ahead is built.
pub fn start(
    workshop: &Workshop,
    last: &Exercise,
    checker: &Path,
) -> std::io::Result<Option<BuildingAhead>> {
    let ahead: Vec<&Exercise> = workshop
        .exercises
        .iter()
        .skip_while(|exercise| exercise.name != last.name)
        .skip(1)
        .collect();
    let mut binaries = BTreeSet::new();
    let mut exercises = Vec::new();
    for exercise in ahead {
        let file = workshop
            .dir(exercise, Variant::Learner)
            .join("serverless.yml");
        // A stack file the learner is halfway through editing names no
        // binaries yet: its exercise is built at its own check.
        if let Ok(plan) = Plan::new(&Launch::new(file)) {
            binaries.extend(plan.binaries);
            exercises.push(exercise.short_name().to_owned());
        }
    }
    if binaries.is_empty() {
        return Ok(None);
    }
    let request = AheadRequest {
        workspace: workshop.root.clone(),
        state_dir: workshop.checker_dir(),
        binaries,
    };
    Ok(match ahead::start(&request, checker)? {
        Started::Started => Some(BuildingAhead { exercises }),
        Started::Running | Started::UpToDate => None,
    })
}
