//! The `@connections` management API: PostToConnection, GetConnection,
//! DeleteConnection, with API Gateway's status codes and error shapes.

use bytes::Bytes;
use chrono::{DateTime, SecondsFormat, Utc};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode, header};
use serde_json::json;

use super::body::{self, BodyError};
use super::connections::{Outgoing, SendError};
use super::events::Event;
use super::{MAX_MESSAGE_BYTES, Shared, ids};

/// The close code a client sees when its connection is deleted.
const DELETED_CLOSE_CODE: u16 = 1000;

pub(crate) async fn handle(
    shared: &Shared,
    request: Request<Incoming>,
    stage: &str,
    connection_id: &str,
) -> Response<Full<Bytes>> {
    let method = request.method().clone();
    let caller = shared.callers.invocation_of(&request);
    let response = answer(shared, request, stage, connection_id, caller.clone()).await;
    shared.events.emit(Event::Management {
        method: method.to_string(),
        connection_id: connection_id.to_owned(),
        status: response.status().as_u16(),
        request_id: caller,
    });
    response
}

/// `caller`: the request id of the calling invocation, when known.
async fn answer(
    shared: &Shared,
    request: Request<Incoming>,
    stage: &str,
    connection_id: &str,
    caller: Option<String>,
) -> Response<Full<Bytes>> {
    if !is_signed(&request) {
        return error(
            StatusCode::FORBIDDEN,
            "ForbiddenException",
            "Missing Authentication Token",
        );
    }
    if stage != shared.stage {
        return error(
            StatusCode::FORBIDDEN,
            "ForbiddenException",
            &format!(
                "Forbidden: this API has no stage \"{stage}\" (its stage is \"{}\")",
                shared.stage
            ),
        );
    }
    let connection = shared
        .connections
        .get(connection_id)
        .filter(|connection| connection.is_open());
    let method = request.method().clone();
    match method {
        Method::POST if shared.connections.throttled() => error(
            StatusCode::TOO_MANY_REQUESTS,
            "LimitExceededException",
            "Rate exceeded",
        ),
        Method::POST => {
            let read = body::read(
                request.into_body(),
                MAX_MESSAGE_BYTES,
                shared.settings.body_timeout,
            );
            let body = match read.await {
                Ok(body) => body,
                Err(BodyError::TooLarge) => {
                    return error(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "PayloadTooLargeException",
                        "Request Entity Too Large",
                    );
                }
                Err(BodyError::TimedOut) => {
                    return error(
                        StatusCode::REQUEST_TIMEOUT,
                        "RequestTimeoutException",
                        "Request timed out: the body did not arrive in time",
                    );
                }
                Err(BodyError::Broken) => {
                    return error(
                        StatusCode::BAD_REQUEST,
                        "BadRequestException",
                        "The request body is incomplete",
                    );
                }
            };
            let Some(connection) = connection else {
                return gone();
            };
            let frame = match String::from_utf8(body.to_vec()) {
                Ok(text) => Outgoing::Text(text),
                Err(not_text) => Outgoing::Binary(not_text.into_bytes()),
            };
            match connection.send_for(frame, caller) {
                Ok(()) => empty(StatusCode::OK),
                Err(SendError::Gone) => gone(),
                // API Gateway's answer when "the WebSocket client side buffer is full".
                Err(full @ SendError::Full { .. }) => error(
                    StatusCode::TOO_MANY_REQUESTS,
                    "LimitExceededException",
                    &format!("Limit exceeded: {full}"),
                ),
            }
        }
        Method::GET => {
            let Some(connection) = connection else {
                return gone();
            };
            let body = json!({
                "connectedAt": iso(connection.connected_at),
                "identity": { "sourceIp": connection.source_ip, "userAgent": connection.user_agent },
                "lastActiveAt": iso(connection.last_active_at()),
            });
            json_response(StatusCode::OK, body.to_string())
        }
        Method::DELETE => {
            let Some(connection) = connection else {
                return gone();
            };
            match connection.send(Outgoing::Close {
                code: DELETED_CLOSE_CODE,
                reason: String::new(),
            }) {
                Err(SendError::Gone) => gone(),
                // A close is never refused for a full queue.
                Ok(()) | Err(SendError::Full { .. }) => empty(StatusCode::NO_CONTENT),
            }
        }
        _ => error(
            StatusCode::FORBIDDEN,
            "ForbiddenException",
            "Missing Authentication Token",
        ),
    }
}

/// The SDK signs with SigV4; an unsigned call is refused as on AWS. The
/// signature itself is not verified: the Lambdas hold dummy credentials.
pub(super) fn is_signed(request: &Request<Incoming>) -> bool {
    request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("AWS4-HMAC-SHA256 "))
}

fn iso(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn gone() -> Response<Full<Bytes>> {
    error(
        StatusCode::GONE,
        "GoneException",
        "The connection is gone: it closed, or the id is unknown",
    )
}

/// API Gateway's error shape: the code in `x-amzn-ErrorType`, the text in `message`.
fn error(status: StatusCode, code: &str, message: &str) -> Response<Full<Bytes>> {
    let mut response = json_response(status, json!({ "message": message }).to_string());
    if let Ok(value) = header::HeaderValue::from_str(code) {
        response.headers_mut().insert("x-amzn-errortype", value);
    }
    response
}

fn json_response(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    if let Ok(request_id) = header::HeaderValue::from_str(&ids::request_id()) {
        headers.insert("x-amzn-requestid", request_id);
    }
    response
}

fn empty(status: StatusCode) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = status;
    response
}
