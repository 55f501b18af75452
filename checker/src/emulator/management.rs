//! The `@connections` management API: PostToConnection, GetConnection,
//! DeleteConnection, with API Gateway's status codes and error shapes.

use bytes::Bytes;
use chrono::{DateTime, SecondsFormat, Utc};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode, header};
use serde_json::json;

use super::body::{self, BodyError};
use super::callers::Caller;
use super::connections::{Outgoing, SendError};
use super::events::Event;
use super::{MAX_MESSAGE_BYTES, Shared, iam, ids};
use crate::stack::ACCOUNT_ID;

/// The IAM action of every `@connections` call.
const MANAGE_CONNECTIONS: &str = "execute-api:ManageConnections";

/// The close code a client sees when its connection is deleted.
const DELETED_CLOSE_CODE: u16 = 1000;

pub(crate) async fn handle(
    shared: &Shared,
    request: Request<Incoming>,
    stage: &str,
    connection_id: &str,
) -> Response<Full<Bytes>> {
    let method = request.method().clone();
    let caller = shared.callers.find(request.headers());
    let request_id = caller.as_ref().and_then(|caller| caller.invocation());
    let response = answer(
        shared,
        request,
        stage,
        connection_id,
        caller.as_deref(),
        request_id.clone(),
    )
    .await;
    shared.events.emit(Event::Management {
        method: method.to_string(),
        connection_id: connection_id.to_owned(),
        status: response.status().as_u16(),
        request_id,
    });
    response
}

/// `caller`: the Lambda process that signed the request, if one did;
/// `request_id`: its invocation's, which the frame it posts belongs to.
async fn answer(
    shared: &Shared,
    request: Request<Incoming>,
    stage: &str,
    connection_id: &str,
    caller: Option<&Caller>,
    request_id: Option<String>,
) -> Response<Full<Bytes>> {
    if !iam::is_signed(request.headers()) {
        return error(
            StatusCode::FORBIDDEN,
            "ForbiddenException",
            "Missing Authentication Token",
        );
    }
    let method = request.method().clone();
    let resource = format!(
        "arn:aws:execute-api:{}:{ACCOUNT_ID}:{}/{stage}/{method}/@connections/{connection_id}",
        shared.region, shared.api_id
    );
    let call = format!("{method} @connections/{connection_id}");
    if let Err(refusal) =
        shared
            .iam
            .authorize(caller, MANAGE_CONNECTIONS, &resource, &call, &shared.events)
    {
        // API Gateway's words for IAM's refusal, under its own key `Message`.
        let why = if refusal.explicit {
            " with an explicit deny"
        } else {
            ""
        };
        let message = format!(
            "User: {} is not authorized to perform: {MANAGE_CONNECTIONS} on resource: \
             {resource}{why}",
            refusal.caller
        );
        let mut response = json_response(
            StatusCode::FORBIDDEN,
            json!({ "Message": message }).to_string(),
        );
        error_type(&mut response, "ForbiddenException");
        return response;
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
            match connection.send_for(frame, request_id) {
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
                "identity": connection.identity(),
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

fn iso(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// 410 as API Gateway sends it: the code in `x-amzn-ErrorType` and no body
/// (SDKs report a GoneException without a message: Java's `null`, JavaScript's
/// status code, PHP's "Error parsing JSON").
fn gone() -> Response<Full<Bytes>> {
    let mut response = empty(StatusCode::GONE);
    error_type(&mut response, "GoneException");
    if let Ok(request_id) = header::HeaderValue::from_str(&ids::request_id()) {
        response
            .headers_mut()
            .insert("x-amzn-requestid", request_id);
    }
    response
}

/// API Gateway's error shape: the code in `x-amzn-ErrorType`, the text in `message`.
fn error(status: StatusCode, code: &'static str, message: &str) -> Response<Full<Bytes>> {
    let mut response = json_response(status, json!({ "message": message }).to_string());
    error_type(&mut response, code);
    response
}

fn error_type(response: &mut Response<Full<Bytes>>, code: &'static str) {
    response
        .headers_mut()
        .insert("x-amzn-errortype", header::HeaderValue::from_static(code));
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
