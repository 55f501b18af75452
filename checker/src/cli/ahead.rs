//! Building ahead, as the command line drives it: whether to, what the
//! learner reads when it starts, stepping it aside before a check builds,
//! and `checker build-ahead`, the background process itself.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use checker::cargo_build::ahead::{self, AheadOutcome, AheadRequest};
use checker::grade::{self, Graded};
use checker::workshop::Workshop;

/// How long a check waits for a build ahead to step aside.
const STEP_ASIDE: Duration = Duration::from_secs(10);

#[derive(Debug, clap::Args)]
pub(crate) struct BuildAheadArgs {
    /// The learner's state folder (`.checker/`).
    #[arg(long)]
    state: PathBuf,
    /// The binaries to build.
    #[arg(long = "bin", value_name = "NAME")]
    binaries: Vec<String>,
}

/// `checker build-ahead`, from the workshop's root.
pub(crate) async fn run(args: BuildAheadArgs) -> anyhow::Result<ExitCode> {
    let request = AheadRequest {
        workspace: std::env::current_dir()?,
        state_dir: args.state,
        binaries: args.binaries.into_iter().collect(),
    };
    let outcome = tokio::task::spawn_blocking(move || ahead::supervise(&request)).await??;
    Ok(match outcome {
        AheadOutcome::Finished | AheadOutcome::SteppedAside => ExitCode::SUCCESS,
        AheadOutcome::Failed => ExitCode::FAILURE,
    })
}

/// Whether a learner's check builds ahead: `CHECKER_BUILD_AHEAD=1` or `0`
/// says; else at a terminal, and not under CI.
fn wanted() -> bool {
    match std::env::var("CHECKER_BUILD_AHEAD").as_deref() {
        Ok("1" | "on" | "yes") => true,
        Ok(_) => false,
        Err(_) => std::io::stderr().is_terminal() && std::env::var_os("CI").is_none(),
    }
}

/// Before a check builds: a build ahead steps aside (it is started again after).
pub(crate) fn step_aside(workshop: &Workshop) {
    ahead::stop(&workshop.checker_dir(), STEP_ASIDE);
}

/// After a learner's check: the exercises after the last one checked are
/// built in the background; what to tell the learner, once per start.
pub(crate) fn start_after(workshop: &Workshop, results: &[Graded]) -> Option<String> {
    let last = results.last()?;
    if !wanted() {
        return None;
    }
    let checker = std::env::current_exe().ok()?;
    match grade::ahead::start(workshop, &last.exercise, &checker) {
        Ok(Some(started)) => Some(told(&started.exercises)),
        Ok(None) => None,
        Err(error) => {
            tracing::warn!(%error, "cannot build ahead");
            None
        }
    }
}

/// What the learner reads when a build ahead starts.
fn told(exercises: &[String]) -> String {
    let (which, need) = match exercises {
        [one] => (format!("exercise {one}"), "needs"),
        [first, .., last] => (format!("exercises {first} to {last}"), "need"),
        [] => (String::from("the exercises ahead"), "need"),
    };
    let first = if cfg!(target_os = "linux") {
        "a cargo of yours always goes first"
    } else {
        "a `cargo run` meanwhile may wait for it"
    };
    format!(
        "Meanwhile, what {which} {need} (the AWS SDK) builds in the background at low priority: \
         {ESTIMATE}, once; {first} (log: .checker/build-ahead.log)."
    )
}

/// What `scripts/bench-cold` measured on 2 cores (docs/benchmarks.md: 97 s
/// alone, 570 s while other builds ran on them).
const ESTIMATE: &str = "about 2 minutes on 2 cores, longer while other builds run";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_exercises_built_ahead() {
        let text = told(&["02".into(), "03".into(), "05".into()]);
        assert!(text.contains("what exercises 02 to 05 need"), "{text}");
        assert!(told(&["05".into()]).contains("what exercise 05 needs"));
    }
}
