//! The class view: the instructor's page of who is done, who fails on which
//! step and for how long, fed by the learners' own checks.
//!
//! - [`server`]: `checker class`, the only listener the checker opens beyond
//!   loopback, and only when asked (`--listen`). It accepts results carrying
//!   the class's join code, and serves the page to whoever has the
//!   instructor's key.
//! - [`store`]: the class kept in SQLite, so a restart loses nothing;
//!   [`export`] writes it as CSV for grading.
//! - [`board`]: what the page shows, computed from the store.
//! - [`link`]: the learner's side: `checker join`, then one small POST after
//!   each check. Results only (exercise, pass or fail, the failing step's
//!   title, hint stages seen, time since the exercise was started), never
//!   code; bounded in time, so a class server that is gone or silent costs
//!   a check at most [`link::SEND_LIMIT`].
//!
//! Everything a learner sends is bounded (the request, each name and step,
//! requests per minute, learners per class, the database's size) and reaches
//! the page as text, never as markup.

pub mod board;
pub mod export;
pub mod link;
pub mod server;
pub mod store;

mod intake;
mod limits;
mod state;

use serde::{Deserialize, Serialize};

/// The path learners post their results to.
pub const RESULTS_PATH: &str = "/api/results";
/// A results request's body may be at most this long.
pub const MAX_REPORT_BYTES: usize = 8 * 1024;
/// Exercises in one request: a walk through the workshop checks each once.
pub const MAX_RESULTS_PER_REPORT: usize = 16;
/// A learner's name, in characters.
pub const MAX_NAME_CHARS: usize = 40;
/// A step's title, in characters (longer ones are cut).
pub const MAX_STEP_CHARS: usize = 160;
/// The join code's length and alphabet: no 0/O or 1/I/L to misread on a projector.
pub const CODE_LENGTH: usize = 6;
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";

/// What a learner's checker sends: who, with which code, and the results of one check run.
/// An empty `results` is a join.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    pub code: String,
    /// The learner's id, random, made by `checker join` and kept in `.checker/`.
    pub learner: String,
    pub name: String,
    #[serde(default)]
    pub results: Vec<ExerciseResult>,
}

/// One exercise's verdict, as the class view needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExerciseResult {
    /// The exercise's folder name, e.g. `02-there-and-back-again`.
    pub exercise: String,
    pub passed: bool,
    /// The failing step's title (or "the Lambdas do not compile", "the exercise cannot run").
    #[serde(default)]
    pub step: Option<String>,
    /// How many stages of the exercise's hint the learner has been shown.
    #[serde(default)]
    pub hints_seen: u32,
    /// Seconds since the learner's first check of this exercise.
    #[serde(default)]
    pub seconds_since_start: u64,
}

/// The server's answer to a report that was refused, and to a join.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Answer {
    pub message: String,
}

/// A new join code: [`CODE_LENGTH`] characters of [`CODE_ALPHABET`].
pub fn new_code() -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..CODE_LENGTH)
        .map(|_| char::from(CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())]))
        .collect()
}

/// A secret of 128 random bits, hex: learner ids and the instructor's key.
pub fn new_secret() -> String {
    use rand::Rng;
    let bytes: [u8; 16] = rand::rng().random();
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// A code as typed: case and separators do not matter (`k7p-4qx` is `K7P4QX`).
pub fn normalise_code(typed: &str) -> String {
    typed
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// A name or step as it may be shown: control characters (escape sequences
/// for a terminal, line breaks for CSV) become spaces, runs of spaces one,
/// cut to `limit` characters.
pub fn clean_text(text: &str, limit: usize) -> String {
    let spaced: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    spaced
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(limit)
        .collect()
}

/// Whether two secrets are equal, in time that does not depend on where they differ.
fn same_secret(given: &str, expected: &str) -> bool {
    let (given, expected) = (given.as_bytes(), expected.as_bytes());
    given.len() == expected.len()
        && given
            .iter()
            .zip(expected)
            .fold(0_u8, |difference, (a, b)| difference | (a ^ b))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_short_and_unambiguous() {
        for _ in 0..100 {
            let code = new_code();
            assert_eq!(code.len(), CODE_LENGTH);
            assert!(!code.contains(['0', 'O', '1', 'I', 'L']), "{code}");
            assert_eq!(normalise_code(&code.to_lowercase()), code);
        }
        assert_eq!(normalise_code(" k7p-4qx "), "K7P4QX");
        assert_eq!(new_secret().len(), 32);
    }

    #[test]
    fn text_loses_control_characters_and_length() {
        assert_eq!(
            clean_text("  Ada\n\x1b[31mLovelace\t ", 40),
            "Ada [31mLovelace"
        );
        assert_eq!(clean_text("ééééé", 3), "ééé");
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret("K7P4QX", "K7P4QX"));
        assert!(!same_secret("K7P4QY", "K7P4QX"));
        assert!(!same_secret("K7P4Q", "K7P4QX"));
    }
}
