//! `checker watch`: checks the learner's current exercise whenever one of its
//! files changes, until it passes, then moves on to the next.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use checker::exercises::Variant;
use notify_debouncer_mini::notify::RecursiveMode;
use notify_debouncer_mini::{DebounceEventResult, new_debouncer};

use super::check::{self, Format};
use super::progress::Progress;

/// Editors write a file in several steps; wait for them to settle.
const SETTLE: Duration = Duration::from_millis(300);

pub(crate) async fn run() -> anyhow::Result<ExitCode> {
    let workshop = super::workshop()?;
    let exercises_dir = workshop.root.join(Variant::Learner.folder());
    let (changes, mut changed) = tokio::sync::mpsc::unbounded_channel();
    let mut debouncer = new_debouncer(SETTLE, move |result: DebounceEventResult| {
        if let Ok(events) = result {
            // Build output under an exercise's own `target/` is not an edit.
            let relevant = events.iter().any(|event| {
                let inside = event
                    .path
                    .strip_prefix(&exercises_dir)
                    .unwrap_or(&event.path);
                !inside.components().any(|part| part.as_os_str() == "target")
            });
            if relevant {
                let _ = changes.send(());
            }
        }
    })?;
    let mut watched = None;
    let mut class = super::class::link(&workshop);
    loop {
        // What this check reads: an edit saved while it runs (before the
        // watcher below is on the folder) starts the next check too.
        let checked: HashMap<PathBuf, Fingerprint> = workshop
            .exercises
            .iter()
            .map(|exercise| {
                let dir = workshop.dir(exercise, Variant::Learner);
                let files = fingerprint(&dir);
                (dir, files)
            })
            .collect();
        let options = check::CheckOptions {
            variant: Variant::Learner,
            stop_at_failure: true,
            format: Format::Human,
            dynamodb_endpoint: None,
        };
        // Like `cargo run -p checker`: from the first exercise not done.
        let mut progress = Progress::load(&workshop);
        let done = workshop
            .exercises
            .iter()
            .take_while(|exercise| progress.is_done(&workshop, exercise))
            .count();
        let (unchanged, chosen) = workshop.exercises.split_at(done);
        let results = check::check_all(&workshop, chosen, &options, Some(&mut progress)).await;
        let walk = check::Walk {
            unchanged,
            walking: true,
        };
        check::print_human(
            &workshop,
            &results,
            Variant::Learner,
            &walk,
            Some(&mut progress),
        )?;
        progress.save();
        super::class::send(&mut class, &results, &progress).await;
        let Some(current) = results.iter().find(|graded| !graded.verdict.passed()) else {
            return Ok(ExitCode::SUCCESS);
        };
        let dir = workshop.dir(&current.exercise, Variant::Learner);
        if watched.as_ref() != Some(&dir) {
            if let Some(old) = watched.take() {
                debouncer.watcher().unwatch(&old)?;
            }
            debouncer.watcher().watch(&dir, RecursiveMode::Recursive)?;
            watched = Some(dir.clone());
        }
        println!(
            "\nWatching {} for changes (Ctrl-C to stop) ...",
            dir.display()
        );
        // Reading a file (cargo does) also wakes the watcher: only a real
        // change of a file's size or time starts a new check.
        let before = checked.get(&dir).cloned().unwrap_or_default();
        while fingerprint(&dir) == before {
            tokio::select! {
                _ = changed.recv() => {}
                _ = tokio::signal::ctrl_c() => return Ok(ExitCode::FAILURE),
            }
            while changed.try_recv().is_ok() {}
        }
        println!("\n{}\n", "-".repeat(60));
    }
}

/// Each file's path, size and modification time, `target/` left out.
type Fingerprint = Vec<(PathBuf, u64, Option<SystemTime>)>;

fn fingerprint(dir: &Path) -> Fingerprint {
    super::files::files_under(dir)
        .unwrap_or_default()
        .into_iter()
        .map(|relative| {
            let metadata = std::fs::metadata(dir.join(&relative)).ok();
            let size = metadata.as_ref().map_or(0, std::fs::Metadata::len);
            let modified = metadata.and_then(|metadata| metadata.modified().ok());
            (relative, size, modified)
        })
        .collect()
}
