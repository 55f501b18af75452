//! Replay: the event an invocation received, sent again to its function, as
//! SST's console does. The new invocation is reported on the event stream
//! like any other (so the page, the `serve` log and its side effects show
//! it); its response is returned to the page, never sent to a client.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use http_body_util::{BodyExt, Limited};
use hyper::StatusCode;
use hyper::body::Incoming;
use serde::Deserialize;
use serde_json::json;

use crate::emulator::events::{Bound, Event, EventBus};
use crate::emulator::gateway::{Call, invoke_payload};
use crate::emulator::ids;
use crate::emulator::lambda::FunctionPool;
use crate::emulator::response::{self, Response};

/// The request names an invocation; nothing larger is needed.
const MAX_REQUEST_BYTES: usize = 4 * 1024;

#[derive(Deserialize)]
struct ReplayRequest {
    request_id: String,
}

/// Replays the invocation the body names (`{"request_id": …}`) through `functions`.
pub(super) async fn handle(
    events: &EventBus,
    functions: &HashMap<String, Arc<FunctionPool>>,
    body: Incoming,
) -> Response {
    let body = match Limited::new(body, MAX_REQUEST_BYTES).collect().await {
        Ok(body) => body.to_bytes(),
        Err(_) => {
            return response::json_message(
                StatusCode::BAD_REQUEST,
                "the request body is too large",
            );
        }
    };
    let Ok(ReplayRequest { request_id }) = serde_json::from_slice(&body) else {
        return response::json_message(
            StatusCode::BAD_REQUEST,
            "send {\"request_id\": \"…\"}, the request id of an invocation",
        );
    };
    let original = events.find_in_history(|event| {
        matches!(event, Event::InvocationStarted { request_id: id, .. } if *id == request_id)
    });
    let Some(Event::InvocationStarted {
        function,
        route_key,
        connection_id,
        payload,
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
        "duration_ms": started.elapsed().as_secs_f64() * 1000.0,
        "outcome": outcome,
    });
    response::json(StatusCode::OK, body.to_string())
}
