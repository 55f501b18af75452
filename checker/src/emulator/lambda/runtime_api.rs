//! The Lambda Runtime API for one child process, on a port of its own so
//! every request is known to come from that process.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde::Deserialize;
use tokio::net::TcpListener;
use tokio::sync::mpsc::error::TryRecvError;
use tokio::sync::{Mutex, mpsc};
use tokio::task::JoinHandle;

use super::sandbox::Sandbox;

const PREFIX: &str = "/2018-06-01/runtime/";

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
    pub(super) address: SocketAddr,
    pub(super) next: mpsc::Sender<NextEvent>,
    pub(super) results: mpsc::UnboundedReceiver<RuntimeResult>,
    server: JoinHandle<()>,
}

struct ApiState {
    next: Mutex<mpsc::Receiver<NextEvent>>,
    results: mpsc::UnboundedSender<RuntimeResult>,
    /// Frozen while the runtime waits for an event that is not there.
    sandbox: Arc<Sandbox>,
}

impl RuntimeApi {
    pub(super) async fn start(sandbox: Arc<Sandbox>) -> std::io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let address = listener.local_addr()?;
        let (next, next_receiver) = mpsc::channel(1);
        let (results_sender, results) = mpsc::unbounded_channel();
        let state = Arc::new(ApiState {
            next: Mutex::new(next_receiver),
            results: results_sender,
            sandbox,
        });
        let server = tokio::spawn(serve(listener, state));
        Ok(Self {
            address,
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

async fn serve(listener: TcpListener, state: Arc<ApiState>) {
    let mut connections = tokio::task::JoinSet::new();
    while let Ok((stream, _)) = listener.accept().await {
        let state = state.clone();
        connections.spawn(async move {
            let service = hyper::service::service_fn(move |request| handle(state.clone(), request));
            // A process that dies mid-request is the worker's concern, not an error here.
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn handle(
    state: Arc<ApiState>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = request.uri().path().to_owned();
    let Some(route) = path.strip_prefix(PREFIX) else {
        return Ok(reply(
            StatusCode::NOT_FOUND,
            r#"{"errorMessage":"unknown path"}"#,
        ));
    };
    let method = request.method().clone();
    tracing::trace!(%method, %path, "Runtime API request");
    let segments: Vec<&str> = route.split('/').collect();
    let response = match (&method, segments.as_slice()) {
        (&Method::GET, ["invocation", "next"]) => next(&state).await,
        (&Method::POST, ["invocation", id, "response"]) => {
            let body = read_body(request).await;
            // Before the worker sees the answer: it may hand the next
            // invocation over at once, and that one runs.
            state.sandbox.answered();
            let _ = state.results.send(RuntimeResult::Response {
                request_id: (*id).to_owned(),
                body,
            });
            accepted()
        }
        (&Method::POST, ["invocation", id, "error"]) => {
            let error = parse_error(request).await;
            state.sandbox.answered();
            let _ = state.results.send(RuntimeResult::Error {
                request_id: Some((*id).to_owned()),
                error_type: error.error_type,
                message: error.error_message,
            });
            accepted()
        }
        (&Method::POST, ["init", "error"]) => {
            let error = parse_error(request).await;
            let _ = state.results.send(RuntimeResult::Error {
                request_id: None,
                error_type: error.error_type,
                message: error.error_message,
            });
            accepted()
        }
        _ => reply(StatusCode::NOT_FOUND, r#"{"errorMessage":"unknown path"}"#),
    };
    Ok(response)
}

/// Blocks until the worker hands over an event, as the real `/next` does;
/// meanwhile the process is frozen, as Lambda freezes it.
async fn next(state: &ApiState) -> Response<Full<Bytes>> {
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
    Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "application/json")
        .header("lambda-runtime-aws-request-id", &event.request_id)
        .header("lambda-runtime-deadline-ms", event.deadline_ms.to_string())
        .header("lambda-runtime-invoked-function-arn", &event.function_arn)
        .header("lambda-runtime-trace-id", &event.trace_id)
        .body(Full::new(event.payload))
        .unwrap_or_else(|_| reply(StatusCode::INTERNAL_SERVER_ERROR, "{}"))
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
    let body = read_body(request).await;
    let mut error: ErrorBody = serde_json::from_slice(&body).unwrap_or_else(|_| ErrorBody {
        error_type: String::new(),
        error_message: String::from_utf8_lossy(&body).into_owned(),
    });
    if error.error_type.is_empty() {
        error.error_type = header_type.unwrap_or_else(|| "Unhandled".into());
    }
    error
}

async fn read_body(request: Request<Incoming>) -> Bytes {
    request
        .into_body()
        .collect()
        .await
        .map(|collected| collected.to_bytes())
        .unwrap_or_default()
}

fn accepted() -> Response<Full<Bytes>> {
    reply(StatusCode::ACCEPTED, r#"{"status":"OK"}"#)
}

fn reply(status: StatusCode, body: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *response.status_mut() = status;
    response
}
