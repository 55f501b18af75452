//! The WebSocket side of API Gateway: the handshake and `$connect`, route
//! selection and invocation per message, error frames, `$disconnect`.

mod event;
mod socket;

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{self, HeaderName, HeaderValue};
use hyper::{Request, Response, StatusCode};
use serde_json::Value;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;

use super::connections::{Connection, Outgoing};
use super::events::Event;
use super::lambda::InvokeError;
use super::{Route, Shared, ids};
pub(crate) use event::Handshake;

/// Response headers API Gateway sets itself; a `$connect` Lambda's are ignored.
const HANDSHAKE_RESPONSE_OWNED: &[&str] = &[
    "connection",
    "upgrade",
    "sec-websocket-accept",
    "content-length",
    "transfer-encoding",
];

/// Whether a request asks for a WebSocket upgrade.
pub(crate) fn is_upgrade(request: &Request<Incoming>) -> bool {
    request
        .headers()
        .get(header::UPGRADE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.eq_ignore_ascii_case("websocket"))
}

/// Runs `$connect`, then answers the handshake with its status, as API Gateway does.
pub(crate) async fn upgrade(
    shared: Arc<Shared>,
    mut request: Request<Incoming>,
    peer: SocketAddr,
    local_port: u16,
    secure: bool,
) -> Response<Full<Bytes>> {
    let headers = request.headers();
    let key = headers.get(header::SEC_WEBSOCKET_KEY).cloned();
    let version_ok = headers
        .get(header::SEC_WEBSOCKET_VERSION)
        .is_some_and(|version| version == "13");
    let Some(key) = key.filter(|_| version_ok) else {
        return plain(
            StatusCode::BAD_REQUEST,
            "a WebSocket handshake needs Sec-WebSocket-Key and Sec-WebSocket-Version: 13",
        );
    };
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let (connection, frames) = Connection::new(
        ids::connection_id(),
        peer.ip().to_string(),
        user_agent,
        &shared.connections,
    );
    shared.connections.insert(connection.clone());

    let connect_headers = match shared.routes.get("$connect") {
        None => Vec::new(),
        Some(route) => {
            let request_id = ids::request_id();
            let handshake = Handshake {
                headers: request.headers(),
                query: request.uri().query(),
                local_port,
                secure,
            };
            let event = event::connect(&shared, &connection, &request_id, &handshake);
            let outcome = invoke(
                &shared,
                route,
                "$connect",
                &connection.id,
                &request_id,
                event,
            )
            .await;
            match connect_status(&outcome) {
                Ok(()) => outcome
                    .map(|response| response_headers(&response))
                    .unwrap_or_default(),
                Err(status) => {
                    shared.connections.remove(&connection.id);
                    shared.events.emit(Event::ConnectRejected {
                        connection_id: connection.id.clone(),
                        status: status.as_u16(),
                    });
                    return rejection(status);
                }
            }
        }
    };

    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let response_headers = response.headers_mut();
    for (name, value) in connect_headers {
        response_headers.append(name, value);
    }
    response_headers.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
    response_headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    if let Ok(accept) = HeaderValue::from_str(&derive_accept_key(key.as_bytes())) {
        response_headers.insert(header::SEC_WEBSOCKET_ACCEPT, accept);
    }
    let upgraded = hyper::upgrade::on(&mut request);
    tokio::spawn(async move {
        match upgraded.await {
            Ok(upgraded) => socket::run(shared, connection, frames, upgraded).await,
            Err(error) => {
                tracing::debug!(%error, "the client left during the handshake");
                shared.connections.remove(&connection.id);
            }
        }
    });
    response
}

/// 2xx accepts; any other status rejects with that status; a failed Lambda gives 502.
fn connect_status(outcome: &Result<Value, InvokeError>) -> Result<(), StatusCode> {
    let Ok(response) = outcome else {
        return Err(StatusCode::BAD_GATEWAY);
    };
    let status = match response.get("statusCode") {
        None | Some(Value::Null) => return Ok(()),
        Some(Value::Number(number)) => number.as_u64(),
        Some(Value::String(text)) => text.parse().ok(),
        Some(_) => None,
    };
    let status = status
        .and_then(|code| u16::try_from(code).ok())
        .and_then(|code| StatusCode::from_u16(code).ok())
        .ok_or(StatusCode::BAD_GATEWAY)?;
    if status.is_success() {
        Ok(())
    } else {
        Err(status)
    }
}

