//! What the learner reads: a report per exercise, for a terminal or for a grader.

mod human;
mod json;
mod junit;

pub use human::{HumanReport, Next, Walk, write_exercise};
pub use json::{exercism_results, github_output};
pub use junit::junit_xml;

use crate::grade::{Failure, Graded, Verdict};

/// A verdict's one-paragraph reason, without colour: for JSON, JUnit and summaries.
pub fn plain_reason(graded: &Graded) -> Option<String> {
    plain_verdict(&graded.verdict)
}

/// [`plain_reason`] of a verdict alone.
pub fn plain_verdict(verdict: &Verdict) -> Option<String> {
    match verdict {
        Verdict::Passed => None,
        Verdict::Failed(failure) => Some(plain_failure(failure)),
        Verdict::BuildFailed { diagnostics } => Some(format!(
            "The Lambdas do not compile:\n{}",
            anstream::adapter::strip_str(diagnostics).to_string()
        )),
        Verdict::Broken { message } => Some(message.clone()),
    }
}

fn plain_failure(failure: &Failure) -> String {
    let mut text = String::new();
    for warning in &failure.warnings {
        text.push_str(&anstream::adapter::strip_str(warning).to_string());
    }
    text.push_str(&format!("Step failed: {}\n", failure.step));
    for line in diff_lines(&failure.expected, &failure.received) {
        text.push_str(&line.to_string());
        text.push('\n');
    }
    for note in &failure.notes {
        text.push_str(&format!("Look here: {note}\n"));
    }
    for error in &failure.lambda_errors {
        text.push_str(&format!("Lambda error: {error}\n"));
    }
    text
}

/// One line of an expected/received comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiffLine {
    Same(String),
    Expected(String),
    Received(String),
}

impl std::fmt::Display for DiffLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Same(line) => write!(f, "  {line}"),
            Self::Expected(line) => write!(f, "- {line}"),
            Self::Received(line) => write!(f, "+ {line}"),
        }
    }
}

/// The lines of a step, expected (`-`) against received (`+`).
pub fn diff_lines(expected: &[String], received: &[String]) -> Vec<DiffLine> {
    let expected: Vec<&str> = expected.iter().map(String::as_str).collect();
    let received: Vec<&str> = received.iter().map(String::as_str).collect();
    similar::capture_diff_slices(similar::Algorithm::Myers, &expected, &received)
        .iter()
        .flat_map(|op| op.iter_changes(&expected, &received))
        .map(|change| {
            let line = change.value().to_owned();
            match change.tag() {
                similar::ChangeTag::Equal => DiffLine::Same(line),
                similar::ChangeTag::Delete => DiffLine::Expected(line),
                similar::ChangeTag::Insert => DiffLine::Received(line),
            }
        })
        .collect()
}
