//! The `@connections` management API: PostToConnection, GetConnection,
//! DeleteConnection, with API Gateway's status codes and error shapes. A call
//! is checked as API Gateway checks it (signed, allowed by the caller's role,
//! for this API's stage), then done on the connection it names.

use std::sync::Arc;

use bytes::Bytes;
use chrono::{DateTime, SecondsFormat, Utc};
use hyper::body::Incoming;
use hyper::{Method, Request, StatusCode};
use serde_json::json;

use super::body::{self, BodyError};
use super::connections::{Connection, Outgoing, SendError};
use super::events::Event;
use super::gateway::{MAX_MESSAGE_BYTES, WebSocketApi};
use super::lambda::callers::Signer;
use super::response::{self, AwsError, Protocol, Response};
use super::services::Services;
use crate::stack::ACCOUNT_ID;

/// The IAM action of every `@connections` call.
const MANAGE_CONNECTIONS: &str = "execute-api:ManageConnections";

/// The close code a client sees when its connection is deleted.
const DELETED_CLOSE_CODE: u16 = 1000;

/// One `@connections/{connection_id}` call on `stage`, reported as
/// [`Event::Management`] with its status.
pub(crate) async fn handle(
    api: &WebSocketApi,
    services: &Services,
    request: Request<Incoming>,
    stage: &str,
    connection_id: &str,
) -> Response {
    let method = request.method().clone();
    let signer = services.callers.signer(request.headers());
    let request_id = signer.invocation();
    let response = match refused(api, services, &signer, &method, stage, connection_id) {
        Some(refused) => refused,
        None => {
            let connection = api
                .connections
                .get(connection_id)
                .filter(|connection| connection.is_open());
            answer(api, services, request, connection, request_id.clone()).await
        }
    };
    services.events.emit(Event::Management {
        method: method.to_string(),
        connection_id: connection_id.to_owned(),
        status: response.status().as_u16(),
        request_id,
    });
    response
}

/// What API Gateway checks before it looks at the connection (a signature,
/// the caller's role, the stage): its answer when the call fails them.
fn refused(
    api: &WebSocketApi,
    services: &Services,
    signer: &Signer,
    method: &Method,
    stage: &str,
    connection_id: &str,
) -> Option<Response> {
    if !signer.authorization.is_signed() {
        return Some(error(
            StatusCode::FORBIDDEN,
            "ForbiddenException",
            "Missing Authentication Token",
        ));
    }
    let resource = format!(
        "arn:aws:execute-api:{}:{ACCOUNT_ID}:{}/{stage}/{method}/@connections/{connection_id}",
        services.region, api.api_id
    );
    let call = format!("{method} @connections/{connection_id}");
    let caller = signer.caller.as_deref();
    let authorized = services.iam.authorize(
        caller,
        MANAGE_CONNECTIONS,
        &resource,
        &call,
        &services.events,
    );
    if let Err(refusal) = authorized {
        // API Gateway's words for IAM's refusal.
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
        let denied = AwsError {
            capital_message: true,
            ..AwsError::new(StatusCode::FORBIDDEN, "ForbiddenException", &message)
        };
        return Some(response::aws_error(Protocol::RestJson, denied));
    }
    if stage != api.stage {
        let message = format!(
            "Forbidden: this API has no stage \"{stage}\" (its stage is \"{}\")",
            api.stage
        );
        return Some(error(StatusCode::FORBIDDEN, "ForbiddenException", &message));
    }
    None
}

/// The call itself, on the connection it names if that one is open.
/// `request_id`: the calling invocation's, which a posted frame belongs to.
async fn answer(
    api: &WebSocketApi,
    services: &Services,
    request: Request<Incoming>,
    connection: Option<Arc<Connection>>,
    request_id: Option<String>,
) -> Response {
    match *request.method() {
        Method::POST if api.connections.throttled() => error(
            StatusCode::TOO_MANY_REQUESTS,
            "LimitExceededException",
            "Rate exceeded",
        ),
        Method::POST => {
            let read = body::read(
                request.into_body(),
                MAX_MESSAGE_BYTES,
                services.body_timeout,
            );
            match read.await {
                Ok(body) => post(connection.as_deref(), body, request_id),
                Err(unread) => unread_body(unread),
            }
        }
        Method::GET => match connection {
            Some(connection) => get(&connection),
            None => gone(),
        },
        Method::DELETE => match connection {
            Some(connection) => delete(&connection),
            None => gone(),
        },
        _ => error(
            StatusCode::FORBIDDEN,
            "ForbiddenException",
            "Missing Authentication Token",
        ),
    }
}

/// PostToConnection: the body queued as one frame.
fn post(connection: Option<&Connection>, body: Bytes, request_id: Option<String>) -> Response {
    let Some(connection) = connection else {
        return gone();
    };
    let frame = match String::from_utf8(body.to_vec()) {
        Ok(text) => Outgoing::Text(text),
        Err(not_text) => Outgoing::Binary(not_text.into_bytes()),
    };
    match connection.send_for(frame, request_id) {
        Ok(()) => response::empty(StatusCode::OK),
        Err(SendError::Gone) => gone(),
        // API Gateway's answer when "the WebSocket client side buffer is full".
        Err(full @ (SendError::Full { .. } | SendError::Crowded { .. })) => error(
            StatusCode::TOO_MANY_REQUESTS,
            "LimitExceededException",
            &format!("Limit exceeded: {full}"),
        ),
    }
}

/// A post whose body did not arrive whole.
fn unread_body(unread: BodyError) -> Response {
    match unread {
        BodyError::TooLarge => error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "PayloadTooLargeException",
            "Request Entity Too Large",
        ),
        BodyError::TimedOut => error(
            StatusCode::REQUEST_TIMEOUT,
            "RequestTimeoutException",
            "Request timed out: the body did not arrive in time",
        ),
        BodyError::Broken => error(
            StatusCode::BAD_REQUEST,
            "BadRequestException",
            "The request body is incomplete",
        ),
    }
}

/// GetConnection.
fn get(connection: &Connection) -> Response {
    let body = json!({
        "connectedAt": iso(connection.connected_at),
        "identity": connection.identity(),
        "lastActiveAt": iso(connection.last_active_at()),
    });
    response::aws(Protocol::RestJson, StatusCode::OK, &body)
}

/// DeleteConnection: a close frame queued.
fn delete(connection: &Connection) -> Response {
    match connection.send(Outgoing::Close {
        code: DELETED_CLOSE_CODE,
        reason: String::new(),
    }) {
        Err(SendError::Gone) => gone(),
        // A close is never refused for a full queue.
        Ok(()) | Err(SendError::Full { .. } | SendError::Crowded { .. }) => {
            response::empty(StatusCode::NO_CONTENT)
        }
    }
}

fn iso(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// 410 as API Gateway sends it: the code in `x-amzn-ErrorType` and no body
/// (SDKs report a GoneException without a message: Java's `null`, JavaScript's
/// status code, PHP's "Error parsing JSON").
fn gone() -> Response {
    let gone = AwsError {
        message: None,
        ..AwsError::new(StatusCode::GONE, "GoneException", "")
    };
    response::aws_error(Protocol::RestJson, gone)
}

/// API Gateway's error shape: the code in `x-amzn-ErrorType`, the text in `message`.
fn error(status: StatusCode, code: &'static str, message: &str) -> Response {
    response::aws_error(Protocol::RestJson, AwsError::new(status, code, message))
}
