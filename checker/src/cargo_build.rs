//! Builds the Lambda binaries a stack needs, in one cargo invocation, and
//! keeps the compiler's warnings about the stack's own crates; and builds
//! ahead, in the background, what the next exercises will need ([`ahead`]).

pub mod ahead;
mod progress;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, IsTerminal};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::Deserialize;

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("cannot run cargo ({0}). Is the Rust toolchain installed and on PATH?")]
    Spawn(std::io::Error),
    /// Cargo already printed the compiler's messages (or they are in `diagnostics`).
    #[error("the Lambdas do not compile; fix the errors cargo printed above, then run this again")]
    Failed { diagnostics: String },
    #[error(
        "cargo built no binary named {0:?}. Each function's artifact `target/lambda/<name>.zip` must name a cargo binary of this workspace."
    )]
    MissingBinary(String),
}

/// Where the compiler's messages go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Diagnostics {
    /// Straight to the terminal, as cargo prints them.
    Inherit,
    /// Kept, rendered as cargo renders them, for a report.
    Capture,
    /// Kept as with `Capture`, and no progress drawn even on a terminal:
    /// the terminal shows something else (the watch screen).
    CaptureSilently,
}

#[derive(Deserialize)]
struct CargoMessage {
    reason: String,
    #[serde(default)]
    target: Option<CargoTarget>,
    #[serde(default)]
    executable: Option<PathBuf>,
    #[serde(default)]
    message: Option<RenderedMessage>,
}

/// The crate target (binary, library) a message of cargo's is about.
#[derive(Deserialize)]
struct CargoTarget {
    name: String,
    #[serde(default)]
    src_path: Option<PathBuf>,
}

#[derive(Deserialize)]
struct RenderedMessage {
    rendered: Option<String>,
    #[serde(default)]
    level: String,
}

/// Cargo's profile to build with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Profile {
    /// `dev`: what the checker builds learners' Lambdas with.
    #[default]
    Dev,
    /// `--release`, for benchmarks.
    Release,
}

/// What a successful build made.
#[derive(Debug, Clone, Default)]
pub struct Built {
    /// Each binary's executable.
    pub executables: BTreeMap<String, PathBuf>,
    /// The compiler's warnings about the crates under the build's folder, as
    /// cargo renders them (in colour), each once: code that compiles but
    /// likely does not do what was meant (a future never awaited, an unused
    /// variable).
    pub warnings: Vec<String>,
}

/// Builds `binaries` with cargo from `dir` (any folder of the workspace) and
/// returns each binary's executable path. While cargo works, a terminal
/// shows how far it is.
pub fn build(
    dir: &Path,
    binaries: &BTreeSet<String>,
    diagnostics: Diagnostics,
    profile: Profile,
) -> Result<BTreeMap<String, PathBuf>, BuildError> {
    build_with_warnings(dir, dir, binaries, diagnostics, profile).map(|built| built.executables)
}

/// Builds `binaries` like [`build`], and keeps the compiler's warnings about
/// the sources under `own` (the stack's folder): the learner's, not the SDK's.
pub fn build_with_warnings(
    dir: &Path,
    own: &Path,
    binaries: &BTreeSet<String>,
    diagnostics: Diagnostics,
    profile: Profile,
) -> Result<Built, BuildError> {
    // The learner sees the build move (cargo's own counts: a bar on a
    // terminal, else a line now and then) and hears why it waits, if it does.
    let show_progress = diagnostics == Diagnostics::Capture;
    let terminal = std::io::stderr().is_terminal();
    let mut child = cargo_build(dir, binaries, diagnostics, profile, show_progress)
        .spawn()
        .map_err(BuildError::Spawn)?;
    // Read stderr on its own thread so a full pipe cannot stall cargo.
    let stderr_reader = child.stderr.take().map(|err| {
        std::thread::spawn(move || {
            if show_progress {
                progress::follow(err, terminal)
            } else {
                let mut text = String::new();
                let mut err = err;
                let _ = std::io::Read::read_to_string(&mut err, &mut text);
                text
            }
        })
    });
    let own_dir = own.canonicalize().unwrap_or_else(|_| own.to_owned());
    let said = child
        .stdout
        .take()
        .map(|stdout| Said::read(stdout, &own_dir))
        .unwrap_or_default();
    let stderr = stderr_reader
        .and_then(|reader| reader.join().ok())
        .unwrap_or_default();
    let status = child.wait().map_err(BuildError::Spawn)?;
    if !status.success() {
        return Err(BuildError::Failed {
            diagnostics: said.rendered + &stderr,
        });
    }
    let executables = binaries
        .iter()
        .map(|name| {
            said.executables
                .get(name)
                .map(|path| (name.clone(), path.clone()))
                .ok_or_else(|| BuildError::MissingBinary(name.clone()))
        })
        .collect::<Result<_, _>>()?;
    Ok(Built {
        executables,
        warnings: said.warnings,
    })
}

