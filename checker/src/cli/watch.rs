//! `checker watch`: checks the learner's current exercise whenever one of its
//! files changes, until it passes, then moves on to the next.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use checker::grade::{self, Graded};
use checker::report::Walk;
use checker::workshop::{self, Progress, Variant, Workshop};
use notify_debouncer_mini::notify::RecommendedWatcher;
use notify_debouncer_mini::notify::RecursiveMode;
use notify_debouncer_mini::{DebounceEventResult, Debouncer, new_debouncer};
use tokio::sync::mpsc::UnboundedReceiver;

use super::check::{self, Format};
use checker::class::link::Link;

/// Editors write a file in several steps; wait for them to settle.
const SETTLE: Duration = Duration::from_millis(300);

pub(crate) async fn run() -> anyhow::Result<ExitCode> {
    let workshop = super::workshop()?;
    let (mut debouncer, mut changed) = watcher(&workshop)?;
    let mut watched = None;
    let mut class = super::class::link(&workshop);
    loop {
        // What this check reads: an edit saved while it runs (before the
        // watcher below is on the folder) starts the next check too.
        let checked: HashMap<PathBuf, String> = workshop
            .exercises
            .iter()
            .map(|exercise| {
                let dir = workshop.dir(exercise, Variant::Learner);
                let fingerprint = workshop::fingerprint(&dir);
                (dir, fingerprint)
            })
            .collect();
        super::ahead::step_aside(&workshop);
        let results = check_walk(&workshop, &mut class).await?;
        super::ahead::start_after(&workshop, &results);
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
        // Reading a file (cargo does) also wakes the watcher: only a change
        // of the learner's files starts a new check.
        let before = checked.get(&dir).cloned().unwrap_or_default();
        while workshop::fingerprint(&dir) == before {
            tokio::select! {
                _ = changed.recv() => {}
                _ = tokio::signal::ctrl_c() => return Ok(ExitCode::FAILURE),
            }
            while changed.try_recv().is_ok() {}
        }
        println!("\n{}\n", "-".repeat(60));
    }
}

/// A watcher of the learner's exercise folders (on none yet), and the
/// channel it signals changes on; build output under `target/` is not an edit.
fn watcher(
    workshop: &Workshop,
) -> anyhow::Result<(Debouncer<RecommendedWatcher>, UnboundedReceiver<()>)> {
    let exercises_dir = workshop.root.join(Variant::Learner.folder());
    let (changes, changed) = tokio::sync::mpsc::unbounded_channel();
    let debouncer = new_debouncer(SETTLE, move |result: DebounceEventResult| {
        if let Ok(events) = result {
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
    Ok((debouncer, changed))
}

/// Like `cargo run -p checker`: from the first exercise not done, up to the
/// first that fails, reported with progress.
async fn check_walk(workshop: &Workshop, class: &mut Option<Link>) -> anyhow::Result<Vec<Graded>> {
    let options = grade::CheckOptions {
        variant: Variant::Learner,
        stop_at_failure: true,
        dynamodb_endpoint: None,
    };
    let mut progress = Progress::load(workshop);
    let (unchanged, chosen) = progress.walk(workshop);
    let results = check::check_each(
        workshop,
        chosen,
        &options,
        Format::Human,
        Some(&mut progress),
    )
    .await;
    let walk = Walk {
        unchanged,
        walking: true,
    };
    check::print_human(
        workshop,
        &results,
        Variant::Learner,
        &walk,
        Some(&mut progress),
    )?;
    progress.save();
    super::class::send(class, &results, &progress).await;
    Ok(results)
}
