//! `checker class`: the class server. It listens on loopback unless told an
//! address (`--listen`), the only listener of the checker that may face a
//! network. Learners post their results with the join code; the page, its
//! board and the CSV answer only to the instructor's key. Every connection,
//! body, wait and table is bounded ([`Limits`]).

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::header;
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};

use super::http::{self, Answer};
use super::limits::{Buckets, Guessers};
use super::store::{Store, StoreError};
use super::{ExerciseResult, MAX_NAME_CHARS, MAX_REPORT_BYTES, MAX_RESULTS_PER_REPORT, Report};

pub use super::limits::Limits;

/// A request's head must arrive within this, and so must its body.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the page's request for the next board waits for a change.
const LONG_POLL: Duration = Duration::from_secs(25);
/// A learner's clock of an exercise counts up to this (a month); more is a broken clock.
const MAX_SECONDS_SINCE_START: u64 = 30 * 24 * 3600;

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

struct State {
    store: Mutex<Store>,
    code: String,
    key: String,
    exercises: Vec<(String, String)>,
    limits: Limits,
    /// Bumped on each change; starts at the start time, so a page that
    /// outlived a restart is never ahead of the server.
    version: watch::Sender<u64>,
    buckets: Mutex<Buckets>,
    guessers: Mutex<Guessers>,
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
        async move { Ok::<_, Infallible>(dispatch(state, request, peer).await) }
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

async fn dispatch(state: Arc<State>, request: Request<Incoming>, peer: SocketAddr) -> Answer {
    let path = request.uri().path().to_owned();
    match (request.method(), path.as_str()) {
        (&Method::GET, "/" | "/index.html") => http::asset(INDEX_HTML, "text/html; charset=utf-8"),
        (&Method::GET, "/class.js") => http::asset(CLASS_JS, "text/javascript; charset=utf-8"),
        (&Method::GET, "/class.css") => http::asset(CLASS_CSS, "text/css; charset=utf-8"),
        (&Method::GET, "/api/board") => match instructor(&state, &request) {
            Err(refused) => refused,
            Ok(()) => board(state, query(&request, "after")).await,
        },
        (&Method::GET, "/class.csv") => match instructor(&state, &request) {
            Err(refused) => refused,
            Ok(()) => csv(state).await,
        },
        (&Method::POST, super::RESULTS_PATH) => report(state, request, peer.ip()).await,
        // A learner who opened the join address in a browser: the same
        // words whatever the code, so that guessing learns nothing here.
        (&Method::GET, code) if code.len() <= 16 && code[1..].chars().all(|c| c.is_ascii_alphanumeric() || c == '-') => {
            http::text(
                StatusCode::OK,
                "This is a class of the serverless WebSockets workshop. To join it, run this in your \
                 clone of the workshop, with this page's address:\n\n    \
                 cargo run -p checker -- join ADDRESS --name \"Your name\"\n"
                    .to_owned(),
            )
        }
        _ => http::message(StatusCode::NOT_FOUND, "the class server has nothing here"),
    }
}

/// Whether the request carries the instructor's key (`Authorization: Bearer KEY` or `?key=KEY`).
fn instructor(state: &State, request: &Request<Incoming>) -> Result<(), Answer> {
    let bearer = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::to_owned);
    let given = bearer.or_else(|| query(request, "key")).unwrap_or_default();
    if super::same_secret(&given, &state.key) {
        Ok(())
    } else {
        Err(http::message(
            StatusCode::UNAUTHORIZED,
            "the class view needs the instructor's key: open the address `checker class` printed",
        ))
    }
}

