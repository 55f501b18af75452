//! What `watch` hears from the learner's folders: a save, or a change to a
//! file only an editor writes (a swap file, a backup, vim's `4913`), which
//! starts nothing. Build output under `target/` is neither, and neither is
//! a file merely read: inotify reports every open, and the debouncer drops
//! the events' kinds, so reads are left out before it (`ChangesOnly`).
//! Otherwise each look at the files (`watch`'s own fingerprint, cargo's
//! build) woke the watcher again, without end, and an editor's file heard
//! in the same batch as those reads was taken for a save.

use std::path::{Path, PathBuf};
use std::time::Duration;

use checker::workshop::{Variant, Workshop, editor_file};
use notify_debouncer_mini::notify::event::{AccessKind, AccessMode};
use notify_debouncer_mini::notify::{
    self, Event, EventHandler, EventKind, RecommendedWatcher, RecursiveMode, Watcher, WatcherKind,
};
use notify_debouncer_mini::{Config, DebounceEventResult, Debouncer, new_debouncer_opt};
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
    _debouncer: Debouncer<ChangesOnly>,
    pub(super) heard: UnboundedReceiver<Change>,
}

impl Changes {
    pub(super) fn watch(workshop: &Workshop) -> anyhow::Result<Self> {
        Self::watch_folder(&workshop.root.join(Variant::Learner.folder()))
    }

    fn watch_folder(exercises: &Path) -> anyhow::Result<Self> {
        let exercises = exercises.to_owned();
        let (tell, heard) = tokio::sync::mpsc::unbounded_channel();
        let inside = exercises.clone();
        let on_batch = move |result: DebounceEventResult| {
            let Ok(events) = result else {
                return;
            };
            if let Some(change) = classify(&inside, events.iter().map(|event| event.path.as_path()))
            {
                let _ = tell.send(change);
            }
        };
        let mut debouncer =
            new_debouncer_opt::<_, ChangesOnly>(Config::default().with_timeout(SETTLE), on_batch)?;
        debouncer
            .watcher()
            .watch(&exercises, RecursiveMode::Recursive)?;
        Ok(Self {
            _debouncer: debouncer,
            heard,
        })
    }
}

/// The platform's watcher, passing on changes only: a file opened or
/// closed without writing is no change (a close after writing is kept).
struct ChangesOnly(RecommendedWatcher);

impl Watcher for ChangesOnly {
    fn new<F: EventHandler>(mut handler: F, config: notify::Config) -> notify::Result<Self> {
        let changes_only = move |event: notify::Result<Event>| {
            if !matches!(&event, Ok(event) if read_only(&event.kind)) {
                handler.handle_event(event);
            }
        };
        RecommendedWatcher::new(changes_only, config).map(Self)
    }

    fn watch(&mut self, path: &Path, recursive_mode: RecursiveMode) -> notify::Result<()> {
        self.0.watch(path, recursive_mode)
    }

    fn unwatch(&mut self, path: &Path) -> notify::Result<()> {
        self.0.unwatch(path)
    }

    fn kind() -> WatcherKind {
        RecommendedWatcher::kind()
    }
}

/// An event that says a file was looked at, not changed.
fn read_only(kind: &EventKind) -> bool {
    matches!(kind, EventKind::Access(access)
        if *access != AccessKind::Close(AccessMode::Write))
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

    /// The real watcher on a real folder: reading the files (as the
    /// fingerprint and cargo do) is heard as nothing, an editor's swap file
    /// read along with them is still only the editor's, and a write is a save.
    #[tokio::test]
    async fn reads_are_not_heard_and_an_editors_file_among_them_stays_the_editors() {
        let folder = tempfile::tempdir().expect("a scratch folder");
        let exercises = folder.path();
        let src = exercises.join("01-connect/src");
        std::fs::create_dir_all(&src).expect("a scratch folder takes folders");
        let learners = src.join("on-connect.rs");
        std::fs::write(&learners, "fn main() {}").expect("a scratch file");
        let mut changes = Changes::watch_folder(exercises).expect("the folder is watched");
        let read_everything = || {
            for _ in 0..3 {
                std::fs::read(&learners).expect("the file reads");
                let _ = std::fs::read_dir(&src).map(Iterator::count);
            }
        };
        let heard_within = async |changes: &mut Changes, wait: Duration| {
            tokio::time::timeout(wait, changes.heard.recv())
                .await
                .ok()
                .flatten()
        };

        read_everything();
        assert_eq!(heard_within(&mut changes, SETTLE * 4).await, None);

        std::fs::write(src.join(".on-connect.rs.swp"), "vim's swap").expect("a scratch file");
        read_everything();
        assert_eq!(
            heard_within(&mut changes, Duration::from_secs(30)).await,
            Some(Change::EditorsOnly(PathBuf::from(
                "01-connect/src/.on-connect.rs.swp"
            )))
        );

        std::fs::write(&learners, "fn main() { println!(); }").expect("a scratch file");
        assert_eq!(
            heard_within(&mut changes, Duration::from_secs(30)).await,
            Some(Change::Saved)
        );
    }
}
