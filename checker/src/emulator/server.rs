//! The emulator's one port: plain HTTP and TLS on the same address (told
//! apart by the first byte), dispatched to the WebSocket gateway, the
//! management API or the local DynamoDB.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use hyper::body::Incoming;
use hyper::{Request, StatusCode, header};
use hyper_util::rt::{TokioIo, TokioTimer};
use percent_encoding::percent_decode_str;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;

use super::console::{self, Console};
use super::dynamodb::Tables;
use super::gateway::{self, Arrival, WebSocketApi};
use super::listener::{self, PortLimits, Ticket};
use super::response::{self, Response};
use super::services::Services;
use super::{dynamodb, management, regional};

/// The first byte of a TLS ClientHello record.
const TLS_HANDSHAKE: u8 = 0x16;

/// What the port serves, and how long it waits for a request.
pub(crate) struct Server {
    pub(crate) api: Arc<WebSocketApi>,
    pub(crate) services: Arc<Services>,
    pub(crate) tables: Arc<Tables>,
    pub(crate) console: Console,
    pub(crate) tls: TlsAcceptor,
    /// How long a new connection may take to send its first byte, to finish
    /// TLS, and to send each request's head.
    pub(crate) header_timeout: Duration,
    /// Connections that may wait for their first request at once.
    pub(crate) max_pending_connections: usize,
}

/// Accepts connections until aborted. Each one, until its first request has
/// arrived, holds a place among `max_pending_connections`, and must send its
/// first byte, finish TLS and send its request's head within
/// `header_timeout` each.
pub(crate) async fn serve(listener: TcpListener, server: Arc<Server>) {
    let limits = PortLimits {
        header_timeout: server.header_timeout,
        max_pending: server.max_pending_connections,
    };
    listener::accept_loop(
        listener,
        limits,
        "the emulator's port",
        move |stream, peer, ticket| serve_stream(stream, peer, server.clone(), ticket),
    )
    .await;
}

async fn serve_stream(stream: TcpStream, peer: SocketAddr, server: Arc<Server>, ticket: Ticket) {
    // Small frames both ways: without this, Nagle and delayed ACKs add tens of ms.
    let _ = stream.set_nodelay(true);
    let local_port = stream
        .local_addr()
        .map(|address| address.port())
        .unwrap_or_default();
    let timeout = server.header_timeout;
    let mut first = [0_u8; 1];
    match tokio::time::timeout(timeout, stream.peek(&mut first)).await {
        Ok(Ok(1)) => {}
        _ => return,
    }
    if first[0] == TLS_HANDSHAKE {
        match tokio::time::timeout(timeout, server.tls.accept(stream)).await {
            Ok(Ok(tls)) => serve_http(tls, arrival(peer, local_port, true), server, ticket).await,
            Ok(Err(error)) => tracing::debug!(%error, %peer, "TLS handshake failed"),
            Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
        }
    } else {
        serve_http(stream, arrival(peer, local_port, false), server, ticket).await;
    }
}

fn arrival(peer: SocketAddr, local_port: u16, secure: bool) -> Arrival {
    Arrival {
        peer,
        local_port,
        secure,
    }
}

async fn serve_http<S>(stream: S, arrival: Arrival, server: Arc<Server>, ticket: Ticket)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let header_timeout = server.header_timeout;
    let ticket = Mutex::new(Some(ticket));
    let service = hyper::service::service_fn(move |request| {
        // The first request is in: the connection no longer waits.
        drop(ticket.lock().unwrap_or_else(PoisonError::into_inner).take());
        let server = server.clone();
        async move { Ok::<_, Infallible>(dispatch(&server, request, arrival).await) }
    });
    // hyper's header timeout also closes a keep-alive connection left idle that long.
    let served = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .serve_connection(TokioIo::new(stream), service)
        .with_upgrades()
        .await;
    if let Err(error) = served {
        tracing::debug!(%error, peer = %arrival.peer, "connection ended with an error");
    }
}

/// Where a request goes, by its path: the console, the regional endpoint,
/// `@connections`, DynamoDB (`POST /` with `X-Amz-Target`), the WebSocket API.
async fn dispatch(server: &Server, request: Request<Incoming>, arrival: Arrival) -> Response {
    let segments: Vec<String> = request
        .uri()
        .path()
        .split('/')
        .filter(|segment| !segment.is_empty())
        .map(|segment| percent_decode_str(segment).decode_utf8_lossy().into_owned())
        .collect();
    let (api, services) = (&server.api, &server.services);
    match segments.as_slice() {
        [first, rest @ ..] if first == console::SEGMENT => {
            server.console.handle(request, rest, arrival).await
        }
        [first, ..] if first == regional::PATH => regional::handle(services, &request),
        [stage, connections, id] if connections == "@connections" => {
            management::handle(api, services, request, stage, id).await
        }
        [] if dynamodb::is_request(&request) => {
            dynamodb::handle(services, &server.tables, request).await
        }
        [] => websocket_endpoint(api.clone(), request, arrival).await,
        [stage] if *stage == api.stage => websocket_endpoint(api.clone(), request, arrival).await,
        // What API Gateway answers for a path it does not serve.
        _ => response::json_message(StatusCode::FORBIDDEN, "Forbidden"),
    }
}

/// What API Gateway answers at the API's URL: the handshake, or 426 to a
/// request that is not one.
async fn websocket_endpoint(
    api: Arc<WebSocketApi>,
    request: Request<Incoming>,
    arrival: Arrival,
) -> Response {
    if gateway::is_upgrade(&request) {
        gateway::upgrade(api, request, arrival).await
    } else {
        response::text_with(
            StatusCode::UPGRADE_REQUIRED,
            "Upgrade Required",
            header::UPGRADE,
            "websocket",
        )
    }
}
