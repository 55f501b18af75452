//! Warm check time: a one-file edit in a scratch copy of the workshop, then
//! `checker check 02` until the verdict.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::Context;

/// The exercise file the benchmark edits.
const EDITED: &str = "exercises/02-there-and-back-again/src/on-message.rs";
/// Names never copied into the scratch workshop.
const SKIPPED: [&str; 5] = ["target", ".git", ".tools", ".serverless", ".checker"];

pub struct Scratch {
    pub root: PathBuf,
    pub target_dir: PathBuf,
    pub checker: PathBuf,
}

pub struct Timed {
    pub time: Duration,
    pub passed: bool,
}

impl Scratch {
    /// `<repo>/target/bench/workshop` (copied once, the solution of 02 applied)
    /// and its own cargo target directory `<repo>/target/bench/warm-target`.
    pub fn prepare(repo: &Path, checker: &Path) -> anyhow::Result<Self> {
        let bench = repo.join("target/bench");
        let scratch = Self {
            root: bench.join("workshop"),
            target_dir: bench.join("warm-target"),
            checker: checker.to_owned(),
        };
        if !scratch.root.join("Cargo.toml").exists() {
            copy_tree(repo, &scratch.root)
                .with_context(|| format!("copying the workshop to {}", scratch.root.display()))?;
            let applied = scratch.command(&["solution", "02", "--apply"]).status()?;
            anyhow::ensure!(applied.success(), "`checker solution 02 --apply` failed");
        }
        Ok(scratch)
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(&self.checker);
        command
            .args(args)
            .current_dir(&self.root)
            .env("CHECKER_ROOT", &self.root)
            .env("CARGO_TARGET_DIR", &self.target_dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        command
    }

    /// `checker check 02`, timed to its exit.
    pub fn check(&self) -> anyhow::Result<Timed> {
        let started = Instant::now();
        let status = self.command(&["check", "02"]).status()?;
        Ok(Timed {
            time: started.elapsed(),
            passed: status.success(),
        })
    }

    /// Edits the exercise's Lambda source (a new comment line), then checks.
    pub fn edit_and_check(&self) -> anyhow::Result<Timed> {
        let file = self.root.join(EDITED);
        let mut text = std::fs::read_to_string(&file)?;
        let stamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        text.push_str(&format!("// benchmark edit {stamp}\n"));
        std::fs::write(&file, text)?;
        self.check()
    }
}

fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name();
        if SKIPPED.iter().any(|skipped| name == *skipped) {
            continue;
        }
        let kind = entry.file_type()?;
        let target = to.join(&name);
        if kind.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else if kind.is_file() {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}
