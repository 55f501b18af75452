//! The one way to get a running stack from a `serverless.yml`: load it, name
//! and build its Lambdas, start the emulator. Grading, `serve`, the tests and
//! the benchmarks all launch stacks here.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use crate::cargo_build::{self, BuildError, Diagnostics, Profile};
use crate::emulator::{Emulator, EmulatorError, Settings};
use crate::stack::{Stack, StackError, StackOptions};

/// What to start: a stack file, which copy of the code, how to get the binaries.
#[derive(Debug, Clone)]
pub struct Launch {
    pub file: PathBuf,
    pub options: StackOptions,
    /// Appended to each artifact's stem to name its cargo binary: the
    /// workshop's solutions carry `-solution` (`workshop::Variant::binary_suffix`).
    pub binary_suffix: &'static str,
    pub settings: Settings,
    pub binaries: Binaries,
    /// Where cargo builds from: by default the stack's folder (its crate).
    /// The workshop's shipped stubs are built by the stub store's crate,
    /// their own `Cargo.toml` being the learner's copy, no workspace member.
    pub cargo_dir: Option<PathBuf>,
}

/// Where the Lambdas' executables come from.
#[derive(Debug, Clone)]
pub enum Binaries {
    /// `cargo build` them now (nothing to do when they are up to date).
    Build {
        diagnostics: Diagnostics,
        profile: Profile,
    },
    /// Already built: cargo binary name -> executable (tests build their
    /// fixtures once for many stacks).
    Built(BTreeMap<String, PathBuf>),
}

impl Launch {
    /// `file` as the learner's code, built in the dev profile with the
    /// compiler's messages kept for a report, on a free port.
    pub fn new(file: impl Into<PathBuf>) -> Self {
        Self {
            file: file.into(),
            options: StackOptions::default(),
            binary_suffix: "",
            settings: Settings {
                port: 0,
                ..Settings::default()
            },
            binaries: Binaries::Build {
                diagnostics: Diagnostics::Capture,
                profile: Profile::Dev,
            },
            cargo_dir: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Stack(#[from] StackError),
    #[error(transparent)]
    Build(#[from] BuildError),
    #[error(transparent)]
    Emulator(#[from] EmulatorError),
    #[error("the build stopped unexpectedly: {0}")]
    BuildTask(#[from] tokio::task::JoinError),
}

/// A stack read and its binaries named, before anything is built or started.
#[derive(Debug)]
pub struct Plan {
    pub stack: Stack,
    /// The cargo binaries its functions run.
    pub binaries: BTreeSet<String>,
    launch: Launch,
}

impl Plan {
    /// Reads `launch.file` and names the binaries of its functions.
    pub fn new(launch: &Launch) -> Result<Self, StartError> {
        let mut stack = Stack::load(&launch.file, &launch.options)?;
        for function in &mut stack.functions {
            function.binary = format!("{}{}", function.binary, launch.binary_suffix);
        }
        let binaries = stack.functions.iter().map(|f| f.binary.clone()).collect();
        Ok(Self {
            stack,
            binaries,
            launch: launch.clone(),
        })
    }

    /// Builds what is needed and starts the emulator.
    pub async fn start(self) -> Result<RunningStack, StartError> {
        let built = match self.launch.binaries {
            Binaries::Built(executables) => cargo_build::Built {
                executables,
                warnings: Vec::new(),
            },
            Binaries::Build {
                diagnostics,
                profile,
            } => {
                let own = self.stack.dir.clone();
                let dir = self.launch.cargo_dir.unwrap_or_else(|| own.clone());
                let names = self.binaries;
                tokio::task::spawn_blocking(move || {
                    cargo_build::build_with_warnings(&dir, &own, &names, diagnostics, profile)
                })
                .await??
            }
        };
        let emulator =
            Emulator::start(&self.stack, &built.executables, self.launch.settings).await?;
        Ok(RunningStack {
            stack: self.stack,
            emulator,
            warnings: built.warnings,
        })
    }
}

/// A stack served by the emulator, its Lambdas running.
pub struct RunningStack {
    pub stack: Stack,
    pub emulator: Emulator,
    /// The compiler's warnings about the stack's own crates, when it built them.
    pub warnings: Vec<String>,
}

impl RunningStack {
    /// Loads, builds and starts `launch`.
    pub async fn start(launch: &Launch) -> Result<Self, StartError> {
        Plan::new(launch)?.start().await
    }

    /// Where clients connect: `ws://127.0.0.1:{port}/{stage}`.
    pub fn url(&self) -> String {
        self.emulator.websocket_url()
    }

    /// The live console: `http://127.0.0.1:{port}/@console/`.
    pub fn console_url(&self) -> String {
        self.emulator.console_url()
    }

    /// Stops serving and ends every Lambda process.
    pub async fn shutdown(self) {
        self.emulator.shutdown().await;
    }
}
