//! The WebSocket side of API Gateway: the handshake and `$connect`, route
//! selection and invocation per message, error frames, `$disconnect`.

mod event;
mod handshake;
mod socket;

use std::sync::Arc;

use bytes::Bytes;
use hyper::Request;
use hyper::body::Incoming;
use hyper::header;
use serde_json::Value;

use super::connections::{Connection, Outgoing, SendError};
use super::events::Event;
use super::lambda::FunctionPool;
use super::lambda::InvokeError;
use super::{Shared, ids};
pub(crate) use handshake::{Origin, plain, upgrade};

/// Whether a request asks for a WebSocket upgrade.
pub(crate) fn is_upgrade(request: &Request<Incoming>) -> bool {
    request
        .headers()
        .get(header::UPGRADE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.eq_ignore_ascii_case("websocket"))
}

/// Routes one text message (API Gateway's `request_id` for it) and sends
/// what the route answers.
pub(crate) async fn route_message(
    shared: Arc<Shared>,
    connection: Arc<Connection>,
    body: String,
    request_id: String,
) {
    let selected = shared.route_selection.evaluate(&body);
    let is_lifecycle = selected == "$connect" || selected == "$disconnect";
    if !shared.routes.contains_key(&selected) {
        // A custom route that differs only in case is a likely slip: say so.
        let near = shared
            .routes
            .keys()
            .find(|key| !key.starts_with('$') && key.eq_ignore_ascii_case(&selected));
        if let Some(route) = near {
            shared.events.emit(Event::RouteCaseMismatch {
                selected: selected.clone(),
                route: route.clone(),
                connection_id: connection.id.clone(),
                request_id: request_id.clone(),
            });
        }
    }
    let chosen = match shared.routes.get(&selected).filter(|_| !is_lifecycle) {
        Some(route) => Some((selected.clone(), route)),
        None => shared
            .routes
            .get("$default")
            .map(|route| ("$default".to_owned(), route)),
    };
    shared.events.emit(Event::Routed {
        request_id: request_id.clone(),
        connection_id: connection.id.clone(),
        selection: selected,
        route_key: chosen.as_ref().map(|(key, _)| key.clone()),
    });
    let Some((route_key, route)) = chosen else {
        send_error_frame(&shared, &connection, "Forbidden", &request_id);
        return;
    };
    let event = event::message(&shared, &connection, &request_id, &route_key, &body);
    let outcome = invoke(
        &shared,
        &route.function,
        &route_key,
        &connection.id,
        &request_id,
        event,
    )
    .await;
    match outcome {
        Err(_) => send_error_frame(&shared, &connection, "Internal server error", &request_id),
        Ok(response) if route.two_way => {
            if let Some(reply) = two_way_reply(&response) {
                send_text(&shared, &connection, reply, &request_id);
            }
        }
        Ok(response) => {
            // Dropped, as AWS drops it; the learner who meant it as an answer is told.
            if two_way_reply(&response).is_some_and(|reply| !reply.is_empty()) {
                shared.events.emit(Event::ReplyDropped {
                    function: route.function.name().to_owned(),
                    route_key,
                    connection_id: connection.id.clone(),
                    request_id,
                });
            }
        }
    }
}

/// Runs `$disconnect`, if the API has it; API Gateway ignores its result.
pub(crate) async fn disconnect(
    shared: Arc<Shared>,
    connection: Arc<Connection>,
    code: u16,
    reason: String,
) {
    let Some(route) = shared.routes.get("$disconnect") else {
        return;
    };
    let request_id = ids::request_id();
    let event = event::disconnect(&shared, &connection, &request_id, code, &reason);
    let _ = invoke(
        &shared,
        &route.function,
        "$disconnect",
        &connection.id,
        &request_id,
        event,
    )
    .await;
}

/// Invokes a route's function and reports it on the event stream.
pub(super) async fn invoke(
    shared: &Shared,
    function: &FunctionPool,
    route_key: &str,
    connection_id: &str,
    request_id: &str,
    event: Value,
) -> Result<Value, InvokeError> {
    let payload = event.to_string();
    let raw = invoke_payload(
        shared,
        function,
        route_key,
        connection_id,
        request_id,
        payload,
    )
    .await;
    raw.and_then(|body| {
        serde_json::from_str::<Value>(&body).map_err(|error| InvokeError::Function {
            error_type: "Runtime.InvalidResponse".into(),
            message: format!("the response is not JSON: {error}"),
        })
    })
}

/// Hands `payload` to `function` as one invocation, reported on the event
/// stream with the response as the Lambda sent it (the console's replay
/// comes here too).
pub(crate) async fn invoke_payload(
    shared: &Shared,
    function: &FunctionPool,
    route_key: &str,
    connection_id: &str,
    request_id: &str,
    payload: String,
) -> Result<String, InvokeError> {
    let name = function.name().to_owned();
    shared.events.emit(Event::InvocationStarted {
        function: name.clone(),
        route_key: route_key.to_owned(),
        connection_id: connection_id.to_owned(),
        request_id: request_id.to_owned(),
        payload: payload.clone(),
    });
    let outcome = function
        .invoke(Bytes::from(payload), request_id)
        .await
        .map(|body| String::from_utf8_lossy(&body).into_owned());
    shared.events.emit(Event::InvocationFinished {
        function: name,
        request_id: request_id.to_owned(),
        outcome: outcome.clone(),
    });
    outcome
}

/// What a two-way route sends back: the proxy response's `body`, or a bare
/// value returned by a handler that does not use the proxy shape.
fn two_way_reply(response: &Value) -> Option<String> {
    match response {
        Value::Object(fields)
            if fields.contains_key("statusCode") || fields.contains_key("body") =>
        {
            match fields.get("body")? {
                Value::Null => None,
                Value::String(text) => Some(text.clone()),
                other => Some(other.to_string()),
            }
        }
        Value::Null => None,
        Value::String(text) => Some(text.clone()),
        other => Some(other.to_string()),
    }
}

/// API Gateway's error frames, byte for byte (note the space after the first colon only).
fn send_error_frame(shared: &Shared, connection: &Connection, message: &str, request_id: &str) {
    let frame = format!(
        r#"{{"message": "{message}", "connectionId":"{}", "requestId":"{request_id}"}}"#,
        connection.id
    );
    send_text(shared, connection, frame, request_id);
}

/// Sends the emulator's own frame (an error frame, a two-way reply). One the
/// client has no room for is dropped, and said so on the event stream.
fn send_text(shared: &Shared, connection: &Connection, text: String, request_id: &str) {
    match connection.send_for(Outgoing::Text(text), Some(request_id.to_owned())) {
        // A connection that ended meanwhile has no one left to read the frame.
        Ok(()) | Err(SendError::Gone) => {}
        Err(full @ SendError::Full { .. }) => shared.events.emit(Event::FrameDropped {
            connection_id: connection.id.clone(),
            reason: full.to_string(),
            request_id: request_id.to_owned(),
        }),
    }
}
