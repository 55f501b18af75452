//! The emulator's one port: plain HTTP and TLS on the same address (told
//! apart by the first byte), dispatched to the WebSocket gateway, the
//! management API or the local DynamoDB.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use percent_encoding::percent_decode_str;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};

use super::{Shared, dynamodb, gateway, management, regional};

/// The first byte of a TLS ClientHello record.
const TLS_HANDSHAKE: u8 = 0x16;
/// A client that connects and says nothing is dropped after this long.
const FIRST_BYTE_TIMEOUT: Duration = Duration::from_secs(30);

pub(crate) async fn serve(listener: TcpListener, shared: Arc<Shared>) {
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
        connections.spawn(serve_stream(stream, peer, shared.clone()));
    }
}

async fn serve_stream(stream: TcpStream, peer: SocketAddr, shared: Arc<Shared>) {
    // Small frames both ways: without this, Nagle and delayed ACKs add tens of ms.
    let _ = stream.set_nodelay(true);
    let local_port = stream
        .local_addr()
        .map(|address| address.port())
        .unwrap_or_default();
    let mut first = [0_u8; 1];
    match tokio::time::timeout(FIRST_BYTE_TIMEOUT, stream.peek(&mut first)).await {
        Ok(Ok(1)) => {}
        _ => return,
    }
    if first[0] == TLS_HANDSHAKE {
        match shared.tls.acceptor.accept(stream).await {
            Ok(tls) => serve_http(tls, peer, local_port, true, shared).await,
            Err(error) => tracing::debug!(%error, %peer, "TLS handshake failed"),
        }
    } else {
        serve_http(stream, peer, local_port, false, shared).await;
    }
}

async fn serve_http<S>(
    stream: S,
    peer: SocketAddr,
    local_port: u16,
    secure: bool,
    shared: Arc<Shared>,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |request| {
        let shared = shared.clone();
        async move { Ok::<_, Infallible>(dispatch(shared, request, peer, local_port, secure).await) }
    });
    let served = hyper::server::conn::http1::Builder::new()
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
    peer: SocketAddr,
    local_port: u16,
    secure: bool,
) -> Response<Full<Bytes>> {
    let segments: Vec<String> = request
        .uri()
        .path()
        .split('/')
        .filter(|segment| !segment.is_empty())
        .map(|segment| percent_decode_str(segment).decode_utf8_lossy().into_owned())
        .collect();
    match segments.as_slice() {
        [first, ..] if first == regional::PATH => regional::handle(&shared, &request),
        [stage, connections, id] if connections == "@connections" => {
            let (stage, id) = (stage.clone(), id.clone());
            management::handle(&shared, request, &stage, &id).await
        }
        [] if dynamodb::is_request(&request) => dynamodb::handle(&shared, request).await,
        [] => websocket_endpoint(shared, request, peer, local_port, secure).await,
        [stage] if *stage == shared.stage => {
            websocket_endpoint(shared, request, peer, local_port, secure).await
        }
        _ => forbidden(),
    }
}

async fn websocket_endpoint(
    shared: Arc<Shared>,
    request: Request<Incoming>,
    peer: SocketAddr,
    local_port: u16,
    secure: bool,
) -> Response<Full<Bytes>> {
    if gateway::is_upgrade(&request) {
        gateway::upgrade(shared, request, peer, local_port, secure).await
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
