//! What `watch` hears from the learner's folders: a save, or a change to a
//! file only an editor writes (a swap file, a backup, vim's `4913`), which
//! starts nothing. Build output under `target/` is neither.

use std::path::{Path, PathBuf};
use std::time::Duration;

use checker::workshop::{Variant, Workshop, editor_file};
use notify_debouncer_mini::notify::{RecommendedWatcher, RecursiveMode};
use notify_debouncer_mini::{DebounceEventResult, Debouncer, new_debouncer};
use tokio::sync::mpsc::UnboundedReceiver;

/// Editors write a file in several steps; wait for them to settle.
const SETTLE: Duration = Duration::from_millis(300);

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Change {
    /// A file of the learner's changed (or seemed to: its contents decide).
    Saved,
    /// Only an editor's files changed; the path is relative to `exercises/`.
    EditorsOnly(PathBuf),
}

/// Watches the learner's `exercises/` folder; dropping it stops the watching.
pub(super) struct Changes {
    _debouncer: Debouncer<RecommendedWatcher>,
    pub(super) heard: UnboundedReceiver<Change>,
}

impl Changes {
    pub(super) fn watch(workshop: &Workshop) -> anyhow::Result<Self> {
        let exercises = workshop.root.join(Variant::Learner.folder());
        let (tell, heard) = tokio::sync::mpsc::unbounded_channel();
        let inside = exercises.clone();
        let mut debouncer = new_debouncer(SETTLE, move |result: DebounceEventResult| {
            let Ok(events) = result else {
                return;
            };
            if let Some(change) = classify(&inside, events.iter().map(|event| event.path.as_path()))
            {
                let _ = tell.send(change);
            }
        })?;
        debouncer
            .watcher()
            .watch(&exercises, RecursiveMode::Recursive)?;
        Ok(Self {
            _debouncer: debouncer,
            heard,
        })
    }
}

/// What a batch of changed paths under `exercises` amounts to: a save if
/// any is the learner's, else the editor's file, if any.
fn classify<'p>(exercises: &Path, paths: impl Iterator<Item = &'p Path>) -> Option<Change> {
    let mut editors = None;
    for path in paths {
        let inside = path.strip_prefix(exercises).unwrap_or(path);
        if inside.components().any(|part| part.as_os_str() == "target") {
            continue;
        }
        if editor_file(inside) {
            editors = Some(inside.to_owned());
        } else {
            return Some(Change::Saved);
        }
    }
    editors.map(Change::EditorsOnly)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_save_wins_over_editors_files_and_build_output_is_nothing() {
        let root = Path::new("/w/exercises");
        let paths = |names: &[&str]| names.iter().map(|name| root.join(name)).collect::<Vec<_>>();
        let classify_names =
            |names: &[&str]| classify(root, paths(names).iter().map(PathBuf::as_path));
        assert_eq!(
            classify_names(&[
                "01-connect/src/.on-connect.rs.swp",
                "01-connect/src/on-connect.rs"
            ]),
            Some(Change::Saved)
        );
        assert_eq!(
            classify_names(&["01-connect/src/4913"]),
            Some(Change::EditorsOnly(PathBuf::from("01-connect/src/4913")))
        );
        assert_eq!(classify_names(&["01-connect/target/debug/x"]), None);
    }
}