/// `cargo build --workspace --bin …`, its messages as JSON on stdout.
fn cargo_build(
    dir: &Path,
    binaries: &BTreeSet<String>,
    diagnostics: Diagnostics,
    profile: Profile,
    show_progress: bool,
) -> Command {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    // `--workspace` resolves features as a whole-workspace build does, so the
    // Lambdas reuse what `cargo test --workspace` already compiled.
    command.current_dir(dir).args(["build", "--workspace"]);
    if profile == Profile::Release {
        command.arg("--release");
    }
    match diagnostics {
        Diagnostics::Inherit => command
            .arg("--message-format=json-render-diagnostics")
            .stderr(Stdio::inherit()),
        Diagnostics::Capture | Diagnostics::CaptureSilently => command
            .arg("--message-format=json-diagnostic-rendered-ansi")
            .stderr(Stdio::piped()),
    };
    if show_progress {
        // Cargo draws its progress only on a terminal unless told; its counts
        // are parsed by `progress`, and so is its word when it waits for a lock.
        command.env("CARGO_TERM_PROGRESS_WHEN", "always");
        command.env("CARGO_TERM_PROGRESS_WIDTH", "100");
    } else if diagnostics != Diagnostics::Inherit {
        command.arg("--quiet");
    }
    for binary in binaries {
        command.arg("--bin").arg(binary);
    }
    command.stdout(Stdio::piped()).stdin(Stdio::null());
    command
}

/// What cargo's JSON messages say.
#[derive(Default)]
struct Said {
    /// Each binary built, and its executable.
    executables: BTreeMap<String, PathBuf>,
    /// Warnings about the crates under the build's folder, each once.
    warnings: Vec<String>,
    /// Every compiler message, as cargo renders it.
    rendered: String,
}

impl Said {
    fn read(stdout: impl std::io::Read, own_dir: &Path) -> Self {
        let mut said = Self::default();
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let Ok(message) = serde_json::from_str::<CargoMessage>(&line) else {
                continue;
            };
            match message.reason.as_str() {
                "compiler-artifact" => {
                    if let (Some(target), Some(executable)) = (message.target, message.executable) {
                        said.executables.insert(target.name, executable);
                    }
                }
                "compiler-message" => {
                    let Some(compiler) = message.message else {
                        continue;
                    };
                    let Some(text) = compiler.rendered else {
                        continue;
                    };
                    let own = message
                        .target
                        .and_then(|target| target.src_path)
                        .is_some_and(|path| path.starts_with(own_dir));
                    // A module shared by several binaries warns once per binary.
                    if own && compiler.level == "warning" && !said.warnings.contains(&text) {
                        said.warnings.push(text.clone());
                    }
                    said.rendered.push_str(&text);
                }
                _ => {}
            }
        }
        said
    }
}

/// Where cargo builds in a workspace, as `cargo metadata` says.
#[derive(Debug, Deserialize)]
pub struct CargoDirs {
    /// The target folder (`target/`, or `CARGO_TARGET_DIR`).
    pub target_directory: PathBuf,
    /// The build folder, when set apart (`build.build-dir`).
    #[serde(default)]
    pub build_directory: Option<PathBuf>,
}

/// `cargo metadata --no-deps` in `workspace`: where cargo builds there.
pub fn cargo_dirs(workspace: &Path) -> std::io::Result<CargoDirs> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(workspace)
        .stdin(Stdio::null())
        .output()?;
    if !output.status.success() {
        return Err(std::io::Error::other(format!(
            "`cargo metadata` failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    serde_json::from_slice(&output.stdout).map_err(std::io::Error::other)
}
