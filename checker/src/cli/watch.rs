//! `checker watch`: checks the learner's current exercise whenever one of its
//! files changes, until it passes, then moves on to the next.

use std::process::ExitCode;
use std::time::Duration;

use checker::exercises::Variant;
use notify_debouncer_mini::notify::RecursiveMode;
use notify_debouncer_mini::{DebounceEventResult, new_debouncer};

use super::check::{self, Format};

/// Editors write a file in several steps; wait for them to settle.
const SETTLE: Duration = Duration::from_millis(300);

pub(crate) async fn run() -> anyhow::Result<ExitCode> {
    let workshop = super::workshop()?;
    let (changes, mut changed) = tokio::sync::mpsc::unbounded_channel();
    let mut debouncer = new_debouncer(SETTLE, move |result: DebounceEventResult| {
        if let Ok(events) = result {
            let relevant = events.iter().any(|event| {
                !event
                    .path
                    .components()
                    .any(|part| part.as_os_str() == "target")
            });
            if relevant {
                let _ = changes.send(());
            }
        }
    })?;
    let mut watched = None;
    loop {
        let results = check::check_all(
            &workshop,
            &workshop.exercises,
            Variant::Learner,
            true,
            Format::Human,
        )
        .await;
        check::print_human(&workshop, &results, Variant::Learner, true)?;
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
        tokio::select! {
            _ = changed.recv() => {}
            _ = tokio::signal::ctrl_c() => return Ok(ExitCode::FAILURE),
        }
        while changed.try_recv().is_ok() {}
        println!("\n{}\n", "-".repeat(60));
    }
}
