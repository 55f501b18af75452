//! The opening handshake: RFC 6455's checks, then `$connect`, whose answer
//! becomes the handshake's status, then the socket.
//!
//! `$connect` and what follows run in a task of their own. hyper drops the
//! request's future when the client leaves mid-handshake; the task still sees
//! `$connect`'s outcome, so a connection `$connect` accepted gets its
//! `$disconnect` even if it never opened, and its table entry (held by a
//! `Registration`) goes whatever path ends it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{self, HeaderName, HeaderValue};
use hyper::upgrade::OnUpgrade;
use hyper::{Method, Request, Response, StatusCode, Version};
use serde_json::Value;
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;

use super::event::{self, Handshake};
use super::socket::{self, VANISHED_CODE, VANISHED_REASON};
use crate::emulator::connections::{Connection, Frames, Registration};
use crate::emulator::events::Event;
use crate::emulator::lambda::InvokeError;
use crate::emulator::{Shared, ids};

/// Response headers API Gateway sets itself; a `$connect` Lambda's are ignored.
const HANDSHAKE_RESPONSE_OWNED: &[&str] = &[
    "connection",
    "upgrade",
    "sec-websocket-accept",
    "content-length",
    "transfer-encoding",
];
/// How long the 101 answer may take to be written before the client is taken for gone.
const UPGRADE_TIMEOUT: Duration = Duration::from_secs(10);

/// Where the request came in.
pub(crate) struct Origin {
    pub(crate) peer: SocketAddr,
    pub(crate) local_port: u16,
    pub(crate) secure: bool,
}

