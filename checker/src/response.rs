//! Every HTTP response the checker sends is built here. The emulator's: the
//! handshake's answers, the AWS services' answers (a request id on each, an
//! error's code in `x-amzn-ErrorType`, its text under `message`, or
//! `Message` where AWS's front end refuses for IAM), the console's pages and
//! the Runtime API's. The class server's: its page, board, CSV and refusals.
//! The handlers decide what to answer; this module decides how it looks.

use bytes::Bytes;
use http_body_util::Full;
use hyper::StatusCode;
use hyper::header::{self, HeaderName, HeaderValue};
use serde_json::{Map, Value, json};
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;

use crate::ids;

pub(crate) type Response = hyper::Response<Full<Bytes>>;

const JSON: &str = "application/json";

fn with_body(status: StatusCode, body: Bytes) -> Response {
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    response
}

fn set(response: &mut Response, name: HeaderName, value: HeaderValue) {
    response.headers_mut().insert(name, value);
}

/// A status alone: `$connect`'s rejection, a post delivered.
pub(crate) fn empty(status: StatusCode) -> Response {
    with_body(status, Bytes::new())
}

/// A status and a line of text, with no content type (as API Gateway sends
/// its handshake refusals).
pub(crate) fn text(status: StatusCode, text: &'static str) -> Response {
    with_body(status, Bytes::from_static(text.as_bytes()))
}

/// [`text`] and one header that says what to do instead (`Allow`,
/// `Sec-WebSocket-Version`, `Upgrade`).
pub(crate) fn text_with(
    status: StatusCode,
    text: &'static str,
    name: HeaderName,
    value: &'static str,
) -> Response {
    let mut response = self::text(status, text);
    set(&mut response, name, HeaderValue::from_static(value));
    response
}

/// A JSON body of the emulator's own (not an AWS service's: no request id).
pub(crate) fn json(status: StatusCode, body: String) -> Response {
    typed(status, Bytes::from(body), JSON)
}

/// `{"message": …}` as [`json`].
pub(crate) fn json_message(status: StatusCode, message: &str) -> Response {
    json(status, json!({ "message": message }).to_string())
}

/// Text for people to read, in UTF-8.
pub(crate) fn plain_text(status: StatusCode, text: String) -> Response {
    typed(status, Bytes::from(text), "text/plain; charset=utf-8")
}

/// A file to save rather than show (`disposition`: `attachment; filename=…`).
pub(crate) fn attachment(
    body: Vec<u8>,
    content_type: &'static str,
    disposition: &'static str,
) -> Response {
    let mut response = typed(StatusCode::OK, Bytes::from(body), content_type);
    set(
        &mut response,
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static(disposition),
    );
    response
}

fn typed(status: StatusCode, body: Bytes, content_type: &'static str) -> Response {
    let mut response = with_body(status, body);
    set(
        &mut response,
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type),
    );
    response
}

/// A file compiled into the binary.
pub(crate) fn asset(body: &'static str, content_type: &'static str) -> Response {
    typed(
        StatusCode::OK,
        Bytes::from_static(body.as_bytes()),
        content_type,
    )
}

/// 308 to `location`.
pub(crate) fn redirect(location: &'static str) -> Response {
    let mut response = empty(StatusCode::PERMANENT_REDIRECT);
    set(
        &mut response,
        header::LOCATION,
        HeaderValue::from_static(location),
    );
    response
}

/// 101: the WebSocket handshake accepted for the client's `key`, after the
/// headers a `$connect` Lambda returned (RFC 6455's own come last and win).
pub(crate) fn switching_protocols(
    key: &HeaderValue,
    headers: Vec<(HeaderName, HeaderValue)>,
) -> Response {
    let mut response = empty(StatusCode::SWITCHING_PROTOCOLS);
    let response_headers = response.headers_mut();
    for (name, value) in headers {
        response_headers.append(name, value);
    }
    response_headers.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
    response_headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    if let Ok(accept) = HeaderValue::from_str(&derive_accept_key(key.as_bytes())) {
        response_headers.insert(header::SEC_WEBSOCKET_ACCEPT, accept);
    }
    response
}

