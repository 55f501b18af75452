//! The open connections, by id, and the frames waiting to be written to each.
//!
//! A client that reads nothing makes its frames wait: each connection's queue
//! is bounded in frames and bytes, and so is the sum over all connections.
//! When full, `@connections` answers 429 `LimitExceededException`, as API
//! Gateway documents for a full client-side buffer.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};

use chrono::{DateTime, TimeZone, Utc};
use tokio::sync::{mpsc, watch};

/// Frames one connection may have waiting to be written.
pub(crate) const MAX_QUEUED_FRAMES: usize = 1024;
/// Bytes one connection may have waiting to be written: eight messages of
/// the largest size.
pub(crate) const MAX_QUEUED_BYTES: usize = 1024 * 1024;
/// Bytes every connection together may have waiting.
const MAX_QUEUED_BYTES_TOTAL: usize = 256 * 1024 * 1024;

/// A frame the connection's task writes to the socket.
#[derive(Debug)]
pub(crate) enum Outgoing {
    Text(String),
    Binary(Vec<u8>),
    /// Close the connection from the server side (`DeleteConnection`).
    Close {
        code: u16,
        reason: String,
    },
}

impl Outgoing {
    fn len(&self) -> usize {
        match self {
            Outgoing::Text(text) => text.len(),
            Outgoing::Binary(data) => data.len(),
            Outgoing::Close { reason, .. } => reason.len(),
        }
    }
}

/// Why a frame was not queued.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum SendError {
    #[error("the connection has ended")]
    Gone,
    #[error(
        "the connection's client is not reading: {frames} frames ({bytes} bytes) already wait to \
         be written to it"
    )]
    Full { frames: usize, bytes: usize },
}

/// How many frames are queued and messages being routed, on every connection;
/// watched, so a local run wakes when it changes.
type InFlightCount = Arc<watch::Sender<usize>>;

/// A queued frame, or a message being routed: work that may still write to a
/// client. Counted while alive, so a local run can tell an idle emulator from
/// one that is only slow to get to its queue.
#[derive(Debug)]
pub(crate) struct InFlight(InFlightCount);

impl InFlight {
    fn new(counter: &InFlightCount) -> Self {
        counter.send_modify(|count| *count += 1);
        Self(counter.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.send_modify(|count| *count -= 1);
    }
}

/// What one connection has waiting.
#[derive(Debug, Default)]
struct QueueSize {
    frames: AtomicUsize,
    bytes: AtomicUsize,
}

/// A frame in a connection's queue: it holds its place in the bounds (and
/// counts as in flight) until written or dropped.
#[derive(Debug)]
pub(crate) struct Queued {
    bytes: usize,
    counted: bool,
    queue: Arc<QueueSize>,
    total_bytes: Arc<AtomicUsize>,
    _in_flight: InFlight,
}

impl Drop for Queued {
    fn drop(&mut self) {
        if self.counted {
            self.queue.frames.fetch_sub(1, Ordering::SeqCst);
            self.queue.bytes.fetch_sub(self.bytes, Ordering::SeqCst);
            self.total_bytes.fetch_sub(self.bytes, Ordering::SeqCst);
        }
    }
}

/// A frame, the request it answers or the invocation that posted it (when
/// known), and its place in the queue.
pub(crate) type Frame = (Outgoing, Option<String>, Queued);

/// The frames a connection's task writes, in order.
pub(crate) type Frames = mpsc::UnboundedReceiver<Frame>;

pub(crate) struct Connection {
    pub(crate) id: String,
    pub(crate) connected_at: DateTime<Utc>,
    last_active_ms: AtomicI64,
    pub(crate) source_ip: String,
    /// The handshake's `User-Agent`; `None` when the client sent none.
    pub(crate) user_agent: Option<String>,
    /// False while `$connect` runs: API Gateway answers posts with 410 until the handshake ends.
    open: AtomicBool,
    /// What the `$connect` authorizer allowed it with (`principalId`, its
    /// context…): `requestContext.authorizer` of every route's event. At
    /// most the authorizer's 8 KB result, set once.
    authorizer: OnceLock<serde_json::Value>,
    /// Only the bounds below keep this queue finite: every frame goes through `send`.
    outbox: mpsc::UnboundedSender<Frame>,
    queue: Arc<QueueSize>,
    /// A close is queued once; later ones add nothing.
    closing: AtomicBool,
    in_flight: InFlightCount,
    total_bytes: Arc<AtomicUsize>,
}

impl Connection {
    pub(crate) fn new(
        id: String,
        source_ip: String,
        user_agent: Option<String>,
        connections: &Connections,
    ) -> (Arc<Self>, Frames) {
        let (outbox, frames) = mpsc::unbounded_channel();
        let connected_at = Utc::now();
        let connection = Self {
            id,
            connected_at,
            last_active_ms: AtomicI64::new(connected_at.timestamp_millis()),
            source_ip,
            user_agent,
            open: AtomicBool::new(false),
            authorizer: OnceLock::new(),
            outbox,
            queue: Arc::default(),
            closing: AtomicBool::new(false),
            in_flight: connections.in_flight.clone(),
            total_bytes: connections.queued_bytes.clone(),
        };
        (Arc::new(connection), frames)
    }

