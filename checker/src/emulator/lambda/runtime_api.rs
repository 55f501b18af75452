//! The Lambda Runtime API for one child process, on a port of its own.
//!
//! Any local process can connect to a loopback port, so the API also sits
//! under a random path only that child is told (`AWS_LAMBDA_RUNTIME_API` is
//! `http://127.0.0.1:PORT/SECRET`, which `lambda_runtime` takes since 0.5):
//! a request without it is refused, and no other process can take the
//! child's events or answer for it. Other users cannot read a process's
//! environment; the same user's processes could, but they can also trace
//! the child itself.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper::{Method, Request, StatusCode, header};
use hyper_util::rt::{TokioIo, TokioTimer};
use serde::Deserialize;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc::error::TryRecvError;
use tokio::sync::{Mutex, mpsc};
use tokio::task::JoinHandle;

use super::sandbox::Sandbox;
use crate::emulator::ids;
use crate::emulator::listener::{self, PortLimits, Ticket};
use crate::emulator::response::{self, Response};

const PREFIX: &str = "/2018-06-01/runtime/";
/// Lambda's limit on a synchronous invocation's response, as its error
/// message gives it (6 MiB and 100 bytes).
const MAX_RESPONSE_BYTES: usize = 6_291_556;
/// Answers the worker has not taken yet; the worker takes them as they come,
/// so only a process posting in a loop fills this.
const MAX_PENDING_RESULTS: usize = 16;

/// An event waiting for the process to ask for it with `/invocation/next`.
pub(super) struct NextEvent {
    pub(super) request_id: String,
    pub(super) payload: Bytes,
    pub(super) deadline_ms: i64,
    pub(super) function_arn: String,
    pub(super) trace_id: String,
}

/// What the process posted back.
pub(super) enum RuntimeResult {
    Response {
        request_id: String,
        body: Bytes,
    },
    /// `/invocation/{id}/error`, or `/init/error` (no id).
    Error {
        request_id: Option<String>,
        error_type: String,
        message: String,
    },
}

pub(super) struct RuntimeApi {
    /// `AWS_LAMBDA_RUNTIME_API` for the child: `http://127.0.0.1:PORT/SECRET`.
    pub(super) endpoint: String,
    pub(super) next: mpsc::Sender<NextEvent>,
    pub(super) results: mpsc::Receiver<RuntimeResult>,
    server: JoinHandle<()>,
}

struct ApiState {
    /// `/SECRET/2018-06-01/runtime/`.
    prefix: String,
    next: Mutex<mpsc::Receiver<NextEvent>>,
    results: mpsc::Sender<RuntimeResult>,
    /// Frozen while the runtime waits for an event that is not there.
    sandbox: Arc<Sandbox>,
}

