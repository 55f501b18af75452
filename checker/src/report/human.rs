//! The terminal report: pass or fail per exercise, the failed step as a diff,
//! the Lambdas' errors and output, the hint, and what to run next.

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};

use super::{DiffLine, diff_lines};
use crate::grade::{Failure, Graded, Verdict};
use crate::session::LOCAL_STEP;
use crate::workshop::{Exercise, Nudge, Variant, Workshop};

const PASS: Style = AnsiColor::Green.on_default().bold();
const FAIL: Style = AnsiColor::Red.on_default().bold();
const EXPECTED: Style = AnsiColor::Red.on_default();
const RECEIVED: Style = AnsiColor::Green.on_default();
const HEADING: Style = Style::new().bold();
const DIM: Style = Style::new().dimmed();

/// What to suggest after the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// Fix this exercise and check it again.
    Fix { exercise: String, dir: String },
    /// Everything checked passed; this exercise comes next.
    Start { exercise: String, dir: String },
    /// The workshop is done.
    Done,
    /// Inside `watch`: a save to this folder checks it again.
    Watch { dir: String },
    /// Nothing to suggest (instructors, explicit lists).
    Nothing,
}

pub struct HumanReport<'a> {
    /// Exercises not checked again: they passed before and their files are unchanged.
    pub unchanged: &'a [Exercise],
    pub results: &'a [Graded],
    /// How many exercises the workshop has, for `2/5 done`.
    pub total: usize,
    /// How many of them pass, as far as this run knows.
    pub done: usize,
    /// The nudge a failing exercise's report shows (the hint's first stage).
    pub hint_of: &'a dyn Fn(&Exercise) -> Option<Nudge>,
    pub next: Next,
    /// Off in tests, whose snapshots must not depend on timing.
    pub show_times: bool,
}

/// Where a walk through the workshop stands.
pub struct Walk<'a> {
    /// Exercises skipped because they are done.
    pub unchanged: &'a [Exercise],
    /// All exercises in order (no list named): suggest the next one.
    pub walking: bool,
}

impl Next {
    /// What to suggest after `results`, checked in `variant`'s folder: fix
    /// the first that failed, else, on a walk, start the exercise after them.
    pub fn after(
        workshop: &Workshop,
        results: &[Graded],
        variant: Variant,
        walk: &Walk<'_>,
    ) -> Self {
        let failed = results.iter().find(|graded| !graded.verdict.passed());
        let folder = variant.folder();
        match (failed, walk.walking) {
            (Some(graded), _) => Next::Fix {
                exercise: graded.exercise.short_name().to_owned(),
                dir: format!("{folder}/{}", graded.exercise.name),
            },
            (None, true) => {
                let checked = walk.unchanged.len() + results.len();
                match workshop.exercises.get(checked) {
                    Some(exercise) => Next::Start {
                        exercise: exercise.short_name().to_owned(),
                        dir: format!("{folder}/{}", exercise.name),
                    },
                    None => Next::Done,
                }
            }
            (None, false) => Next::Nothing,
        }
    }
}

impl HumanReport<'_> {
    /// Writes the report; `anstream` drops the colours when stdout is not a terminal.
    pub fn print(&self) -> io::Result<()> {
        let mut out = anstream::stdout().lock();
        self.write(&mut out)
    }

    pub fn write(&self, out: &mut dyn Write) -> io::Result<()> {
        for exercise in self.unchanged {
            writeln!(
                out,
                "{PASS}✓ done{PASS:#}  {} ({}) {DIM}passed before, unchanged since{DIM:#}",
                exercise.name, exercise.title
            )?;
        }
        for graded in self.results {
            let nudge = match graded.verdict.passed() {
                true => None,
                false => (self.hint_of)(&graded.exercise),
            };
            write_exercise(out, graded, nudge.as_ref(), self.show_times)?;
        }
        writeln!(out)?;
        writeln!(
            out,
            "{HEADING}Progress: {}/{} done{HEADING:#}",
            self.done, self.total
        )?;
        match &self.next {
            Next::Fix { exercise, dir } => {
                writeln!(out, "Next: fix {dir}, then run")?;
                writeln!(out, "    cargo run -p checker -- check {exercise}")?;
            }
            Next::Start { exercise, dir } => {
                writeln!(
                    out,
                    "Next: exercise {exercise}. Read {dir}/README.md, then run"
                )?;
                writeln!(out, "    cargo run -p checker")?;
            }
            Next::Watch { dir } => writeln!(
                out,
                "Watching {dir}: save a file to check it again (Ctrl-C to stop)."
            )?,
            Next::Done => writeln!(
                out,
                "Every exercise passes. Well done! Deploy it: see the README's deploy section."
            )?,
            Next::Nothing => {}
        }
        Ok(())
    }
}