/// Headers that keep the console's page to itself: scripts and connections
/// only from its origin `host` (nothing leaves the machine), never framed by
/// another page, never cached.
pub(crate) fn kept_to_its_origin(response: Response, host: &str) -> Response {
    let policy = format!(
        "default-src 'self'; connect-src 'self' ws://{host}; img-src 'self' data:; \
         frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    );
    kept_to_itself(response, HeaderValue::from_str(&policy).ok())
}

/// Headers that keep the class server's page to its server: scripts, styles
/// and requests only from it, never framed, nothing cached.
pub(crate) fn kept_to_the_class_server(response: Response) -> Response {
    let policy = HeaderValue::from_static(
        "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; \
         base-uri 'none'; form-action 'none'",
    );
    kept_to_itself(response, Some(policy))
}

fn kept_to_itself(mut response: Response, policy: Option<HeaderValue>) -> Response {
    let headers = response.headers_mut();
    if let Some(policy) = policy {
        headers.insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

/// The Runtime API's answer to `/invocation/next`: the event and its
/// `Lambda-Runtime-*` headers.
pub(crate) fn runtime_event(payload: Bytes, headers: [(&'static str, String); 4]) -> Response {
    let mut response = typed(StatusCode::OK, payload, JSON);
    for (name, value) in headers {
        if let Ok(value) = HeaderValue::from_str(&value) {
            response
                .headers_mut()
                .insert(HeaderName::from_static(name), value);
        }
    }
    response
}

/// The wire protocol of an AWS service, which sets its answers' media type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Protocol {
    /// API Gateway's (`@connections`, the regional endpoint): `application/json`.
    RestJson,
    /// DynamoDB's: `application/x-amz-json-1.0`, the error's code also in `__type`.
    AwsJson,
}

impl Protocol {
    fn content_type(self) -> &'static str {
        match self {
            Protocol::RestJson => JSON,
            Protocol::AwsJson => "application/x-amz-json-1.0",
        }
    }
}

/// An AWS service's error, as its answer carries it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AwsError<'a> {
    pub(crate) status: StatusCode,
    /// The code in `x-amzn-ErrorType`, e.g. `GoneException`.
    pub(crate) code: &'static str,
    /// DynamoDB's `__type`: the code with its namespace.
    pub(crate) qualified: Option<&'a str>,
    /// `None`: no body at all (API Gateway's 410).
    pub(crate) message: Option<&'a str>,
    /// The message's key is `Message`, not `message`: IAM refused the call
    /// (AWS's front end answers), or the service models the error so.
    pub(crate) capital_message: bool,
    /// Fields of the error besides the message (DynamoDB's
    /// `CancellationReasons`, `Item`).
    pub(crate) fields: Option<&'a Map<String, Value>>,
}

impl<'a> AwsError<'a> {
    pub(crate) fn new(status: StatusCode, code: &'static str, message: &'a str) -> Self {
        Self {
            status,
            code,
            qualified: None,
            message: Some(message),
            capital_message: false,
            fields: None,
        }
    }
}

/// A successful AWS answer: the body in the protocol's media type and a
/// fresh `x-amzn-RequestId`.
pub(crate) fn aws(protocol: Protocol, status: StatusCode, body: &Value) -> Response {
    with_request_id(typed(
        status,
        Bytes::from(body.to_string()),
        protocol.content_type(),
    ))
}

/// An AWS error answer: `x-amzn-ErrorType`, a fresh `x-amzn-RequestId`, and
/// the message as the protocol writes it.
pub(crate) fn aws_error(protocol: Protocol, error: AwsError<'_>) -> Response {
    let key = if error.capital_message {
        "Message"
    } else {
        "message"
    };
    let mut response = match error.message {
        None => with_request_id(empty(error.status)),
        Some(message) => {
            let mut body = Map::new();
            if let Some(qualified) = error.qualified {
                body.insert("__type".to_owned(), Value::from(qualified));
            }
            body.insert(key.to_owned(), Value::from(message));
            if let Some(fields) = error.fields {
                body.extend(fields.clone());
            }
            aws(protocol, error.status, &Value::Object(body))
        }
    };
    set(
        &mut response,
        HeaderName::from_static("x-amzn-errortype"),
        HeaderValue::from_static(error.code),
    );
    response
}

fn with_request_id(mut response: Response) -> Response {
    if let Ok(request_id) = HeaderValue::from_str(&ids::request_id()) {
        set(
            &mut response,
            HeaderName::from_static("x-amzn-requestid"),
            request_id,
        );
    }
    response
}
