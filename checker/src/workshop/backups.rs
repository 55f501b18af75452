//! Before the checker writes over a learner's files (`reset`, `solution
//! --apply`), it keeps the ones that change in `.checker/backups/`.

use std::path::{Path, PathBuf};

use super::files::copy;
use super::{Exercise, Workshop};

/// Copies each of `files` that exists in `target` and differs from its
/// replacement in `source` to `.checker/backups/<date>-<why>-<exercise>/`,
/// before anything is overwritten. Returns that folder, if anything was kept.
pub(super) fn keep_replaced(
    workshop: &Workshop,
    exercise: &Exercise,
    why: &str,
    (source, target): (&Path, &Path),
    files: &[PathBuf],
) -> anyhow::Result<Option<PathBuf>> {
    let replaced: Vec<&PathBuf> = files
        .iter()
        .filter(|relative| {
            let current = std::fs::read(target.join(relative)).ok();
            current.is_some() && current != std::fs::read(source.join(relative)).ok()
        })
        .collect();
    if replaced.is_empty() {
        return Ok(None);
    }
    let stamp = chrono::Local::now().format("%Y-%m-%d_%H-%M-%S");
    let backups = workshop.checker_dir().join("backups");
    let mut folder = backups.join(format!("{stamp}-{why}-{}", exercise.name));
    for attempt in 2.. {
        if !folder.exists() {
            break;
        }
        folder = backups.join(format!("{stamp}-{why}-{}-{attempt}", exercise.name));
    }
    for relative in replaced {
        copy(&target.join(relative), &folder.join(relative))?;
    }
    Ok(Some(folder))
}
