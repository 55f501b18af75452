//! `hint`, `reset` and `solution`: the exercise's files and help.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use checker::exercises::{Exercise, Variant, Workshop};
use checker::report::HintShown;

use super::progress::Progress;

/// Files a solution brings that must not replace the learner's: its
/// `Cargo.toml` names the package and binaries differently (`-solution`).
const KEEP_ON_APPLY: &[&str] = &["Cargo.toml"];

pub(crate) fn hint(asked: &str, all: bool) -> anyhow::Result<ExitCode> {
    let workshop = super::workshop()?;
    let exercise = workshop.find(asked)?;
    let mut progress = Progress::load(&workshop);
    let short = exercise.short_name();
    let of = exercise.hints.len();
    println!("{} ({})", exercise.name, exercise.title);
    if all {
        for (index, text) in exercise.hints.iter().enumerate() {
            println!("\nHint {} of {of}\n\n{}", index + 1, text.trim());
        }
        progress.saw_all_hints(exercise);
    } else {
        match progress.next_hint(exercise) {
            HintShown::Stage { number, of, text } => {
                println!("\nHint {number} of {of}\n\n{}", text.trim());
                if number < of {
                    println!("\nThe next one: `cargo run -p checker -- hint {short}` again.");
                }
            }
            HintShown::AllSeen { of } => {
                let last = exercise.hints.last().map_or("", |text| text.trim());
                println!("\nHint {of} of {of} (the last)\n\n{last}");
                println!("\nEvery stage: `cargo run -p checker -- hint {short} --all`.");
            }
        }
    }
    progress.save();
    Ok(ExitCode::SUCCESS)
}

/// Restores the stub as shipped: the copies in `checker/stubs/<exercise>`.
/// Files it replaces are kept in a dated folder first; files the stub does
/// not have are left as they are, and named.
pub(crate) fn reset(asked: &str) -> anyhow::Result<ExitCode> {
    let workshop = super::workshop()?;
    let exercise = workshop.find(asked)?;
    let stubs = stubs_dir(&workshop, exercise);
    let target = workshop.dir(exercise, Variant::Learner);
    let files = files_under(&stubs)?;
    let kept = keep_replaced(&workshop, exercise, "reset", &stubs, &target, &files)?;
    for relative in &files {
        copy(&stubs.join(relative), &target.join(relative))?;
    }
    println!(
        "Restored {} file(s) of {} to the stub: {}",
        files.len(),
        exercise.name,
        list(&files)
    );
    print_kept(&workshop, kept.as_deref());
    let added: Vec<PathBuf> = files_under(&target)?
        .into_iter()
        .filter(|file| !files.contains(file) && !hidden(file))
        .collect();
    if !added.is_empty() {
        println!(
            "Left as they are (the stub has no such files; delete them if they are not yours to keep): {}",
            list(&added)
        );
    }
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
            "Copy it over your files with `cargo run -p checker -- solution {asked} --apply` (yours are kept in .checker/); `reset {asked}` brings the stub back."
        );
        return Ok(ExitCode::SUCCESS);
    }
    let target = workshop.dir(exercise, Variant::Learner);
    let kept = keep_replaced(&workshop, exercise, "solution", &solution, &target, &files)?;
    for relative in &files {
        copy(&solution.join(relative), &target.join(relative))?;
    }
    println!(
        "Copied the solution of {} over your files: {}\nCheck it with `cargo run -p checker -- check {asked}`; `reset {asked}` brings the stub back.",
        exercise.name,
        list(&files)
    );
    print_kept(&workshop, kept.as_deref());
    Ok(ExitCode::SUCCESS)
}

/// Copies each of `files` that exists in `target` and differs from its
/// replacement in `source` to `.checker/backups/<date>-<why>-<exercise>/`,
/// before anything is overwritten. Returns that folder, if anything was kept.
fn keep_replaced(
    workshop: &Workshop,
    exercise: &Exercise,
    why: &str,
    source: &Path,
    target: &Path,
    files: &[PathBuf],
) -> anyhow::Result<Option<PathBuf>> {
    let replaced: Vec<&PathBuf> = files
        .iter()
        .filter(|relative| {
            let current = std::fs::read(target.join(relative)).ok();
            current.is_some() && current != std::fs::read(source.join(relative)).ok()
        })
        .collect();
    if replaced.is_empty() {
        return Ok(None);
    }
    let stamp = chrono::Local::now().format("%Y-%m-%d_%H-%M-%S");
    let backups = super::progress::checker_dir(workshop).join("backups");
    let mut folder = backups.join(format!("{stamp}-{why}-{}", exercise.name));
    for attempt in 2.. {
        if !folder.exists() {
            break;
        }
        folder = backups.join(format!("{stamp}-{why}-{}-{attempt}", exercise.name));
    }
    for relative in replaced {
        copy(&target.join(relative), &folder.join(relative))?;
    }
    Ok(Some(folder))
}

fn print_kept(workshop: &Workshop, kept: Option<&Path>) {
    match kept {
        Some(folder) => println!(
            "Your files as they were are kept in {}",
            folder
                .strip_prefix(&workshop.root)
                .unwrap_or(folder)
                .display()
        ),
        None => println!("No file of yours changed: they were the same already."),
    }
}

/// Hidden files and folders (`.serverless/`): tools' output, not the learner's work.
fn hidden(relative: &Path) -> bool {
    relative
        .components()
        .any(|part| part.as_os_str().to_string_lossy().starts_with('.'))
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
