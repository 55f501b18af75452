//! A learner's report (or join) at the class server: read within its
//! bounds, its code checked (guessers slowed), its fields validated and cut,
//! the learner's rate and the class's size kept, then stored.

use std::net::IpAddr;
use std::sync::{Arc, PoisonError};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::header;
use hyper::{Request, StatusCode};

use super::state::{State, now_ms};
use super::store::StoreError;
use super::{ExerciseResult, MAX_NAME_CHARS, MAX_REPORT_BYTES, MAX_RESULTS_PER_REPORT, Report};
use crate::response::{self, Response};

/// A report's body must arrive within this.
const BODY_TIMEOUT: Duration = Duration::from_secs(10);
/// A learner's clock of an exercise counts up to this (a month); more is a broken clock.
const MAX_SECONDS_SINCE_START: u64 = 30 * 24 * 3600;

/// Why a report is refused: the answer's status and the sentence the learner reads.
struct Rejection(StatusCode, String);

impl Rejection {
    fn answer(self) -> Response {
        response::json_message(self.0, &self.1)
    }
}

fn bad(message: String) -> Rejection {
    Rejection(StatusCode::BAD_REQUEST, message)
}

/// A learner's report (or join): checked, bounded, then kept.
pub(super) async fn report(
    state: Arc<State>,
    request: Request<Incoming>,
    peer: IpAddr,
) -> Response {
    match take(state, request, peer).await {
        Ok(()) => response::json_message(StatusCode::OK, "results received"),
        Err(refusal) => refusal.answer(),
    }
}

async fn take(
    state: Arc<State>,
    request: Request<Incoming>,
    peer: IpAddr,
) -> Result<(), Rejection> {
    let report = read_report(request).await?;
    let now = Instant::now();
    check_code(&state, &report.code, peer, now)?;
    let (name, results) = validate(&state, &report)?;
    let learner = report.learner;
    let taken = state
        .buckets
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take(&learner, &state.limits, now);
    if !taken {
        return Err(Rejection(
            StatusCode::TOO_MANY_REQUESTS,
            "too many results at once: the class takes the next ones in a moment".into(),
        ));
    }
    let kept = {
        let state = state.clone();
        let learner = learner.clone();
        tokio::task::spawn_blocking(move || -> Result<bool, StoreError> {
            let mut store = state.store.lock().unwrap_or_else(PoisonError::into_inner);
            if !store.is_learner(&learner)? && store.learner_count()? >= state.limits.max_learners {
                return Ok(false);
            }
            store.record(&learner, &name, &results, now_ms())?;
            Ok(true)
        })
        .await
        .map_err(|error| Rejection(StatusCode::INTERNAL_SERVER_ERROR, error.to_string()))?
    };
    match kept {
        Ok(true) => {
            state.version.send_modify(|version| *version += 1);
            Ok(())
        }
        Ok(false) => {
            state
                .buckets
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .forget(&learner);
            Err(Rejection(
                StatusCode::INSUFFICIENT_STORAGE,
                format!(
                    "the class is full ({} learners): ask the instructor",
                    state.limits.max_learners
                ),
            ))
        }
        Err(error @ StoreError::Full { .. }) => {
            tracing::warn!(%error, "a learner's results were refused");
            Err(Rejection(
                StatusCode::INSUFFICIENT_STORAGE,
                "the class's database is full: ask the instructor".into(),
            ))
        }
        Err(error) => {
            tracing::warn!(%error, "a learner's results could not be kept");
            Err(Rejection(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the class cannot keep results now".into(),
            ))
        }
    }
}

/// The join code, compared whole; an address that keeps guessing waits out the minute.
fn check_code(state: &State, code: &str, peer: IpAddr, now: Instant) -> Result<(), Rejection> {
    let mut guessers = state
        .guessers
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    if guessers.blocked(peer, &state.limits, now) {
        return Err(Rejection(
            StatusCode::TOO_MANY_REQUESTS,
            "too many wrong join codes from this address: wait a minute, then use the join \
             command the instructor shows"
                .into(),
        ));
    }
    if !super::same_secret(&super::normalise_code(code), &state.code) {
        guessers.wrong(peer, now);
        return Err(Rejection(
            StatusCode::FORBIDDEN,
            "this is not the class's join code: ask the instructor for the join command again"
                .into(),
        ));
    }
    Ok(())
}

async fn read_report(request: Request<Incoming>) -> Result<Report, Rejection> {
    let is_json = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|kind| kind.starts_with("application/json"));
    if !is_json {
        return Err(Rejection(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "results are sent as Content-Type: application/json".into(),
        ));
    }
    let too_large = || {
        Rejection(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("a report is at most {MAX_REPORT_BYTES} bytes"),
        )
    };
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<usize>().ok());
    if declared.is_some_and(|length| length > MAX_REPORT_BYTES) {
        return Err(too_large());
    }
    let body = Limited::new(request.into_body(), MAX_REPORT_BYTES);
    let bytes = match tokio::time::timeout(BODY_TIMEOUT, body.collect()).await {
        Err(_) => {
            return Err(Rejection(
                StatusCode::REQUEST_TIMEOUT,
                "the report did not arrive in time".into(),
            ));
        }
        Ok(Err(error)) if error.is::<http_body_util::LengthLimitError>() => return Err(too_large()),
        Ok(Err(error)) => return Err(bad(error.to_string())),
        Ok(Ok(collected)) => collected.to_bytes(),
    };
    serde_json::from_slice(&bytes)
        .map_err(|error| bad(format!("not a report of the checker: {error}")))
}

/// The report's name and results as the class keeps them, or why not.
fn validate(state: &State, report: &Report) -> Result<(String, Vec<ExerciseResult>), Rejection> {
    let is_id = report.learner.len() == 32
        && report
            .learner
            .bytes()
            .all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte));
    if !is_id {
        return Err(bad("the learner id is not one `checker join` makes".into()));
    }
    if report.name.trim().chars().count() > MAX_NAME_CHARS {
        return Err(bad(format!(
            "a name is at most {MAX_NAME_CHARS} characters"
        )));
    }
    let name = super::clean_text(&report.name, MAX_NAME_CHARS);
    if name.is_empty() {
        return Err(bad(
            "a name is needed: `checker join URL --name \"Your name\"`".into(),
        ));
    }
    if report.results.len() > MAX_RESULTS_PER_REPORT {
        return Err(bad(format!(
            "a report holds at most {MAX_RESULTS_PER_REPORT} results"
        )));
    }
    let mut results = Vec::with_capacity(report.results.len());
    for result in &report.results {
        let known = state
            .exercises
            .iter()
            .any(|(exercise, _)| *exercise == result.exercise);
        if !known {
            return Err(bad(format!(
                "this class has no exercise \"{}\"",
                super::clean_text(&result.exercise, 60)
            )));
        }
        results.push(ExerciseResult {
            exercise: result.exercise.clone(),
            passed: result.passed,
            step: (!result.passed).then(|| {
                super::clean_text(result.step.as_deref().unwrap_or("?"), super::MAX_STEP_CHARS)
            }),
            hints_seen: result.hints_seen.min(99),
            seconds_since_start: result.seconds_since_start.min(MAX_SECONDS_SINCE_START),
        });
    }
    Ok((name, results))
}