    /// `{sourceIp, userAgent}` as API Gateway writes it: no `userAgent` when
    /// the client sent no `User-Agent`.
    pub(crate) fn identity(&self) -> serde_json::Value {
        let mut identity = serde_json::json!({ "sourceIp": self.source_ip });
        if let Some(user_agent) = &self.user_agent {
            identity["userAgent"] = user_agent.clone().into();
        }
        identity
    }

    /// Keeps what the authorizer allowed the connection with, for the events
    /// of all its routes; a second call changes nothing.
    pub(crate) fn authorize(&self, authorizer: serde_json::Value) {
        let _ = self.authorizer.set(authorizer);
    }

    /// `requestContext.authorizer`, when an authorizer allowed the connection.
    pub(crate) fn authorizer(&self) -> Option<&serde_json::Value> {
        self.authorizer.get()
    }

    pub(crate) fn is_open(&self) -> bool {
        self.open.load(Ordering::SeqCst)
    }

    pub(crate) fn mark_open(&self) {
        self.open.store(true, Ordering::SeqCst);
    }

    pub(crate) fn touch(&self) {
        self.last_active_ms
            .store(Utc::now().timestamp_millis(), Ordering::SeqCst);
    }

    pub(crate) fn last_active_at(&self) -> DateTime<Utc> {
        let millis = self.last_active_ms.load(Ordering::SeqCst);
        Utc.timestamp_millis_opt(millis)
            .single()
            .unwrap_or(self.connected_at)
    }

    /// Queues a frame, within the bounds. A close is always taken (once):
    /// it is what ends a connection whose queue is full.
    pub(crate) fn send(&self, frame: Outgoing) -> Result<(), SendError> {
        self.send_for(frame, None)
    }

    /// Queues a frame that answers `request_id` (or that its invocation posted).
    pub(crate) fn send_for(
        &self,
        frame: Outgoing,
        request_id: Option<String>,
    ) -> Result<(), SendError> {
        let is_close = matches!(frame, Outgoing::Close { .. });
        if is_close && self.closing.swap(true, Ordering::SeqCst) {
            return Ok(());
        }
        let bytes = frame.len();
        if !is_close {
            self.reserve(bytes)?;
        }
        let queued = Queued {
            bytes,
            counted: !is_close,
            queue: self.queue.clone(),
            total_bytes: self.total_bytes.clone(),
            _in_flight: InFlight::new(&self.in_flight),
        };
        self.outbox
            .send((frame, request_id, queued))
            .map_err(|_| SendError::Gone)
    }