/// One exercise's part of the report: its verdict line, then for a failure
/// what explains it and the hint's `nudge`.
pub fn write_exercise(
    out: &mut dyn Write,
    graded: &Graded,
    nudge: Option<&Nudge>,
    show_times: bool,
) -> io::Result<()> {
    let exercise = &graded.exercise;
    let time = if show_times {
        format!(" {DIM}{:.1} s{DIM:#}", graded.duration.as_secs_f64())
    } else {
        String::new()
    };
    if graded.verdict.passed() {
        writeln!(
            out,
            "{PASS}✓ pass{PASS:#}  {} ({}){time}",
            exercise.name, exercise.title
        )?;
        return Ok(());
    }
    writeln!(
        out,
        "{FAIL}✗ fail{FAIL:#}  {} ({}){time}",
        exercise.name, exercise.title
    )?;
    match &graded.verdict {
        Verdict::Passed => {}
        Verdict::Failed(failure) => {
            write_failure(out, failure)?;
            if let Some(serve) = &graded.serve {
                writeln!(
                    out,
                    "\n  {HEADING}See it live{HEADING:#}: `cargo run -p checker -- {serve}`, then open the console it prints."
                )?;
            }
        }
        Verdict::BuildFailed { diagnostics } => {
            writeln!(
                out,
                "\n  {HEADING}The Lambdas do not compile.{HEADING:#} cargo says:\n"
            )?;
            writeln!(out, "{}", diagnostics.trim_end())?;
        }
        Verdict::Broken { message } => {
            writeln!(out, "\n  {HEADING}The exercise cannot run:{HEADING:#}")?;
            writeln!(out, "  {message}")?;
        }
    }
    if let Some(nudge) = nudge {
        write_hint(out, exercise, nudge)?;
    }
    Ok(())
}

/// The nudge, and how to ask for the next stage: hints beyond the nudge
/// (the API, then the code) come only when asked for.
fn write_hint(out: &mut dyn Write, exercise: &Exercise, nudge: &Nudge) -> io::Result<()> {
    let short = exercise.short_name();
    let of = nudge.of;
    writeln!(out, "\n  {HEADING}Hint{HEADING:#} {DIM}(1 of {of}){DIM:#}")?;
    for line in nudge.text.trim().lines() {
        writeln!(out, "{}", format!("  {line}").trim_end())?;
    }
    match nudge.next {
        Some(next) => writeln!(
            out,
            "  {DIM}Hint {next} of {of}, when you want it: `cargo run -p checker -- hint {short}`{DIM:#}"
        )?,
        None if of > 1 => writeln!(
            out,
            "  {DIM}You have seen all {of} hints: `cargo run -p checker -- hint {short} --all` shows them again{DIM:#}"
        )?,
        None => {}
    }
    Ok(())
}

fn write_failure(out: &mut dyn Write, failure: &Failure) -> io::Result<()> {
    writeln!(out)?;
    for step in &failure.passed {
        writeln!(out, "  {PASS}✓{PASS:#} {step}")?;
    }
    writeln!(out, "  {FAIL}✗ {}{FAIL:#}", failure.step)?;
    if failure.step.starts_with(LOCAL_STEP) {
        writeln!(
            out,
            "    {DIM}(local): a step only the local emulator can run: it arranges a fault a deployed stack cannot be asked for{DIM:#}"
        )?;
    }
    if !failure.warnings.is_empty() {
        writeln!(
            out,
            "\n  {HEADING}The compiler warns{HEADING:#} {DIM}(your code compiles, but may not do what you meant){DIM:#}\n"
        )?;
        for warning in &failure.warnings {
            writeln!(out, "{}", warning.trim_end())?;
        }
    }
    writeln!(out, "\n  {HEADING}Expected (-) and received (+){HEADING:#}")?;
    for line in diff_lines(&failure.expected, &failure.received) {
        match &line {
            DiffLine::Same(_) => writeln!(out, "    {line}")?,
            DiffLine::Expected(_) => writeln!(out, "    {EXPECTED}{line}{EXPECTED:#}")?,
            DiffLine::Received(_) => writeln!(out, "    {RECEIVED}{line}{RECEIVED:#}")?,
        }
    }
    write_section(out, "Look here", "", &failure.notes)?;
    write_section(out, "Lambda errors", "", &failure.lambda_errors)?;
    write_section(out, "Tables", "(at the end)", &failure.tables)?;
    write_section(out, "Lambda output", "(last lines)", &failure.logs)?;
    Ok(())
}

/// A titled list of lines, left out when empty.
fn write_section(out: &mut dyn Write, title: &str, note: &str, lines: &[String]) -> io::Result<()> {
    if lines.is_empty() {
        return Ok(());
    }
    let note = if note.is_empty() {
        String::new()
    } else {
        format!(" {DIM}{note}{DIM:#}")
    };
    writeln!(out, "\n  {HEADING}{title}{HEADING:#}{note}")?;
    for line in lines {
        if line.is_empty() {
            writeln!(out)?;
        } else {
            writeln!(out, "    {line}")?;
        }
    }
    Ok(())
}