/// The `headers` and `multiValueHeaders` of a `$connect` response, for the handshake.
fn response_headers(response: &Value) -> Vec<(HeaderName, HeaderValue)> {
    let single = response
        .get("headers")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(name, value)| (name, value.clone()));
    let multi = response
        .get("multiValueHeaders")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .flat_map(|(name, values)| {
            values
                .as_array()
                .into_iter()
                .flatten()
                .map(move |value| (name, value.clone()))
        });
    single
        .chain(multi)
        .filter(|(name, _)| !HANDSHAKE_RESPONSE_OWNED.contains(&name.to_ascii_lowercase().as_str()))
        .filter_map(|(name, value)| {
            let text = match value {
                Value::String(text) => text,
                other => other.to_string(),
            };
            Some((
                HeaderName::from_bytes(name.as_bytes()).ok()?,
                HeaderValue::from_str(&text).ok()?,
            ))
        })
        .collect()
}

/// Routes one text message and sends what the route answers.
pub(crate) async fn route_message(shared: Arc<Shared>, connection: Arc<Connection>, body: String) {
    let request_id = ids::request_id();
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
            });
        }
    }
    let (route_key, route) = match shared.routes.get(&selected).filter(|_| !is_lifecycle) {
        Some(route) => (selected, route),
        None => match shared.routes.get("$default") {
            Some(route) => ("$default".to_owned(), route),
            None => {
                send_error_frame(&connection, "Forbidden", &request_id);
                return;
            }
        },
    };
    let event = event::message(&shared, &connection, &request_id, &route_key, &body);
    let outcome = invoke(
        &shared,
        route,
        &route_key,
        &connection.id,
        &request_id,
        event,
    )
    .await;
    match outcome {
        Err(_) => send_error_frame(&connection, "Internal server error", &request_id),
        Ok(response) if route.two_way => {
            if let Some(reply) = two_way_reply(&response) {
                send_text(&connection, reply);
            }
        }
        Ok(response) => {
            // Dropped, as AWS drops it; the learner who meant it as an answer is told.
            if two_way_reply(&response).is_some_and(|reply| !reply.is_empty()) {
                shared.events.emit(Event::ReplyDropped {
                    function: route.function.name().to_owned(),
                    route_key,
                    connection_id: connection.id.clone(),
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
        route,
        "$disconnect",
        &connection.id,
        &request_id,
        event,
    )
    .await;
}

/// Invokes a route's function and reports it on the event stream.
async fn invoke(
    shared: &Shared,
    route: &Route,
    route_key: &str,
    connection_id: &str,
    request_id: &str,
    event: Value,
) -> Result<Value, InvokeError> {
    let function = route.function.name().to_owned();
    shared.events.emit(Event::InvocationStarted {
        function: function.clone(),
        route_key: route_key.to_owned(),
        connection_id: connection_id.to_owned(),
        request_id: request_id.to_owned(),
    });
    let payload = Bytes::from(event.to_string());
    let outcome = route.function.invoke(payload).await.and_then(|body| {
        serde_json::from_slice::<Value>(&body).map_err(|error| InvokeError::Function {
            error_type: "Runtime.InvalidResponse".into(),
            message: format!("the response is not JSON: {error}"),
        })
    });
    shared.events.emit(Event::InvocationFinished {
        function,
        request_id: request_id.to_owned(),
        outcome: outcome.as_ref().map(Value::to_string).map_err(Clone::clone),
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
fn send_error_frame(connection: &Connection, message: &str, request_id: &str) {
    let frame = format!(
        r#"{{"message": "{message}", "connectionId":"{}", "requestId":"{request_id}"}}"#,
        connection.id
    );
    send_text(connection, frame);
}

fn send_text(connection: &Connection, text: String) {
    // A connection that ended meanwhile has no one left to read the frame.
    connection.send(Outgoing::Text(text));
}

fn rejection(status: StatusCode) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = status;
    response
}

pub(crate) fn plain(status: StatusCode, text: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(text.as_bytes())));
    *response.status_mut() = status;
    response
}
