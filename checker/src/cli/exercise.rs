//! `hint`, `reset`, `solution` and `restore`: help with one exercise, printed.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use checker::workshop::{self, HintShown, Progress, Restored, Workshop};

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

pub(crate) fn reset(asked: &str) -> anyhow::Result<ExitCode> {
    let workshop = super::workshop()?;
    let exercise = workshop.find(asked)?;
    let reset = workshop::reset(&workshop, exercise)?;
    println!(
        "Restored {} file(s) of {} to the stub: {}",
        reset.restored.files.len(),
        exercise.name,
        list(&reset.restored.files)
    );
    print_kept(&workshop, &reset.restored);
    if !reset.left.is_empty() {
        println!(
            "Left as they are (the stub has no such files; delete them if they are not yours to keep): {}",
            list(&reset.left)
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn solution(asked: &str, apply: bool) -> anyhow::Result<ExitCode> {
    let workshop = super::workshop()?;
    let exercise = workshop.find(asked)?;
    if !apply {
        for (relative, text) in workshop::solution_files(&workshop, exercise)? {
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
    let restored = workshop::apply_solution(&workshop, exercise)?;
    println!(
        "Copied the solution of {} over your files: {}\nCheck it with `cargo run -p checker -- check {asked}`; `reset {asked}` brings the stub back.",
        exercise.name,
        list(&restored.files)
    );
    print_kept(&workshop, &restored);
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn restore(backup: &Path) -> anyhow::Result<ExitCode> {
    let workshop = super::workshop()?;
    // Named as `reset` printed it: relative to the workshop, or to here.
    let folder = if backup.is_relative() && !backup.exists() {
        workshop.root.join(backup)
    } else {
        backup.to_owned()
    };
    let (exercise, restored) = workshop::restore_backup(&workshop, &folder)?;
    println!(
        "Brought back {} file(s) of {}: {}\nCheck them with `cargo run -p checker -- check {}`.",
        restored.files.len(),
        exercise.name,
        list(&restored.files),
        exercise.short_name()
    );
    print_kept(&workshop, &restored);
    Ok(ExitCode::SUCCESS)
}

/// Where the files a command replaced are kept, and the command that brings them back.
fn print_kept(workshop: &Workshop, restored: &Restored) {
    match &restored.kept {
        Some(folder) => {
            let shown = folder
                .strip_prefix(&workshop.root)
                .unwrap_or(folder)
                .display();
            println!("Your files as they were are kept in {shown}");
            println!("Bring them back with `cargo run -p checker -- restore {shown}`");
        }
        None => println!("No file of yours changed: they were the same already."),
    }
}

fn list(files: &[PathBuf]) -> String {
    files
        .iter()
        .map(|file| file.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
