//! The emulator's one port: plain HTTP and TLS on the same address (told
//! apart by the first byte), dispatched to the WebSocket gateway, the
//! management API or the local DynamoDB.

mod waiting;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use percent_encoding::percent_decode_str;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};

use super::gateway::Origin;
use super::{Shared, console, dynamodb, gateway, management, regional};
use waiting::{Ticket, Waiting};

/// The first byte of a TLS ClientHello record.
const TLS_HANDSHAKE: u8 = 0x16;

/// Accepts connections until aborted. Each one, until its first request has
/// arrived, holds a place among `max_pending_connections`, and must send its
/// first byte, finish TLS and send its request's head within
/// `header_timeout` each.
pub(crate) async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    let waiting = Waiting::new(shared.settings.max_pending_connections);
    let mut connections = tokio::task::JoinSet::new();
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                // Out of file descriptors and the like: wait, then keep serving.
                tracing::warn!(%error, "cannot accept a connection");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        // Finished connection tasks are reaped as new ones arrive.
        while connections.try_join_next().is_some() {}
        let (ticket, evicted) = waiting.admit();
        let shared = shared.clone();
        connections.spawn(async move {
            tokio::select! {
                () = serve_stream(stream, peer, shared, ticket) => {}
                // Only an eviction resolves this with `Ok`; once the first
                // request is in, the ticket is gone and this branch is off.
                Ok(()) = evicted => {
                    tracing::debug!(%peer, "closed: too many connections wait for their first request");
                }
            }
        });
    }
}

async fn serve_stream(stream: TcpStream, peer: SocketAddr, shared: Arc<Shared>, ticket: Ticket) {
    // Small frames both ways: without this, Nagle and delayed ACKs add tens of ms.
    let _ = stream.set_nodelay(true);
    let local_port = stream
        .local_addr()
        .map(|address| address.port())
        .unwrap_or_default();
    let timeout = shared.settings.header_timeout;
    let mut first = [0_u8; 1];
    match tokio::time::timeout(timeout, stream.peek(&mut first)).await {
        Ok(Ok(1)) => {}
        _ => return,
    }
    if first[0] == TLS_HANDSHAKE {
        match tokio::time::timeout(timeout, shared.tls.acceptor.accept(stream)).await {
            Ok(Ok(tls)) => serve_http(tls, peer, local_port, true, shared, ticket).await,
            Ok(Err(error)) => tracing::debug!(%error, %peer, "TLS handshake failed"),
            Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
        }
    } else {
        serve_http(stream, peer, local_port, false, shared, ticket).await;
    }
}

async fn serve_http<S>(
    stream: S,
    peer: SocketAddr,
    local_port: u16,
    secure: bool,
    shared: Arc<Shared>,
    ticket: Ticket,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let header_timeout = shared.settings.header_timeout;
    let ticket = Mutex::new(Some(ticket));
    let service = hyper::service::service_fn(move |request| {
        // The first request is in: the connection no longer waits.
        drop(ticket.lock().unwrap_or_else(PoisonError::into_inner).take());
        let shared = shared.clone();
        let origin = Origin {
            peer,
            local_port,
            secure,
        };
        async move { Ok::<_, Infallible>(dispatch(shared, request, origin).await) }
    });
    // hyper's header timeout also closes a keep-alive connection left idle that long.
    let served = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .serve_connection(TokioIo::new(stream), service)
        .with_upgrades()
        .await;
    if let Err(error) = served {
        tracing::debug!(%error, %peer, "connection ended with an error");
    }
}

async fn dispatch(
    shared: Arc<Shared>,
    request: Request<Incoming>,
    origin: Origin,
) -> Response<Full<Bytes>> {
    let segments: Vec<String> = request
        .uri()
        .path()
        .split('/')
        .filter(|segment| !segment.is_empty())
        .map(|segment| percent_decode_str(segment).decode_utf8_lossy().into_owned())
        .collect();
    match segments.as_slice() {
        [first, rest @ ..] if first == console::SEGMENT => {
            let rest = rest.to_vec();
            console::handle(shared, request, &rest, origin.peer, origin.local_port).await
        }
        [first, ..] if first == regional::PATH => regional::handle(&shared, &request),
        [stage, connections, id] if connections == "@connections" => {
            let (stage, id) = (stage.clone(), id.clone());
            management::handle(&shared, request, &stage, &id).await
        }
        [] if dynamodb::is_request(&request) => dynamodb::handle(&shared, request).await,
        [] => websocket_endpoint(shared, request, origin).await,
        [stage] if *stage == shared.stage => websocket_endpoint(shared, request, origin).await,
        _ => forbidden(),
    }
}

async fn websocket_endpoint(
    shared: Arc<Shared>,
    request: Request<Incoming>,
    origin: Origin,
) -> Response<Full<Bytes>> {
    if gateway::is_upgrade(&request) {
        gateway::upgrade(shared, request, origin).await
    } else {
        let mut response = gateway::plain(StatusCode::UPGRADE_REQUIRED, "Upgrade Required");
        response.headers_mut().insert(
            hyper::header::UPGRADE,
            hyper::header::HeaderValue::from_static("websocket"),
        );
        response
    }
}

/// What API Gateway answers for a path it does not serve.
fn forbidden() -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(br#"{"message":"Forbidden"}"#)));
    *response.status_mut() = StatusCode::FORBIDDEN;
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    response
}
