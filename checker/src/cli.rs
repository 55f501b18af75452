//! Command-line arguments and the commands they run.

mod serve;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "checker",
    version,
    about = "Runs the workshop's API Gateway WebSocket API and Lambdas on your machine."
)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Build the Lambdas and serve a stack locally: WebSocket API, Lambdas, @connections.
    Serve(serve::ServeArgs),
}

pub(crate) async fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        Some(Command::Serve(serve)) => serve::run(serve).await,
        None => serve::run(serve::ServeArgs::default()).await,
    }
}

/// The repository the checker was built from: where `serverless.yml`,
/// `exercises/` and `solutions/` live.
pub(crate) fn repository_root() -> PathBuf {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .map(PathBuf::from)
        .unwrap_or(manifest_dir)
}
