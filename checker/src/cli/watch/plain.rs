//! `watch` without a terminal (a pipe, an editor's task runner): each walk's
//! report printed in turn, ending with what `watch` waits for.

use std::process::ExitCode;

use checker::report::{Next, Walk};
use checker::workshop::{Variant, Workshop};

use super::changes::{Change, Changes};
use super::{Fingerprints, finish, walk};
use crate::cli::check;

pub(super) async fn run(workshop: Workshop) -> anyhow::Result<ExitCode> {
    let mut changes = Changes::watch(&workshop)?;
    let mut class = crate::cli::class::link(&workshop);
    loop {
        let mut walked = walk(&workshop, false, |exercise| {
            eprintln!("Checking {} ...", exercise.name);
        })
        .await;
        // Inside `watch`, the next step is a save, not a command.
        let next = match walked.failing() {
            Some(graded) => Next::Watch {
                dir: format!("{}/{}", Variant::Learner.folder(), graded.exercise.name),
            },
            None => Next::Done,
        };
        let walk_shown = Walk {
            unchanged: &walked.unchanged,
            walking: true,
        };
        check::print_human(
            &workshop,
            &walked.results,
            &walk_shown,
            next,
            Some(&mut walked.progress),
        )?;
        if let Some(line) = finish(&workshop, &walked, &mut class).await {
            println!("{line}");
        }
        if walked.failing().is_none() {
            println!("Still watching: a save checks every exercise again (Ctrl-C to stop).");
        }
        // A save that leaves the contents as they were (`:w` of an unchanged
        // file, a `touch`) starts nothing: only a change of a learner's
        // file's contents starts the next walk.
        while Fingerprints::now(&workshop) == walked.fingerprints {
            tokio::select! {
                change = changes.heard.recv() => match change {
                    Some(Change::Saved | Change::EditorsOnly(_)) => {}
                    None => return Ok(ExitCode::FAILURE),
                },
                _ = tokio::signal::ctrl_c() => return Ok(ExitCode::SUCCESS),
            }
            while changes.heard.try_recv().is_ok() {}
        }
        println!("\n{}\n", "-".repeat(60));
    }
}