/// Runs `$connect`, then answers the handshake with its status, as API Gateway does.
pub(crate) async fn upgrade(
    shared: Arc<Shared>,
    mut request: Request<Incoming>,
    origin: Origin,
) -> Response<Full<Bytes>> {
    let key = match check(&request) {
        Ok(key) => key,
        Err(refusal) => return refusal.response(),
    };
    let user_agent = request
        .headers()
        .get(header::USER_AGENT)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let (connection, frames) = Connection::new(
        ids::connection_id(),
        origin.peer.ip().to_string(),
        user_agent,
        &shared.connections,
    );
    let registration = shared.connections.register(connection.clone());
    let on_upgrade = hyper::upgrade::on(&mut request);
    let (answer, answered) = oneshot::channel();
    let pending = Pending {
        shared,
        connection,
        frames,
        registration,
    };
    tokio::spawn(pending.connect(request, origin, key, answer, on_upgrade));
    answered
        .await
        .unwrap_or_else(|_| plain(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error"))
}

/// Why RFC 6455 §4.2.1 refuses a handshake.
#[derive(Debug, Clone, Copy)]
enum Refusal {
    OldHttp,
    NotGet,
    NoKey,
    NoVersion,
    OtherVersion,
}

impl Refusal {
    fn response(self) -> Response<Full<Bytes>> {
        let (status, text) = match self {
            Refusal::OldHttp => (
                StatusCode::BAD_REQUEST,
                "a WebSocket handshake needs HTTP/1.1",
            ),
            Refusal::NotGet => (
                StatusCode::METHOD_NOT_ALLOWED,
                "a WebSocket handshake is a GET request",
            ),
            Refusal::NoKey => (
                StatusCode::BAD_REQUEST,
                "a WebSocket handshake needs Sec-WebSocket-Key",
            ),
            Refusal::NoVersion => (
                StatusCode::BAD_REQUEST,
                "a WebSocket handshake needs Sec-WebSocket-Version: 13",
            ),
            Refusal::OtherVersion => (
                StatusCode::UPGRADE_REQUIRED,
                "this server speaks WebSocket version 13",
            ),
        };
        let mut response = plain(status, text);
        let headers = response.headers_mut();
        match self {
            Refusal::NotGet => {
                headers.insert(header::ALLOW, HeaderValue::from_static("GET"));
            }
            // RFC 6455 §4.4: say which version the server speaks.
            Refusal::OtherVersion => {
                headers.insert(
                    header::SEC_WEBSOCKET_VERSION,
                    HeaderValue::from_static("13"),
                );
            }
            _ => {}
        }
        response
    }
}

/// RFC 6455 §4.2.1's requirements on the request; the key when they hold.
fn check(request: &Request<Incoming>) -> Result<HeaderValue, Refusal> {
    if request.version() < Version::HTTP_11 {
        return Err(Refusal::OldHttp);
    }
    if request.method() != Method::GET {
        return Err(Refusal::NotGet);
    }
    let headers = request.headers();
    let key = headers
        .get(header::SEC_WEBSOCKET_KEY)
        .cloned()
        .ok_or(Refusal::NoKey)?;
    match headers.get(header::SEC_WEBSOCKET_VERSION) {
        Some(version) if version == "13" => Ok(key),
        None => Err(Refusal::NoVersion),
        Some(_) => Err(Refusal::OtherVersion),
    }
}

/// A connection between its request and its socket.
struct Pending {
    shared: Arc<Shared>,
    connection: Arc<Connection>,
    frames: Frames,
    registration: Registration,
}

impl Pending {
    async fn connect(
        self,
        request: Request<Incoming>,
        origin: Origin,
        key: HeaderValue,
        answer: oneshot::Sender<Response<Full<Bytes>>>,
        on_upgrade: OnUpgrade,
    ) {
        let shared = &self.shared;
        let query = request.uri().query().unwrap_or_default().to_owned();
        let connect_headers = match shared.routes.get("$connect") {
            None => Vec::new(),
            Some(route) => {
                let request_id = ids::request_id();
                let handshake = Handshake {
                    headers: request.headers(),
                    query: request.uri().query(),
                    local_port: origin.local_port,
                    secure: origin.secure,
                };
                let event = event::connect(shared, &self.connection, &request_id, &handshake);
                let outcome = super::invoke(
                    shared,
                    &route.function,
                    "$connect",
                    &self.connection.id,
                    &request_id,
                    event,
                )
                .await;
                match connect_status(&outcome) {
                    Ok(()) => outcome
                        .map(|response| response_headers(&response))
                        .unwrap_or_default(),
                    Err(status) => {
                        drop(self.registration);
                        shared.events.emit(Event::ConnectRejected {
                            connection_id: self.connection.id.clone(),
                            status: status.as_u16(),
                            query,
                        });
                        // The client may have left meanwhile: nothing more to do then.
                        let _ = answer.send(rejection(status));
                        return;
                    }
                }
            }
        };
        // Not kept for the connection's life: only `$connect` needed it.
        drop(request);
        if answer
            .send(switching_protocols(&key, connect_headers))
            .is_err()
        {
            return self.abandoned().await;
        }
        match tokio::time::timeout(UPGRADE_TIMEOUT, on_upgrade).await {
            Ok(Ok(upgraded)) => {
                socket::run(
                    self.shared,
                    self.connection,
                    self.frames,
                    self.registration,
                    upgraded,
                    query,
                )
                .await;
            }
            Ok(Err(error)) => {
                tracing::debug!(%error, "the client left during the handshake");
                self.abandoned().await;
            }
            Err(_) => self.abandoned().await,
        }
    }

    /// `$connect` accepted a client that left before its socket opened: it
    /// is gone as a vanished client is, and gets its `$disconnect`.
    async fn abandoned(self) {
        drop(self.registration);
        self.shared.events.emit(Event::Disconnected {
            connection_id: self.connection.id.clone(),
            status_code: VANISHED_CODE,
            reason: VANISHED_REASON.to_owned(),
        });
        super::disconnect(
            self.shared,
            self.connection,
            VANISHED_CODE,
            VANISHED_REASON.to_owned(),
        )
        .await;
    }
}

fn switching_protocols(
    key: &HeaderValue,
    connect_headers: Vec<(HeaderName, HeaderValue)>,
) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let headers = response.headers_mut();
    for (name, value) in connect_headers {
        headers.append(name, value);
    }
    headers.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
    headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    if let Ok(accept) = HeaderValue::from_str(&derive_accept_key(key.as_bytes())) {
        headers.insert(header::SEC_WEBSOCKET_ACCEPT, accept);
    }
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
