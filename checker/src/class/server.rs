//! `checker class`: the class server. It listens on loopback unless told an
//! address (`--listen`), the only listener of the checker that may face a
//! network. Learners post their results with the join code; the page, its
//! board and the CSV answer only to the instructor's key. Every connection,
//! body, wait and table is bounded ([`Limits`]).

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use hyper::body::Incoming;
use hyper::header;
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};

use super::limits::{Buckets, Guessers};
use super::state::{State, now_ms};
use super::store::{Store, StoreError};
use crate::response::{self, Response};

pub use super::limits::Limits;

/// A request's head must arrive within this.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the page's request for the next board waits for a change.
const LONG_POLL: Duration = Duration::from_secs(25);

const INDEX_HTML: &str = include_str!("page/index.html");
const CLASS_JS: &str = include_str!("page/class.js");
const CLASS_CSS: &str = include_str!("page/class.css");

#[derive(Debug, Clone)]
pub struct ClassConfig {
    pub listen: SocketAddr,
    /// The class's SQLite file; opened again on a restart.
    pub db: PathBuf,
    /// The workshop's exercises (folder name, title), in order; results for others are refused.
    pub exercises: Vec<(String, String)>,
    pub limits: Limits,
}

#[derive(Debug, thiserror::Error)]
pub enum ClassError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot listen on {address}: {source}")]
    Listen {
        address: SocketAddr,
        source: std::io::Error,
    },
}

/// A running class server; dropping it stops it.
#[derive(Debug)]
pub struct Class {
    address: SocketAddr,
    code: String,
    key: String,
    task: tokio::task::JoinHandle<()>,
}

impl Class {
    /// Opens (or starts) the class in `config.db` and listens.
    pub async fn start(config: ClassConfig) -> Result<Self, ClassError> {
        // A few milliseconds of file work, once, before anything is served.
        let store = Store::open(&config.db, config.limits.store_bytes)?;
        let listener =
            TcpListener::bind(config.listen)
                .await
                .map_err(|source| ClassError::Listen {
                    address: config.listen,
                    source,
                })?;
        let address = listener.local_addr().map_err(|source| ClassError::Listen {
            address: config.listen,
            source,
        })?;
        let started = u64::try_from(now_ms()).unwrap_or_default();
        let state = Arc::new(State {
            code: store.code().to_owned(),
            key: store.key().to_owned(),
            store: Mutex::new(store),
            exercises: config.exercises,
            limits: config.limits,
            version: watch::Sender::new(started),
            buckets: Mutex::new(Buckets::default()),
            guessers: Mutex::new(Guessers::default()),
        });
        let (code, key) = (state.code.clone(), state.key.clone());
        let task = tokio::spawn(serve(listener, state));
        Ok(Self {
            address,
            code,
            key,
            task,
        })
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    pub fn code(&self) -> &str {
        &self.code
    }

    pub fn key(&self) -> &str {
        &self.key
    }

    /// The page on this machine; the key rides in the fragment, which no
    /// request line or log carries.
    pub fn page_url(&self) -> String {
        let host = if self.address.ip().is_unspecified() {
            match self.address {
                SocketAddr::V4(_) => IpAddr::from([127, 0, 0, 1]),
                SocketAddr::V6(_) => IpAddr::from(std::net::Ipv6Addr::LOCALHOST),
            }
        } else {
            self.address.ip()
        };
        format!(
            "http://{}/#key={}",
            SocketAddr::new(host, self.address.port()),
            self.key
        )
    }

    /// The address learners join with, on `host` (as they reach this machine).
    pub fn join_url(&self, host: IpAddr) -> String {
        format!(
            "http://{}/{}",
            SocketAddr::new(host, self.address.port()),
            self.code
        )
    }

    /// Where learners reach this server: the address it listens on, or for
    /// `0.0.0.0` the one this machine's default route leaves from (none off
    /// a network).
    pub fn address_for_learners(&self) -> Option<IpAddr> {
        let ip = self.address.ip();
        if !ip.is_unspecified() {
            return Some(ip);
        }
        // Connecting a UDP socket sends nothing; it only picks the route.
        let socket = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
        socket.connect("192.0.2.1:9").ok()?;
        let local = socket.local_addr().ok()?.ip();
        (!local.is_unspecified()).then_some(local)
    }

    /// Stops listening and ends every connection; the port is free once this returns.
    pub async fn stop(mut self) {
        self.task.abort();
        let _ = (&mut self.task).await;
    }
}

impl Drop for Class {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(listener: TcpListener, state: Arc<State>) {
    let permits = Arc::new(Semaphore::new(state.limits.max_connections));
    let mut connections = tokio::task::JoinSet::new();
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                tracing::warn!(%error, "the class server cannot accept a connection");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        while connections.try_join_next().is_some() {}
        // Full: the newcomer is closed unanswered; those served keep their place.
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            continue;
        };
        let state = state.clone();
        connections.spawn(async move {
            serve_connection(stream, peer, state).await;
            drop(permit);
        });
    }
}