    fn reserve(&self, bytes: usize) -> Result<(), SendError> {
        let full = || SendError::Full {
            frames: self.queue.frames.load(Ordering::SeqCst),
            bytes: self.queue.bytes.load(Ordering::SeqCst),
        };
        if !add_within(&self.queue.frames, 1, MAX_QUEUED_FRAMES) {
            return Err(full());
        }
        // A frame larger than the bound (a two-way reply can be) passes alone.
        let admitted = self
            .queue
            .bytes
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |queued| {
                let sum = queued.checked_add(bytes)?;
                (queued == 0 || sum <= MAX_QUEUED_BYTES).then_some(sum)
            })
            .is_ok();
        if !admitted {
            self.queue.frames.fetch_sub(1, Ordering::SeqCst);
            return Err(full());
        }
        if !add_within(&self.total_bytes, bytes, MAX_QUEUED_BYTES_TOTAL) {
            self.queue.frames.fetch_sub(1, Ordering::SeqCst);
            self.queue.bytes.fetch_sub(bytes, Ordering::SeqCst);
            return Err(full());
        }
        Ok(())
    }
}

/// Adds `amount` to `counter` unless that would pass `limit`.
fn add_within(counter: &AtomicUsize, amount: usize, limit: usize) -> bool {
    counter
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |current| {
            current.checked_add(amount).filter(|sum| *sum <= limit)
        })
        .is_ok()
}

type ById = Arc<Mutex<HashMap<String, Arc<Connection>>>>;

/// A connection's place among the open ones, removed when this is dropped: a
/// handshake abandoned half-way or a task that panics leaves no entry behind.
pub(crate) struct Listing {
    by_id: ById,
    id: String,
}

impl Drop for Listing {
    fn drop(&mut self) {
        lock(&self.by_id).remove(&self.id);
    }
}

pub(crate) struct Connections {
    by_id: ById,
    /// While set, PostToConnection answers 429 LimitExceededException (a
    /// scenario's fault, to see that a Lambda does not swallow such errors).
    throttled: AtomicBool,
    /// Frames queued and messages being routed, on every connection.
    in_flight: InFlightCount,
    /// Bytes queued on every connection.
    queued_bytes: Arc<AtomicUsize>,
}

impl Default for Connections {
    fn default() -> Self {
        Self {
            by_id: ById::default(),
            throttled: AtomicBool::default(),
            in_flight: Arc::new(watch::Sender::new(0)),
            queued_bytes: Arc::default(),
        }
    }
}

impl Connections {
    /// Counts a client's message as in flight until the guard is dropped.
    pub(crate) fn routing(&self) -> InFlight {
        InFlight::new(&self.in_flight)
    }

    /// Frames queued but not written, and messages not yet routed to their
    /// end; the receiver sees each change.
    pub(crate) fn in_flight(&self) -> watch::Receiver<usize> {
        self.in_flight.subscribe()
    }

    pub(crate) fn set_throttled(&self, throttled: bool) {
        self.throttled.store(throttled, Ordering::SeqCst);
    }

    pub(crate) fn throttled(&self) -> bool {
        self.throttled.load(Ordering::SeqCst)
    }

    /// Adds the connection; it stays until the listing is dropped.
    pub(crate) fn register(&self, connection: Arc<Connection>) -> Listing {
        let id = connection.id.clone();
        lock(&self.by_id).insert(id.clone(), connection);
        Listing {
            by_id: self.by_id.clone(),
            id,
        }
    }

    pub(crate) fn get(&self, id: &str) -> Option<Arc<Connection>> {
        lock(&self.by_id).get(id).cloned()
    }
}

fn lock(by_id: &ById) -> MutexGuard<'_, HashMap<String, Arc<Connection>>> {
    // Each operation is a single map call: a panic cannot leave it half done.
    by_id.lock().unwrap_or_else(PoisonError::into_inner)
}
