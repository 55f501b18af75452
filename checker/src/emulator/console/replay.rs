//! Replay: the event an invocation received, sent again to its function, as
//! SST's console does, or that event as the page edited it (as the AWS
//! console's test invoke takes a payload of your own). The new invocation is
//! reported on the event stream like any other (so the page, the `serve` log
//! and its side effects show it); its response is returned to the page,
//! never sent to a client.
//!
//! A `$connect` is replayed only while its connection is open: replayed
//! after its `$disconnect`, what it wrote (a table row) would stay for good,
//! as nothing would ever remove it.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use http_body_util::{BodyExt, Limited};
use hyper::StatusCode;
use hyper::body::Incoming;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::emulator::events::{Bound, Event, EventBus};
use crate::emulator::gateway::{Call, WebSocketApi, invoke_payload};
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
    api: &WebSocketApi,
    functions: &HashMap<String, Arc<FunctionPool>>,
    body: Incoming,
) -> Response {
    match replay(events, api, functions, body).await {
        Ok(answer) => answer,
        Err(Unplayable(status, message)) => response::json_message(status, &message),
    }
}

/// Why the replay cannot be made: the answer's status and what it says.
struct Unplayable(StatusCode, String);

/// The invocation to send again, as the event stream names it.
struct Replayed {
    function: String,
    route_key: String,
    connection_id: String,
    payload: String,
}

async fn replay(
    events: &EventBus,
    api: &WebSocketApi,
    functions: &HashMap<String, Arc<FunctionPool>>,
    body: Incoming,
) -> Result<Response, Unplayable> {
    let request = read_request(body).await?;
    let request_id = request.request_id;
    let mut invocation = find(events, &request_id)?;
    let edited = request.event.is_some();
    if let Some(event) = request.event {
        edit(&mut invocation, event)?;
    }
    check_open(api, &invocation)?;
    let Replayed {
        function,
        route_key,
        connection_id,
        payload,
    } = invocation;
    let Some(pool) = functions.get(&function) else {
        return Err(Unplayable(
            StatusCode::NOT_FOUND,
            format!("the stack has no function {function}"),
        ));
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
    Ok(response::json(StatusCode::OK, body.to_string()))
}

async fn read_request(body: Incoming) -> Result<ReplayRequest, Unplayable> {
    let body = match Limited::new(body, MAX_REQUEST_BYTES).collect().await {
        Ok(body) => body.to_bytes(),
        Err(_) => {
            return Err(Unplayable(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("a replay request holds at most {MAX_REQUEST_BYTES} bytes"),
            ));
        }
    };
    serde_json::from_slice::<ReplayRequest>(&body).map_err(|error| {
        Unplayable(
            StatusCode::BAD_REQUEST,
            format!(
                "send {{\"request_id\": \"…\"}}, the request id of an invocation, and \
                 optionally \"event\": {{…}}, the event to send instead ({error})"
            ),
        )
    })
}

/// The invocation `request_id` in the run's history.
fn find(events: &EventBus, request_id: &str) -> Result<Replayed, Unplayable> {
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
        return Err(Unplayable(
            StatusCode::NOT_FOUND,
            format!(
                "no invocation {request_id} in the run's history (it keeps the newest {} events)",
                Bound::HISTORY.events
            ),
        ));
    };
    Ok(Replayed {
        function,
        route_key,
        connection_id,
        payload,
    })
}

/// Refuses a `$connect` of a connection that has closed.
fn check_open(api: &WebSocketApi, invocation: &Replayed) -> Result<(), Unplayable> {
    let closed = invocation.route_key == "$connect"
        && api.connections.get(&invocation.connection_id).is_none();
    if !closed {
        return Ok(());
    }
    Err(Unplayable(
        StatusCode::CONFLICT,
        format!(
            "connection {} is closed: its $disconnect has run, so what a replayed $connect \
             writes (a table row) would never be removed. Open a new connection instead, or \
             replay it as another (edit requestContext.connectionId to an open one)",
            invocation.connection_id
        ),
    ))
}

/// The invocation with the page's edited `event` in place of its own.
fn edit(invocation: &mut Replayed, event: Value) -> Result<(), Unplayable> {
    if !event.is_object() {
        return Err(Unplayable(
            StatusCode::BAD_REQUEST,
            "the edited event must be a JSON object, as every event API Gateway sends is"
                .to_owned(),
        ));
    }
    // The event stream names the invocation by what the event says now.
    let context = &event["requestContext"];
    if let Some(edited) = context["routeKey"].as_str() {
        edited.clone_into(&mut invocation.route_key);
    }
    if let Some(edited) = context["connectionId"].as_str() {
        edited.clone_into(&mut invocation.connection_id);
    }
    invocation.payload = event.to_string();
    Ok(())
}
