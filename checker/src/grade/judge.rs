//! A transcript judged against the snapshot, step by step; a failure comes
//! with what explains it: the Lambdas' errors and output, the tables at the
//! end, the compiler's warnings, and the slips the emulator noticed.

use std::collections::BTreeMap;

use super::{Failure, Verdict};
use crate::emulator::TableDump;
use crate::emulator::events::Event;
use crate::session::{self, SCENARIO_LIMIT, Step, Transcript};

/// How many of the Lambdas' last log lines a report shows.
const LOG_TAIL: usize = 40;

/// Compares the transcript with the snapshot, step by step. `warnings` are
/// the compiler's about the stack's own crates, for a failure's report.
pub fn judge(expected: &[Step], transcript: &Transcript, warnings: &[String]) -> Verdict {
    match first_difference(expected, &transcript.steps) {
        None => Verdict::Passed,
        Some(index) => failed(index, expected, transcript, warnings),
    }
}

/// The index of the first step that differs, if any.
pub(super) fn first_difference(expected: &[Step], received: &[Step]) -> Option<usize> {
    (0..expected.len().max(received.len()))
        .find(|&index| expected.get(index) != received.get(index))
}

/// The failure at step `index`, with everything that explains it.
pub(super) fn failed(
    index: usize,
    expected: &[Step],
    transcript: &Transcript,
    warnings: &[String],
) -> Verdict {
    let received = &transcript.steps;
    let title_of = |steps: &[Step]| steps.get(index).map(|step| step.title.clone());
    let lines_of = |steps: &[Step]| {
        steps
            .get(index)
            .map(|step| step.lines.clone())
            .unwrap_or_default()
    };
    let mut failure = Box::new(Failure {
        passed: expected[..index]
            .iter()
            .map(|step| step.title.clone())
            .collect(),
        step: title_of(expected)
            .or_else(|| title_of(received))
            .unwrap_or_default(),
        expected: lines_of(expected),
        received: lines_of(received),
        lambda_errors: lambda_errors(&transcript.events),
        logs: logs(&transcript.events, &transcript.names),
        tables: table_lines(&transcript.tables, &transcript.names),
        warnings: warnings.to_vec(),
        notes: notes(&transcript.events, &transcript.names),
    });
    if transcript.stopped {
        failure.received.push(format!(
            "(the scenario was stopped after {} s)",
            SCENARIO_LIMIT.as_secs()
        ));
    }
    Verdict::Failed(failure)
}

/// Each likely slip the emulator explained, once, connection ids named.
fn notes(events: &[Event], names: &BTreeMap<String, String>) -> Vec<String> {
    let mut notes: Vec<String> = Vec::new();
    for note in events.iter().filter_map(Event::explain) {
        let note = session::redact_log(&note, names);
        if !notes.contains(&note) {
            notes.push(note);
        }
    }
    notes
}

fn lambda_errors(events: &[Event]) -> Vec<String> {
    let mut routes = BTreeMap::new();
    let mut errors = Vec::new();
    for event in events {
        match event {
            Event::InvocationStarted {
                request_id,
                route_key,
                ..
            } => {
                routes.insert(request_id.clone(), route_key.clone());
            }
            Event::InvocationFinished {
                function,
                request_id,
                outcome: Err(error),
            } => {
                let route = routes.get(request_id).map(String::as_str).unwrap_or("?");
                errors.push(format!("{function} ({route}): {error}"));
            }
            // Never expected (the checker's queue holds far more than a
            // scenario makes), but a report built on missing events says so.
            Event::Skipped { count } => errors.push(format!(
                "(the checker fell behind the emulator and missed {count} of its events: this report may be incomplete)"
            )),
            _ => {}
        }
    }
    errors
}

fn table_lines(tables: &[TableDump], names: &BTreeMap<String, String>) -> Vec<String> {
    tables
        .iter()
        .flat_map(|table| {
            let header = format!("{}: {} item(s)", table.name, table.items.len());
            // Keys are random ids: sorted once named, the lines read the same every run.
            let mut rows: Vec<String> = table
                .items
                .iter()
                .map(|item| format!("  {}", session::redact_log(&item.to_string(), names)))
                .collect();
            rows.sort();
            std::iter::once(header).chain(rows)
        })
        .collect()
}

fn logs(events: &[Event], names: &BTreeMap<String, String>) -> Vec<String> {
    let lines: Vec<String> = events
        .iter()
        .filter_map(|event| match event {
            Event::Log { function, line, .. } => {
                Some(format!("[{function}] {}", session::redact_log(line, names)))
            }
            _ => None,
        })
        .collect();
    let skip = lines.len().saturating_sub(LOG_TAIL);
    lines.into_iter().skip(skip).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_report_built_on_missed_events_says_so() {
        let errors = super::lambda_errors(&[crate::emulator::events::Event::Skipped { count: 3 }]);
        assert_eq!(errors.len(), 1);
        assert!(errors[0].contains("missed 3 of its events"), "{errors:?}");
    }
}
