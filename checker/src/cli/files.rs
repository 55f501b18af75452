//! `hint`, `reset` and `solution`: the exercise's files and help.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use checker::exercises::{Exercise, Variant, Workshop};

/// Files a solution brings that must not replace the learner's: its
/// `Cargo.toml` names the package and binaries differently (`-solution`).
const KEEP_ON_APPLY: &[&str] = &["Cargo.toml"];

pub(crate) fn hint(asked: &str) -> anyhow::Result<ExitCode> {
    let workshop = super::workshop()?;
    let exercise = workshop.find(asked)?;
    println!(
        "{} ({})\n\n{}",
        exercise.name,
        exercise.title,
        exercise.hint.trim_end()
    );
    Ok(ExitCode::SUCCESS)
}

/// Restores the stub as shipped: the copies in `checker/stubs/<exercise>`.
pub(crate) fn reset(asked: &str) -> anyhow::Result<ExitCode> {
    let workshop = super::workshop()?;
    let exercise = workshop.find(asked)?;
    let stubs = stubs_dir(&workshop, exercise);
    let target = workshop.dir(exercise, Variant::Learner);
    let files = files_under(&stubs)?;
    for relative in &files {
        copy(&stubs.join(relative), &target.join(relative))?;
    }
    println!(
        "Restored {} file(s) of {} to the stub: {}",
        files.len(),
        exercise.name,
        list(&files)
    );
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn solution(asked: &str, apply: bool) -> anyhow::Result<ExitCode> {
    let workshop = super::workshop()?;
    let exercise = workshop.find(asked)?;
    let solution = workshop.dir(exercise, Variant::Solution);
    let files: Vec<PathBuf> = files_under(&solution)?
        .into_iter()
        .filter(|file| !KEEP_ON_APPLY.iter().any(|kept| file == Path::new(kept)))
        .collect();
    if !apply {
        for relative in &files {
            let text = std::fs::read_to_string(solution.join(relative))
                .with_context(|| format!("cannot read {}", solution.join(relative).display()))?;
            println!(
                "==> solutions/{}/{} <==\n{text}",
                exercise.name,
                relative.display()
            );
        }
        println!(
            "Copy it over your files with `cargo run -p checker -- solution {asked} --apply`; `reset {asked}` brings the stub back."
        );
        return Ok(ExitCode::SUCCESS);
    }
    let target = workshop.dir(exercise, Variant::Learner);
    for relative in &files {
        copy(&solution.join(relative), &target.join(relative))?;
    }
    println!(
        "Copied the solution of {} over your files: {}\nCheck it with `cargo run -p checker -- check {asked}`; `reset {asked}` brings the stub back.",
        exercise.name,
        list(&files)
    );
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn stubs_dir(workshop: &Workshop, exercise: &Exercise) -> PathBuf {
    workshop
        .root
        .join("checker")
        .join("stubs")
        .join(&exercise.name)
}

/// Every file under `dir`, relative to it, sorted; `target/` is skipped.
pub(crate) fn files_under(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let walk = walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|entry| !(entry.file_type().is_dir() && entry.file_name() == "target"));
    let mut files = Vec::new();
    for entry in walk {
        let entry = entry.with_context(|| format!("cannot read the folder {}", dir.display()))?;
        if !entry.file_type().is_dir() {
            files.push(entry.path().strip_prefix(dir)?.to_path_buf());
        }
    }
    Ok(files)
}

fn copy(from: &Path, to: &Path) -> anyhow::Result<()> {
    if let Some(parent) = to.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    std::fs::copy(from, to)
        .with_context(|| format!("cannot copy {} to {}", from.display(), to.display()))?;
    Ok(())
}

fn list(files: &[PathBuf]) -> String {
    files
        .iter()
        .map(|file| file.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
