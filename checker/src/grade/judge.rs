//! A transcript judged against the snapshot, step by step; a failure comes
//! with what explains it: the Lambdas' errors and output, the tables at the
//! end, the compiler's warnings, and the slips the emulator noticed.

use std::collections::BTreeMap;

use super::{Failure, Verdict};
use crate::emulator::events::Event;
use crate::emulator::{InvokeError, TableDump};
use crate::session::{self, SCENARIO_LIMIT, Step, Transcript};

/// How many of the Lambdas' last log lines a report shows.
const LOG_TAIL: usize = 40;

/// Compares the transcript with the snapshot, step by step. `warnings` are
/// the compiler's about the stack's own crates, for a failure's report.
pub fn judge(expected: &[Step], transcript: &Transcript, warnings: &[String]) -> Verdict {
    match first_difference(expected, &transcript.steps) {
        None => Verdict::Passed,
        Some(index) => failed(index, expected, transcript, warnings, &[]),
    }
}

/// The index of the first step that differs, if any.
pub(super) fn first_difference(expected: &[Step], received: &[Step]) -> Option<usize> {
    (0..expected.len().max(received.len()))
        .find(|&index| expected.get(index) != received.get(index))
}

/// The failure at step `index`, with everything that explains it; `slips`
/// are what the files showed before anything ran, noted first.
pub(super) fn failed(
    index: usize,
    expected: &[Step],
    transcript: &Transcript,
    warnings: &[String],
    slips: &[String],
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
        lambda_errors: lambda_errors(&transcript.events, &transcript.names),
        logs: logs(&transcript.events, &transcript.names),
        tables: table_lines(&transcript.tables, &transcript.names),
        warnings: warnings.to_vec(),
        notes: slips
            .iter()
            .cloned()
            .chain(notes(&transcript.events, &transcript.names))
            .collect(),
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

/// Each failed invocation, as AWS logs it; an SDK error that shows only
/// its kind of failure ("service error", the SDK's `Display`) is named by
/// the call it came from, as the SDK's `DisplayErrorContext` would: the
/// error code and the status the emulator answered.
fn lambda_errors(events: &[Event], names: &BTreeMap<String, String>) -> Vec<String> {
    let mut routes = BTreeMap::new();
    let mut failed_calls: BTreeMap<&str, String> = BTreeMap::new();
    let mut errors = Vec::new();
    for event in events {
        if let Some((request_id, call)) = failed_call(event) {
            failed_calls.insert(request_id, session::redact_log(&call, names));
        }
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
                let mut line = format!("{function} ({route}): {error}");
                let opaque = matches!(error, InvokeError::Function { message, .. } if message.ends_with(SDK_SERVICE_ERROR));
                if let Some(call) = failed_calls.get(request_id.as_str()).filter(|_| opaque) {
                    line.push_str(&format!(": {call}"));
                }
                errors.push(line);
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

/// How the SDK's `Display` shows every error a service answered.
const SDK_SERVICE_ERROR: &str = "service error";

/// A call an invocation made that the emulator answered with an error: the
/// invocation's request id, and the error code with its status and the call.
fn failed_call(event: &Event) -> Option<(&str, String)> {
    match event {
        Event::Management {
            method,
            connection_id,
            status,
            request_id: Some(request_id),
        } if *status >= 400 => Some((
            request_id,
            format!(
                "{} ({status}) from {method} @connections/{connection_id}",
                management_error_code(*status)
            ),
        )),
        Event::DynamoDbRefused {
            call,
            error,
            request_id: Some(request_id),
            ..
        } => Some((request_id, format!("{error} (400) from {call}"))),
        Event::AccessDenied {
            action,
            request_id: Some(request_id),
            ..
        } => {
            let (code, status) = if action.starts_with("execute-api:") {
                ("ForbiddenException", 403)
            } else {
                ("AccessDeniedException", 400)
            };
            Some((request_id, format!("{code} ({status}) from {action}")))
        }
        Event::RegionalEndpoint {
            method,
            path,
            status,
            request_id: Some(request_id),
            ..
        } if *status >= 400 => Some((
            request_id,
            format!(
                "{} ({status}) from {method} {path} at the regional endpoint",
                management_error_code(*status)
            ),
        )),
        _ => None,
    }
}

/// The error code API Gateway's management API answers with each status.
fn management_error_code(status: u16) -> &'static str {
    match status {
        400 => "BadRequestException",
        403 => "ForbiddenException",
        410 => "GoneException",
        413 => "PayloadTooLargeException",
        429 => "LimitExceededException",
        _ => "an error",
    }
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
        let errors = super::lambda_errors(
            &[crate::emulator::events::Event::Skipped { count: 3 }],
            &Default::default(),
        );
        assert_eq!(errors.len(), 1);
        assert!(errors[0].contains("missed 3 of its events"), "{errors:?}");
    }
}