async fn serve_connection(stream: TcpStream, peer: SocketAddr, state: Arc<State>) {
    let _ = stream.set_nodelay(true);
    let service = hyper::service::service_fn(move |request| {
        let state = state.clone();
        async move {
            let answer = dispatch(state, request, peer).await;
            Ok::<_, Infallible>(response::kept_to_the_class_server(answer))
        }
    });
    let served = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(REQUEST_TIMEOUT)
        .serve_connection(TokioIo::new(stream), service)
        .await;
    if let Err(error) = served {
        tracing::debug!(%error, %peer, "a class connection ended with an error");
    }
}

async fn dispatch(state: Arc<State>, request: Request<Incoming>, peer: SocketAddr) -> Response {
    let path = request.uri().path().to_owned();
    match (request.method(), path.as_str()) {
        (&Method::GET, "/" | "/index.html") => response::asset(INDEX_HTML, "text/html; charset=utf-8"),
        (&Method::GET, "/class.js") => response::asset(CLASS_JS, "text/javascript; charset=utf-8"),
        (&Method::GET, "/class.css") => response::asset(CLASS_CSS, "text/css; charset=utf-8"),
        (&Method::GET, "/api/board" | "/class.csv") if !instructor(&state, &request) => {
            response::json_message(
                StatusCode::UNAUTHORIZED,
                "the class view needs the instructor's key: open the address `checker class` printed",
            )
        }
        (&Method::GET, "/api/board") => board(state, query(&request, "after")).await,
        (&Method::GET, "/class.csv") => csv(state).await,
        (&Method::POST, super::RESULTS_PATH) => super::intake::report(state, request, peer.ip()).await,
        // A learner who opened the join address in a browser: the same
        // words whatever the code, so that guessing learns nothing here.
        (&Method::GET, code) if code.len() <= 16 && code[1..].chars().all(|c| c.is_ascii_alphanumeric() || c == '-') => {
            response::plain_text(
                StatusCode::OK,
                "This is a class of the serverless WebSockets workshop. To join it, run this in your \
                 clone of the workshop, with this page's address:\n\n    \
                 cargo run -p checker -- join ADDRESS --name \"Your name\"\n"
                    .to_owned(),
            )
        }
        _ => response::json_message(StatusCode::NOT_FOUND, "the class server has nothing here"),
    }
}

/// Whether the request carries the instructor's key (`Authorization: Bearer KEY` or `?key=KEY`).
fn instructor(state: &State, request: &Request<Incoming>) -> bool {
    let bearer = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::to_owned);
    let given = bearer.or_else(|| query(request, "key")).unwrap_or_default();
    super::same_secret(&given, &state.key)
}

fn query(request: &Request<Incoming>, name: &str) -> Option<String> {
    form_urlencoded::parse(request.uri().query()?.as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// The board now, or once it changes after version `after` (at most [`LONG_POLL`] later).
async fn board(state: Arc<State>, after: Option<String>) -> Response {
    let mut version = state.version.subscribe();
    let after = after.and_then(|after| after.parse::<u64>().ok());
    if after.is_some_and(|after| *version.borrow_and_update() <= after) {
        let _ = tokio::time::timeout(LONG_POLL, version.changed()).await;
    }
    let built = tokio::task::spawn_blocking(move || -> Result<String, StoreError> {
        let version = *state.version.borrow();
        let store = state.store.lock().unwrap_or_else(PoisonError::into_inner);
        let board = super::board::build(
            &state.exercises,
            &store.learners()?,
            &store.latest()?,
            now_ms(),
            version,
        );
        Ok(serde_json::to_string(&board).unwrap_or_default())
    })
    .await;
    match built {
        Ok(Ok(body)) => response::json(StatusCode::OK, body),
        Ok(Err(error)) => {
            response::json_message(StatusCode::INTERNAL_SERVER_ERROR, &error.to_string())
        }
        Err(error) => response::json_message(StatusCode::INTERNAL_SERVER_ERROR, &error.to_string()),
    }
}

async fn csv(state: Arc<State>) -> Response {
    let written = tokio::task::spawn_blocking(move || {
        let names: Vec<String> = state
            .exercises
            .iter()
            .map(|(name, _)| name.clone())
            .collect();
        let store = state.store.lock().unwrap_or_else(PoisonError::into_inner);
        let mut body = Vec::new();
        super::export::write_csv(&store, &names, &mut body).map(|()| body)
    })
    .await;
    match written {
        Ok(Ok(body)) => response::attachment(
            body,
            "text/csv; charset=utf-8",
            "attachment; filename=\"class.csv\"",
        ),
        Ok(Err(error)) => {
            response::json_message(StatusCode::INTERNAL_SERVER_ERROR, &format!("{error:#}"))
        }
        Err(error) => response::json_message(StatusCode::INTERNAL_SERVER_ERROR, &error.to_string()),
    }
}
