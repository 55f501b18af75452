//! One client message's way: the route selection expression picks a route
//! (`$default` when none matches), its function is invoked, and the client
//! gets what API Gateway would send: a two-way route's reply, an error frame
//! when no route takes the message or the Lambda fails, nothing otherwise.

use std::sync::Arc;

use serde_json::Value;

use super::api::{RouteTarget, WebSocketApi};
use super::invoke::{Call, invoke};
use super::lambda_event;
use crate::emulator::connections::{Connection, Outgoing, SendError};
use crate::emulator::events::Event;

/// Routes one text message (`request_id`: API Gateway's for it) and sends
/// what the route answers.
pub(super) async fn route(
    api: Arc<WebSocketApi>,
    connection: Arc<Connection>,
    body: String,
    request_id: String,
) {
    let Some((route_key, route)) = select(&api, &connection, &body, &request_id) else {
        send_error_frame(&api, &connection, "Forbidden", &request_id);
        return;
    };
    let lambda_event = lambda_event::message(&api, &connection, &request_id, route_key, &body);
    let call = Call {
        route_key,
        connection_id: &connection.id,
        request_id: &request_id,
        authorizes: None,
    };
    let outcome = invoke(&api.events, &route.function, call, lambda_event).await;
    match outcome {
        Err(_) => send_error_frame(&api, &connection, "Internal server error", &request_id),
        Ok(response) if route.two_way => {
            if let Some(reply) = two_way_reply(&response) {
                send_text(&api, &connection, reply, &request_id);
            }
        }
        Ok(response) => {
            // Dropped, as AWS drops it; the learner who meant it as an answer is told.
            if two_way_reply(&response).is_some_and(|reply| !reply.is_empty()) {
                api.events.emit(Event::ReplyDropped {
                    function: route.function.name().to_owned(),
                    route_key: route_key.to_owned(),
                    connection_id: connection.id.clone(),
                    request_id,
                });
            }
        }
    }
}

/// The route the message goes to, by its key: the one the expression
/// selects, else `$default` (`$connect` and `$disconnect` are never
/// selected by a message). Reported as [`Event::Routed`].
fn select<'a>(
    api: &'a WebSocketApi,
    connection: &Connection,
    body: &str,
    request_id: &str,
) -> Option<(&'a str, &'a RouteTarget)> {
    let selected = api.route_selection.evaluate(body);
    let is_lifecycle = selected == "$connect" || selected == "$disconnect";
    if !api.routes.contains_key(&selected) {
        // A custom route that differs only in case is a likely slip: say so.
        let near = api
            .routes
            .keys()
            .find(|key| !key.starts_with('$') && key.eq_ignore_ascii_case(&selected));
        if let Some(route) = near {
            api.events.emit(Event::RouteCaseMismatch {
                selected: selected.clone(),
                route: route.clone(),
                connection_id: connection.id.clone(),
                request_id: request_id.to_owned(),
            });
        }
    }
    let chosen = match api
        .routes
        .get_key_value(&selected)
        .filter(|_| !is_lifecycle)
    {
        Some(chosen) => Some(chosen),
        None => api.routes.get_key_value("$default"),
    };
    api.events.emit(Event::Routed {
        request_id: request_id.to_owned(),
        connection_id: connection.id.clone(),
        selection: selected,
        route_key: chosen.map(|(key, _)| key.clone()),
    });
    chosen.map(|(key, route)| (key.as_str(), route))
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
fn send_error_frame(api: &WebSocketApi, connection: &Connection, message: &str, request_id: &str) {
    let frame = format!(
        r#"{{"message": "{message}", "connectionId":"{}", "requestId":"{request_id}"}}"#,
        connection.id
    );
    send_text(api, connection, frame, request_id);
}

/// Sends the emulator's own frame (an error frame, a two-way reply). One the
/// client has no room for is dropped, and said so on the event stream.
fn send_text(api: &WebSocketApi, connection: &Connection, text: String, request_id: &str) {
    match connection.send_for(Outgoing::Text(text), Some(request_id.to_owned())) {
        // A connection that ended meanwhile has no one left to read the frame.
        Ok(()) | Err(SendError::Gone) => {}
        Err(full @ (SendError::Full { .. } | SendError::Crowded { .. })) => {
            api.events.emit(Event::FrameDropped {
                connection_id: connection.id.clone(),
                reason: full.to_string(),
                request_id: request_id.to_owned(),
            })
        }
    }
}
