//! The opening handshake's rules, as pure functions: what RFC 6455 asks of
//! the request, and what `$connect`'s answer makes of the handshake's (its
//! status, its headers). The connection ([`super::connection`]) applies them.

use std::net::SocketAddr;

use hyper::header::{self, HeaderName, HeaderValue};
use hyper::{Method, Request, StatusCode, Version};
use serde_json::Value;

use crate::emulator::invoke_error::InvokeError;
use crate::emulator::response::{self, Response};

/// Response headers API Gateway sets itself; a `$connect` Lambda's are ignored.
const HANDSHAKE_RESPONSE_OWNED: &[&str] = &[
    "connection",
    "upgrade",
    "sec-websocket-accept",
    "content-length",
    "transfer-encoding",
];

/// Where a request came in: the client's address, the port it reached, and
/// whether over TLS.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Arrival {
    pub(crate) peer: SocketAddr,
    pub(crate) local_port: u16,
    pub(crate) secure: bool,
}

/// Whether a request asks for a WebSocket upgrade.
pub(crate) fn is_upgrade<B>(request: &Request<B>) -> bool {
    request
        .headers()
        .get(header::UPGRADE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.eq_ignore_ascii_case("websocket"))
}

/// Why RFC 6455 §4.2.1 refuses a handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum InvalidHandshake {
    OldHttp,
    NotGet,
    NoKey,
    NoVersion,
    OtherVersion,
}

impl InvalidHandshake {
    pub(super) fn answer(self) -> Response {
        match self {
            InvalidHandshake::OldHttp => response::text(
                StatusCode::BAD_REQUEST,
                "a WebSocket handshake needs HTTP/1.1",
            ),
            InvalidHandshake::NotGet => response::text_with(
                StatusCode::METHOD_NOT_ALLOWED,
                "a WebSocket handshake is a GET request",
                header::ALLOW,
                "GET",
            ),
            InvalidHandshake::NoKey => response::text(
                StatusCode::BAD_REQUEST,
                "a WebSocket handshake needs Sec-WebSocket-Key",
            ),
            InvalidHandshake::NoVersion => response::text(
                StatusCode::BAD_REQUEST,
                "a WebSocket handshake needs Sec-WebSocket-Version: 13",
            ),
            // RFC 6455 §4.4: say which version the server speaks.
            InvalidHandshake::OtherVersion => response::text_with(
                StatusCode::UPGRADE_REQUIRED,
                "this server speaks WebSocket version 13",
                header::SEC_WEBSOCKET_VERSION,
                "13",
            ),
        }
    }
}

/// RFC 6455 §4.2.1's requirements on the request; the key when they hold.
pub(super) fn check<B>(request: &Request<B>) -> Result<HeaderValue, InvalidHandshake> {
    if request.version() < Version::HTTP_11 {
        return Err(InvalidHandshake::OldHttp);
    }
    if request.method() != Method::GET {
        return Err(InvalidHandshake::NotGet);
    }
    let headers = request.headers();
    let key = headers
        .get(header::SEC_WEBSOCKET_KEY)
        .cloned()
        .ok_or(InvalidHandshake::NoKey)?;
    match headers.get(header::SEC_WEBSOCKET_VERSION) {
        Some(version) if version == "13" => Ok(key),
        None => Err(InvalidHandshake::NoVersion),
        Some(_) => Err(InvalidHandshake::OtherVersion),
    }
}

/// What `$connect`'s outcome makes of the handshake: accepted with the
/// headers it returned, or rejected with a status. 2xx (or no status)
/// accepts; any other status rejects with that status; a failed Lambda gives 502.
pub(super) fn connect_answer(
    outcome: &Result<Value, InvokeError>,
) -> Result<Vec<(HeaderName, HeaderValue)>, StatusCode> {
    let Ok(response) = outcome else {
        return Err(StatusCode::BAD_GATEWAY);
    };
    let status = match response.get("statusCode") {
        None | Some(Value::Null) => return Ok(response_headers(response)),
        Some(Value::Number(number)) => number.as_u64(),
        Some(Value::String(text)) => text.parse().ok(),
        Some(_) => None,
    };
    let status = status
        .and_then(|code| u16::try_from(code).ok())
        .and_then(|code| StatusCode::from_u16(code).ok())
        .ok_or(StatusCode::BAD_GATEWAY)?;
    if status.is_success() {
        Ok(response_headers(response))
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn handshake(method: Method, headers: &[(&str, &str)]) -> Request<()> {
        let mut builder = Request::builder().method(method).uri("/dev");
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(()).unwrap()
    }

    #[test]
    fn rfc_6455_requirements_are_checked_in_order() {
        let key = ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==");
        let version = ("sec-websocket-version", "13");
        assert!(check(&handshake(Method::GET, &[key, version])).is_ok());
        assert_eq!(
            check(&handshake(Method::POST, &[key, version])),
            Err(InvalidHandshake::NotGet)
        );
        assert_eq!(
            check(&handshake(Method::GET, &[version])),
            Err(InvalidHandshake::NoKey)
        );
        assert_eq!(
            check(&handshake(Method::GET, &[key])),
            Err(InvalidHandshake::NoVersion)
        );
        assert_eq!(
            check(&handshake(
                Method::GET,
                &[key, ("sec-websocket-version", "8")]
            )),
            Err(InvalidHandshake::OtherVersion)
        );
    }

    #[test]
    fn connect_statuses_accept_reject_or_fail() {
        let accepted = connect_answer(&Ok(json!({
            "statusCode": 200,
            "headers": { "Sec-WebSocket-Protocol": "chat", "Upgrade": "no" }
        })))
        .expect("2xx accepts");
        assert_eq!(accepted.len(), 1, "API Gateway's own headers are dropped");
        assert_eq!(accepted[0].0, "sec-websocket-protocol");
        assert!(connect_answer(&Ok(json!(null))).is_ok());
        assert_eq!(
            connect_answer(&Ok(json!({ "statusCode": "401" }))),
            Err(StatusCode::UNAUTHORIZED)
        );
        assert_eq!(
            connect_answer(&Ok(json!({ "statusCode": true }))),
            Err(StatusCode::BAD_GATEWAY)
        );
        assert_eq!(
            connect_answer(&Err(InvokeError::ShuttingDown)),
            Err(StatusCode::BAD_GATEWAY)
        );
    }
}
