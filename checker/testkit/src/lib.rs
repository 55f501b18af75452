//! What the checker's tests and benchmarks share: the fixture Lambdas
//! (`fixtures/`) built once per process, local stacks started on them, and
//! the echo load that counts every message, headless Chromium for the console.

pub mod browser;
pub mod load;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use checker::cargo_build::{self, Diagnostics, Profile};
use checker::emulator::Settings;
use checker::launch::{Binaries, Launch, RunningStack};

/// The WebSocket URL `checker serve` prints (`Serving … at ws://…`), read
/// from its stdout's lines; the lines after it are left to the caller.
pub fn serve_url(
    lines: &mut impl Iterator<Item = std::io::Result<String>>,
) -> anyhow::Result<String> {
    for line in lines {
        if let Some((_, url)) = line?.split_once(" at ws://") {
            return Ok(format!("ws://{url}"));
        }
    }
    anyhow::bail!("`checker serve` ended before printing its URL")
}

/// The fixture Lambdas every test stack runs.
pub const FIXTURES: [&str; 3] = ["fixture-lambda", "fixture-echo", "fixture-authorizer"];

/// The checker crate's folder, where the test stacks' paths start.
pub fn checker_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

/// The fixture Lambdas in `profile`, built on first use and kept for the
/// rest of the process: many stacks start on one build.
pub fn fixtures(profile: Profile) -> anyhow::Result<BTreeMap<String, PathBuf>> {
    static BUILT: Mutex<BTreeMap<bool, BTreeMap<String, PathBuf>>> = Mutex::new(BTreeMap::new());
    let release = profile == Profile::Release;
    let mut built = BUILT.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(binaries) = built.get(&release) {
        return Ok(binaries.clone());
    }
    let names: BTreeSet<String> = FIXTURES.iter().map(|name| (*name).to_owned()).collect();
    let binaries = cargo_build::build(checker_dir(), &names, Diagnostics::Capture, profile)
        .map_err(|error| match error {
            cargo_build::BuildError::Failed { diagnostics } => {
                anyhow::anyhow!("the fixture Lambdas do not build:\n{diagnostics}")
            }
            other => other.into(),
        })?;
    built.insert(release, binaries.clone());
    Ok(binaries)
}

/// Starts the stack `file` (relative to the checker crate) on the fixture
/// Lambdas built in `profile`.
pub async fn start(
    file: &str,
    settings: Settings,
    profile: Profile,
) -> anyhow::Result<RunningStack> {
    let binaries = tokio::task::spawn_blocking(move || fixtures(profile)).await??;
    let mut launch = Launch::new(checker_dir().join(file));
    launch.settings = settings;
    launch.binaries = Binaries::Built(binaries);
    Ok(RunningStack::start(&launch).await?)
}
