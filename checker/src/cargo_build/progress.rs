//! How far cargo is: cargo's own counts of built units, read from its
//! progress line. On the learner's terminal they are drawn as a bar, so that
//! a first build of several minutes never looks frozen; elsewhere (an
//! editor's task, a log) a plain line says so now and then. Either way, a
//! cargo that waits for another one's lock on the build folder says why.

use std::io::{BufReader, Read};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

/// A build with at least this many units still to compile is a first build
/// (the SDK and the runtime), not an edit: worth a word on how long it takes.
const FIRST_BUILD_UNITS: u64 = 50;

/// Outside a terminal, how often a long build says how far it is.
const PLAIN_EVERY: Duration = Duration::from_secs(30);

const FIRST_BUILD: &str = "The first build compiles what the Lambdas use (the Lambda runtime; from exercise 02, the AWS SDK): a few minutes, once. Later checks take seconds.";

const WAITING: &str = "waiting for another cargo, which holds the build folder's lock: your editor (rust-analyzer)? another checker or `cargo test`?";

/// Reads cargo's stderr to its end, showing its progress on our stderr (a
/// bar on a terminal, else a line now and then); returns the lines that are
/// not progress or status, for a report (cargo's own errors).
pub(super) fn follow(stderr: impl Read, terminal: bool) -> String {
    let mut shown: Box<dyn Show> = if terminal {
        Box::new(Bar::new())
    } else {
        Box::new(Plain::new())
    };
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
                if total.saturating_sub(done) >= FIRST_BUILD_UNITS {
                    note_first_build(shown.as_mut());
                }
                shown.progress(done, total, crates);
            }
            Line::Waiting => shown.waiting(),
            Line::Status | Line::Blank => {}
            Line::Other(text) => {
                kept.push_str(&text);
                kept.push('\n');
            }
        }
    }
    kept.push_str(&String::from_utf8_lossy(&segment));
    shown.finish();
    kept
}

/// Said once per process: `check` builds each exercise in turn.
fn note_first_build(shown: &mut dyn Show) {
    static NOTED: AtomicBool = AtomicBool::new(false);
    if !NOTED.swap(true, Ordering::Relaxed) {
        shown.say(FIRST_BUILD);
    }
}

/// Where cargo's progress is shown.
trait Show {
    fn progress(&mut self, done: u64, total: u64, crates: String);
    fn waiting(&mut self);
    fn say(&mut self, text: &str);
    fn finish(&mut self);
}

/// A spinner until cargo has counted the units; then a bar of them.
struct Bar {
    bar: ProgressBar,
    counting: ProgressStyle,
    counted: bool,
}

impl Bar {
    fn new() -> Self {
        let bar = ProgressBar::new_spinner().with_message("building the Lambdas: cargo starts");
        bar.enable_steady_tick(Duration::from_millis(200));
        let counting = ProgressStyle::with_template(
            "  building the Lambdas [{bar:30}] {pos}/{len} {wide_msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
        Self {
            bar,
            counting,
            counted: false,
        }
    }
}

impl Show for Bar {
    fn progress(&mut self, done: u64, total: u64, crates: String) {
        if !self.counted {
            self.bar.set_style(self.counting.clone());
            self.counted = true;
        }
        self.bar.set_length(total);
        self.bar.set_position(done);
        self.bar.set_message(crates);
    }

    fn waiting(&mut self) {
        self.bar.set_message(WAITING);
    }

    fn say(&mut self, text: &str) {
        self.bar.println(format!("  {text}"));
    }

    fn finish(&mut self) {
        self.bar.finish_and_clear();
    }
}

/// Plain lines on stderr: how far the build is every [`PLAIN_EVERY`], and
/// why it waits, once.
struct Plain {
    started: Instant,
    last: Instant,
    said_waiting: bool,
}

impl Plain {
    fn new() -> Self {
        let now = Instant::now();
        Self {
            started: now,
            last: now,
            said_waiting: false,
        }
    }
}

impl Show for Plain {
    fn progress(&mut self, done: u64, total: u64, _crates: String) {
        if self.last.elapsed() >= PLAIN_EVERY {
            self.last = Instant::now();
            let seconds = self.started.elapsed().as_secs();
            eprintln!(
                "  building the Lambdas: {done} of {total} crates compiled, {} min {:02} s so far",
                seconds / 60,
                seconds % 60
            );
        }
    }

    fn waiting(&mut self) {
        if !std::mem::replace(&mut self.said_waiting, true) {
            eprintln!("  {WAITING}");
        }
    }

    fn say(&mut self, text: &str) {
        eprintln!("  {text}");
    }

    fn finish(&mut self) {}
}

#[derive(Debug, PartialEq, Eq)]
enum Line {
    /// `    Building [====>   ] 12/345: serde, tokio`
    Progress {
        done: u64,
        total: u64,
        crates: String,
    },
    /// `    Blocking waiting for file lock on build directory`: another
    /// cargo (an editor's, a second checker) has the build folder.
    Waiting,
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
    if status && verb == "Blocking" && tail.contains("waiting for file lock") {
        Line::Waiting
    } else if status {
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
        assert_eq!(
            parse("    Blocking waiting for file lock on build directory"),
            Line::Waiting
        );
        assert_eq!(
            parse("    Blocking waiting for file lock on package cache"),
            Line::Waiting
        );
    }
}
