//! The live console: a page on the emulator's own port, under `/@console/`,
//! that shows the run as it happens (connections, each message's way
//! through routes, Lambdas and `@connections`, invocations with their
//! events, the tables, the stack), opens WebSocket clients of its own and
//! replays invocations. Its files are compiled in (no build step, nothing
//! fetched: it works offline); it is fed from the emulator's one event
//! stream. Only this machine and pages of its own origin may use it
//! ([`guard`]).

mod assets;
mod feed;
mod guard;
mod replay;

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use serde_json::json;

use super::Shared;

/// The path segment the console lives under; API Gateway answers 403 there.
pub(crate) const SEGMENT: &str = "@console";
/// The page's path.
pub(crate) const PATH: &str = "/@console/";

/// Items per table the page is sent; the count says how many there are.
const MAX_ITEMS_SHOWN: usize = 500;

/// Answers a request under `/@console/`; `rest` is the path after it.
pub(crate) async fn handle(
    shared: Arc<Shared>,
    request: Request<Incoming>,
    rest: &[String],
    peer: SocketAddr,
    local_port: u16,
) -> Response<Full<Bytes>> {
    let allowed = match guard::check(&request, peer, local_port) {
        Ok(allowed) => allowed,
        Err(guard::Refused(reason)) => return json_error(StatusCode::FORBIDDEN, &reason),
    };
    let rest: Vec<&str> = rest.iter().map(String::as_str).collect();
    let method = request.method().clone();
    let mut response = match (&method, rest.as_slice()) {
        (&Method::GET, []) if !request.uri().path().ends_with('/') => {
            // Relative links need the slash.
            let mut response = text(StatusCode::PERMANENT_REDIRECT, "");
            response
                .headers_mut()
                .insert(header::LOCATION, HeaderValue::from_static(PATH));
            response
        }
        (&Method::GET, []) => asset(assets::INDEX),
        (&Method::GET, ["api", "stack"]) => json(StatusCode::OK, shared.stack.to_string()),
        (&Method::GET, ["api", "tables"]) => tables(&shared),
        (&Method::POST, ["api", "replay"]) => replay::handle(shared, request.into_body()).await,
        (&Method::GET, ["feed"]) if super::gateway::is_upgrade(&request) => {
            feed::upgrade(shared, request)
        }
        (&Method::GET, [name]) => match assets::find(name) {
            Some(file) => asset(file),
            None => not_found(&request),
        },
        _ => not_found(&request),
    };
    secure(&mut response, &allowed.host);
    response
}

fn not_found<B>(request: &Request<B>) -> Response<Full<Bytes>> {
    json_error(
        StatusCode::NOT_FOUND,
        &format!("the console has nothing at {}", request.uri().path()),
    )
}

/// Every table and its items (the first [`MAX_ITEMS_SHOWN`] of each).
fn tables(shared: &Shared) -> Response<Full<Bytes>> {
    let tables: Vec<serde_json::Value> = shared
        .dynamodb
        .dump()
        .into_iter()
        .map(|table| {
            let count = table.items.len();
            let items: Vec<_> = table.items.into_iter().take(MAX_ITEMS_SHOWN).collect();
            json!({ "name": table.name, "count": count, "items": items })
        })
        .collect();
    json(StatusCode::OK, serde_json::Value::from(tables).to_string())
}

/// Headers that keep the page to itself: scripts and connections only from
/// this origin (nothing leaves the machine), never framed by another page.
fn secure(response: &mut Response<Full<Bytes>>, host: &str) {
    let policy = format!(
        "default-src 'self'; connect-src 'self' ws://{host}; img-src 'self' data:; \
         frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    );
    let headers = response.headers_mut();
    if let Ok(policy) = HeaderValue::from_str(&policy) {
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
}

fn asset(asset: &'static assets::Asset) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(asset.body.as_bytes())));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    response
}

fn json(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

fn json_error(status: StatusCode, message: &str) -> Response<Full<Bytes>> {
    json(status, json!({ "message": message }).to_string())
}

fn text(status: StatusCode, body: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *response.status_mut() = status;
    response
}
