//! Replay: the event an invocation received, sent again to its function, as
//! SST's console does. The new invocation is reported on the event stream
//! like any other (so the page, the `serve` log and its side effects show
//! it); its response is returned to the page, never sent to a client.

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::StatusCode;
use hyper::body::Incoming;
use serde::Deserialize;
use serde_json::json;

use crate::emulator::events::Event;
use crate::emulator::{Shared, gateway, ids};

/// The request names an invocation; nothing larger is needed.
const MAX_REQUEST_BYTES: usize = 4 * 1024;

#[derive(Deserialize)]
struct ReplayRequest {
    request_id: String,
}

pub(super) async fn handle(shared: Arc<Shared>, body: Incoming) -> hyper::Response<Full<Bytes>> {
    let body = match Limited::new(body, MAX_REQUEST_BYTES).collect().await {
        Ok(body) => body.to_bytes(),
        Err(_) => {
            return super::json_error(StatusCode::BAD_REQUEST, "the request body is too large");
        }
    };
    let Ok(ReplayRequest { request_id }) = serde_json::from_slice(&body) else {
        return super::json_error(
            StatusCode::BAD_REQUEST,
            "send {\"request_id\": \"…\"}, the request id of an invocation",
        );
    };
    let original = shared.events.find_in_history(|event| {
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
        return super::json_error(
            StatusCode::NOT_FOUND,
            &format!(
                "no invocation {request_id} in the run's history (it keeps the newest {} events)",
                crate::emulator::events::Bound::HISTORY.events
            ),
        );
    };
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
        "duration_ms": started.elapsed().as_secs_f64() * 1000.0,
        "outcome": outcome,
    });
    super::json(StatusCode::OK, body.to_string())
}
