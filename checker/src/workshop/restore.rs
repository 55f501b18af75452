//! `reset` and `solution`: the stub as shipped, or the reference solution,
//! copied over the learner's copy of an exercise; `restore`: the files one of
//! them kept, copied back. Files each replaces are kept first (`backups`).

use std::path::{Path, PathBuf};

use anyhow::Context;

use super::backups::keep_replaced;
use super::files::{copy, files_under, hidden};
use super::{Exercise, Variant, Workshop};

/// Files a solution brings that must not replace the learner's: its
/// `Cargo.toml` names the package and binaries differently (`-solution`).
const KEEP_ON_APPLY: &[&str] = &["Cargo.toml"];

/// What copying over the learner's files did.
#[derive(Debug)]
pub struct Restored {
    /// The files copied, relative to the exercise folder.
    pub files: Vec<PathBuf>,
    /// Where the learner's files as they were are kept, if any changed.
    pub kept: Option<PathBuf>,
}

/// What `reset` did.
#[derive(Debug)]
pub struct Reset {
    pub restored: Restored,
    /// The learner's files the stub has not (hidden ones left out): left as they are.
    pub left: Vec<PathBuf>,
}

/// Restores the stub as shipped: the copies in `checker/stubs/<exercise>`.
/// Files it replaces are kept in a dated folder first; files the stub does
/// not have are left as they are, and named.
pub fn reset(workshop: &Workshop, exercise: &Exercise) -> anyhow::Result<Reset> {
    let stubs = workshop.stubs_dir(exercise);
    let target = workshop.dir(exercise, Variant::Learner);
    let files = files_under(&stubs)?;
    let restored = copy_over(workshop, exercise, "reset", (&stubs, &target), files)?;
    let left = files_under(&target)?
        .into_iter()
        .filter(|file| !restored.files.contains(file) && !hidden(file))
        .collect();
    Ok(Reset { restored, left })
}

/// The reference solution's files (its `Cargo.toml` left out), relative to
/// its folder, and their text.
pub fn solution_files(
    workshop: &Workshop,
    exercise: &Exercise,
) -> anyhow::Result<Vec<(PathBuf, String)>> {
    let solution = workshop.dir(exercise, Variant::Solution);
    applied_files(&solution)?
        .into_iter()
        .map(|relative| {
            let path = solution.join(&relative);
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            Ok((relative, text))
        })
        .collect()
}

/// Copies the reference solution over the learner's files, keeping what it replaces.
pub fn apply_solution(workshop: &Workshop, exercise: &Exercise) -> anyhow::Result<Restored> {
    let solution = workshop.dir(exercise, Variant::Solution);
    let target = workshop.dir(exercise, Variant::Learner);
    let files = applied_files(&solution)?;
    copy_over(workshop, exercise, "solution", (&solution, &target), files)
}

/// Copies the files a `reset` or `solution --apply` kept in `backup` back
/// over the learner's copy of the exercise they came from (named in the
/// folder's name), keeping what they replace first. Returns the exercise.
pub fn restore_backup(workshop: &Workshop, backup: &Path) -> anyhow::Result<(Exercise, Restored)> {
    let folder = backup
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    if !backup.is_dir() {
        anyhow::bail!(
            "{} is not a folder of kept files: `reset` and `solution --apply` name theirs (in .checker/backups/)",
            backup.display()
        );
    }
    let exercise = workshop
        .exercises
        .iter()
        .filter(|exercise| folder.contains(&format!("-{}", exercise.name)))
        .max_by_key(|exercise| exercise.name.len())
        .ok_or_else(|| {
            anyhow::anyhow!(
                "{} names no exercise: its folder name ends with the exercise's, as `reset` and `solution --apply` make it",
                backup.display()
            )
        })?
        .clone();
    let target = workshop.dir(&exercise, Variant::Learner);
    let files = files_under(backup)?;
    let restored = copy_over(workshop, &exercise, "restore", (backup, &target), files)?;
    Ok((exercise, restored))
}

fn applied_files(solution: &Path) -> anyhow::Result<Vec<PathBuf>> {
    Ok(files_under(solution)?
        .into_iter()
        .filter(|file| !KEEP_ON_APPLY.iter().any(|kept| file == Path::new(kept)))
        .collect())
}

/// Keeps what `files` replace in `target`, then copies them from `source`.
fn copy_over(
    workshop: &Workshop,
    exercise: &Exercise,
    why: &str,
    (source, target): (&Path, &Path),
    files: Vec<PathBuf>,
) -> anyhow::Result<Restored> {
    let kept = keep_replaced(workshop, exercise, why, (source, target), &files)?;
    for relative in &files {
        copy(&source.join(relative), &target.join(relative))?;
    }
    Ok(Restored { files, kept })
}
