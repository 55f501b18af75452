//! Command-line arguments and the commands they run: each command parses
//! its arguments, asks the workshop, grading or deploying modules of the
//! library, and prints what they answer.

mod ahead;
mod check;
mod class;
mod deploy;
mod exercise;
mod serve;
mod stack;
mod watch;

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use checker::workshop::{Variant, Workshop};
use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "checker",
    version,
    about = "Checks the workshop's exercises in a local API Gateway WebSocket API and Lambda, and serves them.",
    after_help = "With no command, checks the exercises in order and stops at the first that fails."
)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check exercises: the ones named, or all in order up to the first that fails.
    Check(check::CheckArgs),
    /// Show the next stage of an exercise's hint (a nudge, then the API, then the code).
    Hint {
        exercise: String,
        /// Show every stage.
        #[arg(long)]
        all: bool,
    },
    /// Restore an exercise's stub files as the workshop ships them (yours are kept in .checker/).
    Reset { exercise: String },
    /// Show an exercise's reference solution, or with --apply copy it over your files (kept in .checker/).
    Solution {
        exercise: String,
        #[arg(long)]
        apply: bool,
    },
    /// Bring back the files a `reset` or `solution --apply` kept (yours now are kept in turn).
    Restore {
        /// The folder it named, in .checker/backups/.
        backup: std::path::PathBuf,
    },
    /// Check the current exercise again each time one of its files changes.
    Watch,
    /// Run an exercise's scenario locally and against a deployed stack, and show where they differ.
    Compare(check::CompareArgs),
    /// Build the Lambdas and serve a stack locally: WebSocket API, Lambdas, @connections.
    Serve(serve::ServeArgs),
    /// Show how the checker reads a serverless.yml: routes, functions, DynamoDB tables.
    Stack(stack::StackArgs),
    /// Build an exercise's Lambdas, deploy it to AWS with Serverless v3 and check it there.
    Deploy(deploy::DeployArgs),
    /// Remove an exercise's deployment from AWS (also after a failed deploy).
    Remove(deploy::RemoveArgs),
    /// For instructors: a live page of who is done and who is stuck, fed by the learners' checks.
    Class(class::ClassArgs),
    /// Join the instructor's class view: each check then sends its result (never your code).
    Join(class::JoinArgs),
    /// Builds ahead, in the background, what the next exercises need (a check starts it).
    #[command(hide = true)]
    BuildAhead(ahead::BuildAheadArgs),
}

pub(crate) async fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        None => check::run(check::CheckArgs::default()).await,
        Some(Command::Check(check)) => check::run(check).await,
        Some(Command::Hint { exercise, all }) => exercise::hint(&exercise, all),
        Some(Command::Reset { exercise }) => exercise::reset(&exercise),
        Some(Command::Solution { exercise, apply }) => exercise::solution(&exercise, apply),
        Some(Command::Restore { backup }) => exercise::restore(&backup),
        Some(Command::Watch) => watch::run().await,
        Some(Command::Compare(compare)) => check::compare(compare).await,
        Some(Command::Serve(serve)) => serve::run(serve).await,
        Some(Command::Stack(stack)) => stack::run(&stack),
        Some(Command::Deploy(args)) => deploy::deploy(args).await,
        Some(Command::Remove(args)) => deploy::remove(args).await,
        Some(Command::Class(args)) => class::class(args).await,
        Some(Command::Join(args)) => class::join(args).await,
        Some(Command::BuildAhead(args)) => ahead::run(args).await,
    }
}

/// The workshop to work on: `CHECKER_ROOT` if set, else the nearest folder
/// from the current one up that holds `exercises/info.toml`, so a checker
/// built in one clone grades the clone it is run in.
pub(crate) fn workshop() -> anyhow::Result<Workshop> {
    if let Some(root) = std::env::var_os("CHECKER_ROOT") {
        return Ok(Workshop::load(Path::new(&root))?);
    }
    let here = std::env::current_dir().context("cannot read the current folder")?;
    Ok(Workshop::discover(&here)?)
}

/// `--solutions`: the reference solution (`solutions/`) instead of the
/// learner's copy (`exercises/`). Each command words its help with
/// `mut_arg("solutions", …)`.
#[derive(Debug, Default, Clone, Copy, clap::Args)]
pub(crate) struct Solutions {
    /// Use the reference solution instead of your copy.
    #[arg(long = "solutions")]
    solutions: bool,
}

impl Solutions {
    pub(crate) fn variant(self) -> Variant {
        if self.solutions {
            Variant::Solution
        } else {
            Variant::Learner
        }
    }
}