impl RuntimeApi {
    /// Listens for the child on a port of its own; `limits` are the main
    /// port's, with the header timeout stretched by the function's timeout:
    /// the child's keep-alive connection sits idle while its handler runs.
    pub(super) async fn start(
        sandbox: Arc<Sandbox>,
        limits: PortLimits,
        function_timeout: Duration,
    ) -> std::io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let address: SocketAddr = listener.local_addr()?;
        let secret = ids::secret();
        let (next, next_receiver) = mpsc::channel(1);
        let (results_sender, results) = mpsc::channel(MAX_PENDING_RESULTS);
        let state = Arc::new(ApiState {
            prefix: format!("/{secret}{PREFIX}"),
            next: Mutex::new(next_receiver),
            results: results_sender,
            sandbox,
        });
        let limits = PortLimits {
            header_timeout: limits.header_timeout + function_timeout,
            ..limits
        };
        let server = tokio::spawn(serve(listener, state, limits));
        Ok(Self {
            endpoint: format!("http://{address}/{secret}"),
            next,
            results,
            server,
        })
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Serves the child, with the main port's bounds: a process of another
/// program that connects and sends nothing, or keeps many connections
/// waiting, loses them as a client of the main port would.
async fn serve(listener: TcpListener, state: Arc<ApiState>, limits: PortLimits) {
    listener::accept_loop(
        listener,
        limits,
        "a Lambda's Runtime API",
        move |stream, _, ticket| {
            serve_connection(stream, state.clone(), ticket, limits.header_timeout)
        },
    )
    .await;
}

async fn serve_connection(
    stream: TcpStream,
    state: Arc<ApiState>,
    ticket: Ticket,
    header_timeout: Duration,
) {
    let ticket = std::sync::Mutex::new(Some(ticket));
    let service = hyper::service::service_fn(move |request| {
        // The first request is in: the connection no longer waits.
        drop(ticket.lock().unwrap_or_else(PoisonError::into_inner).take());
        handle(state.clone(), request)
    });
    // A process that dies mid-request is the worker's concern, not an error here.
    let _ = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .serve_connection(TokioIo::new(stream), service)
        .await;
}

async fn handle(state: Arc<ApiState>, request: Request<Incoming>) -> Result<Response, Infallible> {
    let path = request.uri().path().to_owned();
    let Some(route) = path.strip_prefix(&state.prefix) else {
        // Another process than the child, or a path the API does not have:
        // one answer, and the connection is closed.
        return Ok(response::text_with(
            StatusCode::FORBIDDEN,
            r#"{"errorMessage":"this Runtime API serves only the process it was started for"}"#,
            header::CONNECTION,
            "close",
        ));
    };
    let method = request.method().clone();
    tracing::trace!(%method, %path, "Runtime API request");
    let segments: Vec<&str> = route.split('/').collect();
    let response = match (&method, segments.as_slice()) {
        (&Method::GET, ["invocation", "next"]) => next(&state).await,
        (&Method::POST, ["invocation", id, "response"]) => {
            let request_id = (*id).to_owned();
            let body = read_body(request).await;
            // Before the worker sees the answer: it may hand the next
            // invocation over at once, and that one runs.
            state.sandbox.answered();
            match body {
                Ok(body) => post(&state, RuntimeResult::Response { request_id, body }),
                Err(BodyTooLarge) => {
                    // Lambda fails the invocation, in these words.
                    let result = RuntimeResult::Error {
                        request_id: Some(request_id),
                        error_type: "Function.ResponseSizeTooLarge".into(),
                        message: format!(
                            "Response payload size exceeded maximum allowed payload size \
                             ({MAX_RESPONSE_BYTES} bytes)."
                        ),
                    };
                    post(&state, result);
                    reply(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        r#"{"errorMessage":"Response payload size exceeded maximum allowed payload size","errorType":"RequestEntityTooLarge"}"#,
                    )
                }
            }
        }
        (&Method::POST, ["invocation", id, "error"]) => {
            let error = parse_error(request).await;
            state.sandbox.answered();
            post(
                &state,
                RuntimeResult::Error {
                    request_id: Some((*id).to_owned()),
                    error_type: error.error_type,
                    message: error.error_message,
                },
            )
        }
        (&Method::POST, ["init", "error"]) => {
            let error = parse_error(request).await;
            post(
                &state,
                RuntimeResult::Error {
                    request_id: None,
                    error_type: error.error_type,
                    message: error.error_message,
                },
            )
        }
        _ => reply(StatusCode::NOT_FOUND, r#"{"errorMessage":"unknown path"}"#),
    };
    Ok(response)
}

/// Blocks until the worker hands over an event, as the real `/next` does;
/// meanwhile the process is frozen, as Lambda freezes it.
async fn next(state: &ApiState) -> Response {
    let mut events = state.next.lock().await;
    let event = match events.try_recv() {
        Ok(event) => Some(event),
        Err(TryRecvError::Disconnected) => None,
        Err(TryRecvError::Empty) => {
            state.sandbox.idle();
            events.recv().await
        }
    };
    drop(events);

    let Some(event) = event else {
        return reply(
            StatusCode::GONE,
            r#"{"errorMessage":"the function is shutting down"}"#,
        );
    };
    let headers = [
        ("lambda-runtime-aws-request-id", event.request_id),
        ("lambda-runtime-deadline-ms", event.deadline_ms.to_string()),
        ("lambda-runtime-invoked-function-arn", event.function_arn),
        ("lambda-runtime-trace-id", event.trace_id),
    ];
    response::runtime_event(event.payload, headers)
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct ErrorBody {
    error_type: String,
    error_message: String,
}

async fn parse_error(request: Request<Incoming>) -> ErrorBody {
    let header_type = request
        .headers()
        .get("lambda-runtime-function-error-type")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let body = read_body(request).await.unwrap_or_default();
    let mut error: ErrorBody = serde_json::from_slice(&body).unwrap_or_else(|_| ErrorBody {
        error_type: String::new(),
        error_message: String::from_utf8_lossy(&body).into_owned(),
    });
    if error.error_type.is_empty() {
        error.error_type = header_type.unwrap_or_else(|| "Unhandled".into());
    }
    error
}

/// The body was over `MAX_RESPONSE_BYTES`.
struct BodyTooLarge;

/// The body, up to Lambda's response limit. A body cut short (the process
/// died mid-request) reads as what arrived: the worker sees the death anyway.
async fn read_body(request: Request<Incoming>) -> Result<Bytes, BodyTooLarge> {
    match Limited::new(request.into_body(), MAX_RESPONSE_BYTES)
        .collect()
        .await
    {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(error) if error.is::<LengthLimitError>() => Err(BodyTooLarge),
        Err(_) => Ok(Bytes::new()),
    }
}

/// Hands a result to the worker; 429 when the process posts faster than one
/// invocation at a time could explain.
fn post(state: &ApiState, result: RuntimeResult) -> Response {
    match state.results.try_send(result) {
        Ok(()) => accepted(),
        // The worker is gone: the process is being discarded.
        Err(mpsc::error::TrySendError::Closed(_)) => accepted(),
        Err(mpsc::error::TrySendError::Full(_)) => reply(
            StatusCode::TOO_MANY_REQUESTS,
            r#"{"errorMessage":"too many answers waiting","errorType":"TooManyRequestsException"}"#,
        ),
    }
}

fn accepted() -> Response {
    reply(StatusCode::ACCEPTED, r#"{"status":"OK"}"#)
}

/// The Runtime API's answers are JSON text without a content type.
fn reply(status: StatusCode, body: &'static str) -> Response {
    response::text(status, body)
}
