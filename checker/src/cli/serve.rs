//! `checker serve [EXERCISE] [--solutions]`: the stack on a local port, with
//! the Lambdas' logs streamed to the terminal and the live console's URL.

mod log;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::bail;
use checker::cargo_build::{Diagnostics, Profile};
use checker::launch::{Binaries, Launch, Plan};
use checker::workshop::{BuiltFrom, Variant};

use super::Solutions;

const DEFAULT_PORT: u16 = 3001;
/// What the first character of each line of the log means (`log::describe`).
const LEGEND: &str = "Log: + connected  - disconnected  x rejected by $connect  > from a client  < to a client  ! a Lambda failed, or a likely slip  = table write  [function] its output";

#[derive(Debug, clap::Args)]
#[command(mut_arg("solutions", |arg| arg.help(
    "Serve the exercise's reference solution instead of your copy"
)))]
pub(crate) struct ServeArgs {
    /// An exercise to serve, by name or number (`02`, `02-there-and-back-again`);
    /// the repository's root `serverless.yml` when left out.
    exercise: Option<String>,
    #[command(flatten)]
    solutions: Solutions,
    /// Serve any `serverless.yml` whose functions are binaries of a cargo workspace.
    #[arg(long, short = 'c', value_name = "FILE", conflicts_with_all = ["exercise", "solutions"])]
    config: Option<PathBuf>,
    /// Port for WebSocket clients and the management API; 0 picks a free one.
    #[arg(long, default_value_t = DEFAULT_PORT)]
    port: u16,
    /// The stage, as `serverless deploy --stage` would take it.
    #[arg(long)]
    stage: Option<String>,
    /// Use this DynamoDB-compatible service (e.g. `http://127.0.0.1:8000`)
    /// instead of the emulator's own tables.
    #[arg(long, value_name = "URL")]
    dynamodb_endpoint: Option<String>,
}

impl Default for ServeArgs {
    fn default() -> Self {
        Self {
            exercise: None,
            solutions: Solutions::default(),
            config: None,
            port: DEFAULT_PORT,
            stage: None,
            dynamodb_endpoint: None,
        }
    }
}

pub(crate) async fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let variant = args.solutions.variant();
    let (file, built_from) = match &args.config {
        Some(file) => (file.clone(), None),
        None => stack_file(args.exercise.as_deref(), variant)?,
    };
    let mut launch = Launch::new(&file);
    launch.options.stage = args.stage.clone();
    launch.binary_suffix = variant.binary_suffix();
    launch.settings.port = args.port;
    launch.settings.dynamodb_endpoint = args.dynamodb_endpoint.clone();
    launch.binaries = Binaries::Build {
        diagnostics: Diagnostics::Inherit,
        profile: Profile::Dev,
    };
    let plan = Plan::new(&launch)?;
    eprintln!("Building {} for {}", join(&plan.binaries), file.display());
    let contents = built_from.as_ref().map(BuiltFrom::freshen);
    let local = plan.start().await?;
    if let (Some(built_from), Some(contents)) = (&built_from, &contents) {
        built_from.record(contents);
    }
    let mut events = local.emulator.events().subscribe();
    let url = local.url();
    let stack = &local.stack;
    let log = log::ServeLog::start();
    log.line(format!(
        "Serving {} (stage {}) at {url}",
        stack.service, stack.stage
    ));
    for route in &stack.routes {
        log.line(format!("  {:<14} -> {}", route.key, route.function));
    }
    log.line(format!(
        "Connect with:\n  wscat -c {url}\nWatch it live (and replay, open clients):\n  {}\nStop with Ctrl-C.",
        local.console_url()
    ));
    log.line(LEGEND.to_owned());

    let stopped = shutdown_signal();
    tokio::pin!(stopped);
    loop {
        tokio::select! {
            () = &mut stopped => break,
            event = events.recv() => match event {
                Some(event) => log.event(&event),
                None => break,
            },
        }
    }
    eprintln!("Stopping: ending the Lambda processes.");
    local.shutdown().await;
    Ok(ExitCode::SUCCESS)
}

/// The `serverless.yml` to serve: the root one, or an exercise's or
/// solution's, with the record of what was last built from its folder.
fn stack_file(
    exercise: Option<&str>,
    variant: Variant,
) -> anyhow::Result<(PathBuf, Option<BuiltFrom>)> {
    let workshop = super::workshop()?;
    let Some(asked) = exercise else {
        if variant == Variant::Solution {
            bail!("`--solutions` needs an exercise: `checker serve 02 --solutions`");
        }
        return Ok((workshop.root.join("serverless.yml"), None));
    };
    let exercise = workshop.find(asked)?;
    Ok((
        workshop.dir(exercise, variant).join("serverless.yml"),
        Some(BuiltFrom::new(&workshop, exercise, variant)),
    ))
}

fn join(names: &BTreeSet<String>) -> String {
    names
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(signal) => signal,
                Err(_) => {
                    let _ = interrupt.await;
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}
