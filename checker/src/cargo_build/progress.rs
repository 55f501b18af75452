//! How far cargo is, on the learner's terminal: cargo's own counts of built
//! units, read from its progress line, drawn as a bar, so that a first build
//! of several minutes never looks frozen.

use std::io::{BufReader, Read};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

/// A build with at least this many units still to compile is a first build
/// (the SDK and the runtime), not an edit: worth a word on how long it takes.
const FIRST_BUILD_UNITS: u64 = 50;

/// Reads cargo's stderr to its end, drawing its progress as a bar on our
/// stderr; returns the lines that are not progress or status, for a report
/// (cargo's own errors).
pub(super) fn follow(stderr: impl Read) -> String {
    static NOTED: AtomicBool = AtomicBool::new(false);
    // A spinner until cargo has counted the units; then a bar of them.
    let bar = ProgressBar::new_spinner().with_message("building the Lambdas: cargo starts");
    bar.enable_steady_tick(Duration::from_millis(200));
    let counting =
        ProgressStyle::with_template("  building the Lambdas [{bar:30}] {pos}/{len} {wide_msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
    let mut counted = false;
    let mut kept = String::new();
    let mut segment = Vec::new();
    for byte in BufReader::new(stderr).bytes().map_while(Result::ok) {
        if byte != b'\r' && byte != b'\n' {
            segment.push(byte);
            continue;
        }
        let line = String::from_utf8_lossy(&segment).into_owned();
        segment.clear();
        match parse(&line) {
            Line::Progress {
                done,
                total,
                crates,
            } => {
                if total.saturating_sub(done) >= FIRST_BUILD_UNITS
                    && !NOTED.swap(true, Ordering::Relaxed)
                {
                    bar.println(
                        "  The first build compiles what the Lambdas use (the Lambda runtime, from exercise 02 the AWS SDK): a few minutes. Later checks take seconds.",
                    );
                }
                if !counted {
                    bar.set_style(counting.clone());
                    counted = true;
                }
                bar.set_length(total);
                bar.set_position(done);
                bar.set_message(crates);
            }
            Line::Status | Line::Blank => {}
            Line::Other(text) => {
                kept.push_str(&text);
                kept.push('\n');
            }
        }
    }
    kept.push_str(&String::from_utf8_lossy(&segment));
    bar.finish_and_clear();
    kept
}

#[derive(Debug, PartialEq, Eq)]
enum Line {
    /// `    Building [====>   ] 12/345: serde, tokio`
    Progress {
        done: u64,
        total: u64,
        crates: String,
    },
    /// A status line: `   Compiling serde v1.0.0`, `    Finished …`.
    Status,
    Blank,
    Other(String),
}

fn parse(line: &str) -> Line {
    if line.trim().is_empty() {
        return Line::Blank;
    }
    if let Some(rest) = line.trim_start().strip_prefix("Building [") {
        let counts = rest.split_once("] ").map(|(_, counts)| counts);
        if let Some((done, total, crates)) = counts.and_then(|counts| {
            let (numbers, crates) = counts.split_once(": ").unwrap_or((counts, ""));
            let (done, total) = numbers.split_once('/')?;
            Some((
                done.trim().parse().ok()?,
                total.trim().parse().ok()?,
                crates,
            ))
        }) {
            return Line::Progress {
                done,
                total,
                crates: crates.trim().to_owned(),
            };
        }
    }
    // Cargo right-aligns a capitalised verb in 12 columns: `   Compiling x`.
    let (head, tail) = line.split_at(line.len().min(12));
    let verb = head.trim_start();
    let status = head.len() == 12
        && tail.starts_with(' ')
        && !verb.is_empty()
        && verb.chars().all(|c| c.is_ascii_alphabetic())
        && verb.starts_with(|c: char| c.is_ascii_uppercase());
    if status {
        Line::Status
    } else {
        Line::Other(line.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cargos_counts_and_drops_its_status_lines() {
        assert_eq!(
            parse("    Building [=====>      ] 12/345: serde, tokio(build.rs)"),
            Line::Progress {
                done: 12,
                total: 345,
                crates: "serde, tokio(build.rs)".to_owned()
            }
        );
        assert_eq!(parse("   Compiling serde v1.0.229"), Line::Status);
        assert_eq!(parse("    Finished `dev` profile"), Line::Status);
        assert_eq!(
            parse("error: failed to parse manifest"),
            Line::Other("error: failed to parse manifest".to_owned())
        );
        assert_eq!(
            parse("  could not parse input as TOML"),
            Line::Other("  could not parse input as TOML".to_owned())
        );
        assert_eq!(parse("   "), Line::Blank);
    }
}
