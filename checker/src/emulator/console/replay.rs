//! Replay: the event an invocation received, sent again to its function, as
//! SST's console does, or that event as the page edited it (as the AWS
//! console's test invoke takes a payload of your own). The new invocation is
//! reported on the event stream like any other (so the page, the `serve` log
//! and its side effects show it); its response is returned to the page,
//! never sent to a client.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use http_body_util::{BodyExt, Limited};
use hyper::StatusCode;
use hyper::body::Incoming;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::emulator::events::{Bound, Event, EventBus};
use crate::emulator::gateway::{Call, invoke_payload};
use crate::emulator::ids;
use crate::emulator::lambda::FunctionPool;
use crate::emulator::response::{self, Response};

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

/// Replays the invocation the body names (`{"request_id": …}`, with an
/// optional edited `"event"`) through `functions`.
pub(super) async fn handle(
    events: &EventBus,
    functions: &HashMap<String, Arc<FunctionPool>>,
    body: Incoming,
) -> Response {
    let body = match Limited::new(body, MAX_REQUEST_BYTES).collect().await {
        Ok(body) => body.to_bytes(),
        Err(_) => {
            return response::json_message(
                StatusCode::PAYLOAD_TOO_LARGE,
                &format!("a replay request holds at most {MAX_REQUEST_BYTES} bytes"),
            );
        }
    };
    let request = match serde_json::from_slice::<ReplayRequest>(&body) {
        Ok(request) => request,
        Err(error) => {
            return response::json_message(
                StatusCode::BAD_REQUEST,
                &format!(
                    "send {{\"request_id\": \"…\"}}, the request id of an invocation, and \
                     optionally \"event\": {{…}}, the event to send instead ({error})"
                ),
            );
        }
    };
    let request_id = request.request_id;
    let original = events.find_in_history(|event| {
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
        return response::json_message(
            StatusCode::NOT_FOUND,
            &format!(
                "no invocation {request_id} in the run's history (it keeps the newest {} events)",
                Bound::HISTORY.events
            ),
        );
    };
    let edited = request.event.is_some();
    if let Some(event) = request.event {
        if !event.is_object() {
            return response::json_message(
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
    let Some(pool) = functions.get(&function) else {
        return response::json_message(
            StatusCode::NOT_FOUND,
            &format!("the stack has no function {function}"),
        );
    };
    let replay_id = ids::request_id();
    let started = Instant::now();
    let call = Call {
        route_key: &route_key,
        connection_id: &connection_id,
        request_id: &replay_id,
        authorizes: None,
    };
    let outcome = invoke_payload(events, pool, call, payload).await;
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
    response::json(StatusCode::OK, body.to_string())
}