fn query(request: &Request<Incoming>, name: &str) -> Option<String> {
    form_urlencoded::parse(request.uri().query()?.as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// The board now, or once it changes after version `after` (at most [`LONG_POLL`] later).
async fn board(state: Arc<State>, after: Option<String>) -> Answer {
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
        Ok(Ok(body)) => http::json(StatusCode::OK, body),
        Ok(Err(error)) => http::message(StatusCode::INTERNAL_SERVER_ERROR, &error.to_string()),
        Err(error) => http::message(StatusCode::INTERNAL_SERVER_ERROR, &error.to_string()),
    }
}

async fn csv(state: Arc<State>) -> Answer {
    let written = tokio::task::spawn_blocking(move || {
        let names: Vec<String> = state
            .exercises
            .iter()
            .map(|(name, _)| name.clone())
            .collect();
        let store = state.store.lock().unwrap_or_else(PoisonError::into_inner);
        let mut body = Vec::new();
        store.write_csv(&names, &mut body).map(|()| body)
    })
    .await;
    match written {
        Ok(Ok(body)) => http::csv(body),
        Ok(Err(error)) => http::message(StatusCode::INTERNAL_SERVER_ERROR, &format!("{error:#}")),
        Err(error) => http::message(StatusCode::INTERNAL_SERVER_ERROR, &error.to_string()),
    }
}

/// A learner's report (or join): checked, bounded, then kept.
async fn report(state: Arc<State>, request: Request<Incoming>, peer: IpAddr) -> Answer {
    let report = match read_report(request).await {
        Ok(report) => report,
        Err(refused) => return refused,
    };
    let now = Instant::now();
    {
        let mut guessers = state
            .guessers
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if guessers.blocked(peer, &state.limits, now) {
            return http::message(
                StatusCode::TOO_MANY_REQUESTS,
                "too many wrong join codes from this address: wait a minute, then use the join command the instructor shows",
            );
        }
        if !super::same_secret(&super::normalise_code(&report.code), &state.code) {
            guessers.wrong(peer, now);
            return http::message(
                StatusCode::FORBIDDEN,
                "this is not the class's join code: ask the instructor for the join command again",
            );
        }
    }
    let (name, results) = match validate(&state, report.name.as_str(), &report) {
        Ok(valid) => valid,
        Err(refused) => return refused,
    };
    let learner = report.learner;
    let taken = state
        .buckets
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take(&learner, &state.limits, now);
    if !taken {
        return http::message(
            StatusCode::TOO_MANY_REQUESTS,
            "too many results at once: the class takes the next ones in a moment",
        );
    }
    let kept = {
        let state = state.clone();
        let learner = learner.clone();
        tokio::task::spawn_blocking(move || -> Result<bool, StoreError> {
            let mut store = state.store.lock().unwrap_or_else(PoisonError::into_inner);
            if !store.is_learner(&learner)? && store.learner_count()? >= state.limits.max_learners {
                return Ok(false);
            }
            store.record(&learner, &name, &results, now_ms())?;
            Ok(true)
        })
        .await
    };
    match kept {
        Ok(Ok(true)) => {
            state.version.send_modify(|version| *version += 1);
            http::message(StatusCode::OK, "results received")
        }
        Ok(Ok(false)) => {
            state
                .buckets
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .forget(&learner);
            http::message(
                StatusCode::INSUFFICIENT_STORAGE,
                &format!(
                    "the class is full ({} learners): ask the instructor",
                    state.limits.max_learners
                ),
            )
        }
        Ok(Err(error @ StoreError::Full { .. })) => {
            tracing::warn!(%error, "a learner's results were refused");
            http::message(
                StatusCode::INSUFFICIENT_STORAGE,
                "the class's database is full: ask the instructor",
            )
        }
        Ok(Err(error)) => {
            tracing::warn!(%error, "a learner's results could not be kept");
            http::message(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the class cannot keep results now",
            )
        }
        Err(error) => http::message(StatusCode::INTERNAL_SERVER_ERROR, &error.to_string()),
    }
}

async fn read_report(request: Request<Incoming>) -> Result<Report, Answer> {
    let is_json = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|kind| kind.starts_with("application/json"));
    if !is_json {
        return Err(http::message(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "results are sent as Content-Type: application/json",
        ));
    }
    let too_large = || {
        http::message(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!("a report is at most {MAX_REPORT_BYTES} bytes"),
        )
    };
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<usize>().ok());
    if declared.is_some_and(|length| length > MAX_REPORT_BYTES) {
        return Err(too_large());
    }
    let body = Limited::new(request.into_body(), MAX_REPORT_BYTES);
    let bytes = match tokio::time::timeout(REQUEST_TIMEOUT, body.collect()).await {
        Err(_) => {
            return Err(http::message(
                StatusCode::REQUEST_TIMEOUT,
                "the report did not arrive in time",
            ));
        }
        Ok(Err(error)) if error.is::<http_body_util::LengthLimitError>() => return Err(too_large()),
        Ok(Err(error)) => {
            return Err(http::message(StatusCode::BAD_REQUEST, &error.to_string()));
        }
        Ok(Ok(collected)) => collected.to_bytes(),
    };
    serde_json::from_slice(&bytes).map_err(|error| {
        http::message(
            StatusCode::BAD_REQUEST,
            &format!("not a report of the checker: {error}"),
        )
    })
}

/// The report's name and results as the class keeps them, or why not.
fn validate(
    state: &State,
    name: &str,
    report: &Report,
) -> Result<(String, Vec<ExerciseResult>), Answer> {
    let bad = |message: String| Err(http::message(StatusCode::BAD_REQUEST, &message));
    let is_id = report.learner.len() == 32
        && report
            .learner
            .bytes()
            .all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte));
    if !is_id {
        return bad("the learner id is not one `checker join` makes".into());
    }
    if name.trim().chars().count() > MAX_NAME_CHARS {
        return bad(format!("a name is at most {MAX_NAME_CHARS} characters"));
    }
    let name = super::clean_text(name, MAX_NAME_CHARS);
    if name.is_empty() {
        return bad("a name is needed: `checker join URL --name \"Your name\"`".into());
    }
    if report.results.len() > MAX_RESULTS_PER_REPORT {
        return bad(format!(
            "a report holds at most {MAX_RESULTS_PER_REPORT} results"
        ));
    }
    let mut results = Vec::with_capacity(report.results.len());
    for result in &report.results {
        if !state
            .exercises
            .iter()
            .any(|(exercise, _)| *exercise == result.exercise)
        {
            return bad(format!(
                "this class has no exercise \"{}\"",
                super::clean_text(&result.exercise, 60)
            ));
        }
        results.push(ExerciseResult {
            exercise: result.exercise.clone(),
            passed: result.passed,
            step: (!result.passed).then(|| {
                super::clean_text(result.step.as_deref().unwrap_or("?"), super::MAX_STEP_CHARS)
            }),
            hints_seen: result.hints_seen.min(99),
            seconds_since_start: result.seconds_since_start.min(MAX_SECONDS_SINCE_START),
        });
    }
    Ok((name, results))
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
