//! Exercism's test-runner `results.json`, version 3: one test per exercise,
//! each with its `task_id`, for GitHub Classroom and other graders.
//!
//! The same file serves GitHub Classroom's `autograding-grading-reporter`,
//! which sums each test's `score` against the top-level `max_score` and
//! reads `line_no`: each exercise weighs one point. Those keys sit beside
//! Exercism's own, which keep their meaning. [`github_output`] writes the
//! file as that reporter reads it.

use serde_json::{Value, json};

use super::plain_reason;
use crate::grade::{Graded, Verdict};

/// Exercism truncates `output` at this many characters; so do we.
const OUTPUT_LIMIT: usize = 500;

pub fn exercism_results(results: &[Graded], task_id_of: &dyn Fn(&str) -> usize) -> Value {
    let tests: Vec<Value> = results
        .iter()
        .map(|graded| {
            let status = status(&graded.verdict);
            let output = match &graded.verdict {
                Verdict::Failed(failure) if !failure.logs.is_empty() => {
                    let logs = failure.logs.join("\n");
                    Value::String(tail(&logs, OUTPUT_LIMIT))
                }
                _ => Value::Null,
            };
            json!({
                "name": format!("{}: {}", graded.exercise.name, graded.exercise.title),
                "status": status,
                "message": plain_reason(graded),
                "output": output,
                "test_code": graded.exercise.goal,
                "task_id": task_id_of(&graded.exercise.name),
                "score": u8::from(status == "pass"),
                "max_score": 1,
                // The reporter prints "line <line_no>" unless it is 0.
                "line_no": 0,
            })
        })
        .collect();
    let statuses: Vec<&str> = results
        .iter()
        .map(|graded| status(&graded.verdict))
        .collect();
    let overall = if statuses.contains(&"fail") {
        "fail"
    } else if statuses.contains(&"error") {
        "error"
    } else {
        "pass"
    };
    let message = (overall == "error").then(|| {
        results
            .iter()
            .filter_map(plain_reason)
            .collect::<Vec<_>>()
            .join("\n\n")
    });
    let max_score = tests.len();
    json!({
        "version": 3,
        "status": overall,
        "message": message,
        "max_score": max_score,
        "tests": tests,
    })
}

/// The line a GitHub Actions step appends to `$GITHUB_OUTPUT` to set its
/// output `result` to `results`, base64-encoded, as Classroom's graders do.
pub fn github_output(results: &Value) -> String {
    use base64::Engine;
    let encoded = base64::engine::general_purpose::STANDARD.encode(results.to_string());
    format!("result={encoded}\n")
}

/// `error`: the exercise could not run (it does not compile, its YAML is broken).
fn status(verdict: &Verdict) -> &'static str {
    match verdict {
        Verdict::Passed => "pass",
        Verdict::Failed(_) => "fail",
        Verdict::BuildFailed { .. } | Verdict::Broken { .. } => "error",
    }
}

fn tail(text: &str, limit: usize) -> String {
    let count = text.chars().count();
    text.chars().skip(count.saturating_sub(limit)).collect()
}
