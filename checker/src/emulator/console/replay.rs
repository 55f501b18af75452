//! Replay: the event an invocation received, sent again to its function, as
//! SST's console does, or that event as the page edited it (as the AWS
//! console's test invoke takes a payload of your own). The new invocation is
//! reported on the event stream like any other (so the page, the `serve` log
//! and its side effects show it); its response is returned to the page,
//! never sent to a client.

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::StatusCode;
use hyper::body::Incoming;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::emulator::events::Event;
use crate::emulator::{Shared, gateway, ids};

/// An invocation's id and, when edited, its event: API Gateway's events stay
/// under 140 KB (a 128 KB message and its context), so this holds any of
/// them several times over.
const MAX_REQUEST_BYTES: usize = 512 * 1024;

#[derive(Deserialize)]
struct ReplayRequest {
    request_id: String,
    /// The event to send instead of the stored one.
    #[serde(default)]
    event: Option<Value>,
}

pub(super) async fn handle(shared: Arc<Shared>, body: Incoming) -> hyper::Response<Full<Bytes>> {
    let body = match Limited::new(body, MAX_REQUEST_BYTES).collect().await {
        Ok(body) => body.to_bytes(),
        Err(_) => {
            return super::json_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                &format!("a replay request holds at most {MAX_REQUEST_BYTES} bytes"),
            );
        }
    };
    let request = match serde_json::from_slice::<ReplayRequest>(&body) {
        Ok(request) => request,
        Err(error) => {
            return super::json_error(
                StatusCode::BAD_REQUEST,
                &format!(
                    "send {{\"request_id\": \"…\"}}, the request id of an invocation, and \
                     optionally \"event\": {{…}}, the event to send instead ({error})"
                ),
            );
        }
    };
    let request_id = request.request_id;
    let original = shared.events.find_in_history(|event| {
        matches!(event, Event::InvocationStarted { request_id: id, .. } if *id == request_id)
    });
    let Some(Event::InvocationStarted {
        function,
        mut route_key,
        mut connection_id,
        mut payload,
        ..
    }) = original.map(|stamped| stamped.event.clone())
    else {
        return super::json_error(
            StatusCode::NOT_FOUND,
            &format!(
                "no invocation {request_id} in the run's history (it keeps the newest {} events)",
                crate::emulator::events::Bound::HISTORY.events
            ),
        );
    };
    let edited = request.event.is_some();
    if let Some(event) = request.event {
        if !event.is_object() {
            return super::json_error(
                StatusCode::BAD_REQUEST,
                "the edited event must be a JSON object, as every event API Gateway sends is",
            );
        }
        // The event stream names the invocation by what the event says now.
        let context = &event["requestContext"];
        if let Some(edited) = context["routeKey"].as_str() {
            edited.clone_into(&mut route_key);
        }
        if let Some(edited) = context["connectionId"].as_str() {
            edited.clone_into(&mut connection_id);
        }
        payload = event.to_string();
    }
    let Some(pool) = shared.functions.get(&function).cloned() else {
        return super::json_error(
            StatusCode::NOT_FOUND,
            &format!("the stack has no function {function}"),
        );
    };
    let replay_id = ids::request_id();
    let started = Instant::now();
    let outcome = gateway::invoke_payload(
        &shared,
        &pool,
        &route_key,
        &connection_id,
        &replay_id,
        payload,
    )
    .await;
    let outcome = match outcome {
        Ok(response) => json!({ "response": response }),
        Err(error) => json!({ "error": error.to_string() }),
    };
    let body = json!({
        "request_id": replay_id,
        "replay_of": request_id,
        "function": function,
        "edited": edited,
        "duration_ms": started.elapsed().as_secs_f64() * 1000.0,
        "outcome": outcome,
    });
    super::json(StatusCode::OK, body.to_string())
}
