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

use std::collections::HashMap;
use std::sync::Arc;

use hyper::body::Incoming;
use hyper::{Method, Request, StatusCode};
use serde_json::{Value, json};

use super::dynamodb::Tables;
use super::gateway::{Arrival, WebSocketApi, is_upgrade};
use super::lambda::FunctionPool;
use super::response::{self, Response};
use super::services::Services;

/// The path segment the console lives under; API Gateway answers 403 there.
pub(crate) const SEGMENT: &str = "@console";
/// The page's path.
pub(crate) const PATH: &str = "/@console/";

/// Items per table the page is sent; the count says how many there are.
const MAX_ITEMS_SHOWN: usize = 500;

/// What the console shows and replays.
pub(crate) struct Console {
    /// The stack as `checker stack --json` prints it.
    pub(crate) stack: Arc<Value>,
    /// Every function by its name in `serverless.yml`, which replays go through.
    pub(crate) functions: HashMap<String, Arc<FunctionPool>>,
    /// The event stream it follows.
    pub(crate) services: Arc<Services>,
    /// The tables it shows.
    pub(crate) tables: Arc<Tables>,
    /// The pages following the run.
    pub(crate) feeds: feed::Feeds,
    /// Its open connections, which a replayed `$connect` must name.
    pub(crate) api: Arc<WebSocketApi>,
}

impl Console {
    /// Answers a request under `/@console/`; `rest` is the path after it.
    pub(crate) async fn handle(
        &self,
        request: Request<Incoming>,
        rest: &[String],
        arrival: Arrival,
    ) -> Response {
        let allowed = match guard::check(&request, arrival.peer, arrival.local_port) {
            Ok(allowed) => allowed,
            Err(guard::Forbidden(reason)) => {
                return response::json_message(StatusCode::FORBIDDEN, &reason);
            }
        };
        let rest: Vec<&str> = rest.iter().map(String::as_str).collect();
        let method = request.method().clone();
        let events = &self.services.events;
        let answer = match (&method, rest.as_slice()) {
            // Relative links need the slash.
            (&Method::GET, []) if !request.uri().path().ends_with('/') => response::redirect(PATH),
            (&Method::GET, []) => response::asset(assets::INDEX.body, assets::INDEX.content_type),
            (&Method::GET, ["api", "stack"]) => {
                response::json(StatusCode::OK, self.stack.to_string())
            }
            (&Method::GET, ["api", "tables"]) => self.tables().await,
            (&Method::POST, ["api", "replay"]) => {
                replay::handle(events, &self.api, &self.functions, request.into_body()).await
            }
            (&Method::GET, ["feed"]) if is_upgrade(&request) => {
                feed::upgrade(&self.feeds, events.clone(), self.stack.clone(), request)
            }
            (&Method::GET, [name]) => match assets::find(name) {
                Some(file) => response::asset(file.body, file.content_type),
                None => not_found(&request),
            },
            _ => not_found(&request),
        };
        response::kept_to_its_origin(answer, &allowed.host)
    }

    /// Every table and its items (the first [`MAX_ITEMS_SHOWN`] of each),
    /// copied and written on a blocking thread: a page takes a millisecond
    /// or more, which the async workers spend on the Lambdas' calls instead.
    async fn tables(&self) -> Response {
        let tables = self.tables.clone();
        let page = tokio::task::spawn_blocking(move || {
            let tables: Vec<Value> = tables
                .first_items(MAX_ITEMS_SHOWN)
                .into_iter()
                .map(|(table, count)| {
                    json!({ "name": table.name, "count": count, "items": table.items })
                })
                .collect();
            Value::from(tables).to_string()
        })
        .await;
        match page {
            Ok(page) => response::json(StatusCode::OK, page),
            Err(error) => response::json_message(
                StatusCode::INTERNAL_SERVER_ERROR,
                &format!("the tables could not be read: {error}"),
            ),
        }
    }
}

fn not_found<B>(request: &Request<B>) -> Response {
    response::json_message(
        StatusCode::NOT_FOUND,
        &format!("the console has nothing at {}", request.uri().path()),
    )
}
