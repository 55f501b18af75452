//! The open connections, by id, and the frames waiting to be written to each.
//!
//! A client that reads nothing makes its frames wait: each connection's queue
//! is bounded in frames and bytes, as API Gateway bounds each client's
//! buffer. Every connection may always queue its own reserve; what it queues
//! beyond that comes from one pool shared by all, so clients that read
//! nothing can fill the pool but never take a reading client's reserve. When
//! a queue is full, `@connections` answers 429 `LimitExceededException`, as
//! API Gateway documents for a full client-side buffer.

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
/// Bytes each connection may have waiting whatever the others hold: two
/// messages of the largest size and the small frames around them. Two, as a
/// client that reads every frame can be sent the next before its task has
/// counted the last one written: a reader is never refused.
pub(crate) const RESERVED_BYTES: usize = 288 * 1024;
/// Bytes beyond their reserves that all connections together may have waiting.
pub(crate) const SHARED_BYTES: usize = 32 * 1024 * 1024;

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
    /// Its reserve is used up and the pool shared by all connections is taken.
    #[error(
        "the connection's client is not reading: {bytes} bytes already wait to be written to it, \
         its own {RESERVED_BYTES} bytes and more, and the {SHARED_BYTES} bytes shared by all \
         connections beyond their own are taken by clients that read nothing"
    )]
    Crowded { bytes: usize },
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

/// What one connection has waiting, and its share of the common pool.
#[derive(Debug)]
struct Budget {
    queued: Mutex<QueueSize>,
    /// Bytes queued beyond their reserves, over every connection.
    shared: Arc<AtomicUsize>,
}

#[derive(Debug, Default, Clone, Copy)]
struct QueueSize {
    frames: usize,
    bytes: usize,
}

/// The bytes of a queue of `bytes` that come from the shared pool.
fn beyond_reserve(bytes: usize) -> usize {
    bytes.saturating_sub(RESERVED_BYTES)
}

impl Budget {
    fn lock(&self) -> MutexGuard<'_, QueueSize> {
        // Each change under this lock is whole before it is released.
        self.queued.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes room for one frame of `bytes`, or says why there is none.
    fn reserve(&self, bytes: usize) -> Result<(), SendError> {
        let mut queued = self.lock();
        let full = SendError::Full {
            frames: queued.frames,
            bytes: queued.bytes,
        };
        if queued.frames >= MAX_QUEUED_FRAMES {
            return Err(full);
        }
        let sum = queued.bytes.saturating_add(bytes);
        // A frame larger than the bound (a two-way reply can be) passes alone.
        if queued.bytes > 0 && sum > MAX_QUEUED_BYTES {
            return Err(full);
        }
        let from_pool = beyond_reserve(sum) - beyond_reserve(queued.bytes);
        if from_pool > 0 && !add_within(&self.shared, from_pool, SHARED_BYTES) {
            return Err(SendError::Crowded {
                bytes: queued.bytes,
            });
        }
        queued.frames += 1;
        queued.bytes = sum;
        Ok(())
    }

    /// Gives back the room of one frame of `bytes`.
    fn release(&self, bytes: usize) {
        let mut queued = self.lock();
        let before = queued.bytes;
        queued.frames = queued.frames.saturating_sub(1);
        queued.bytes = before.saturating_sub(bytes);
        let to_pool = beyond_reserve(before) - beyond_reserve(queued.bytes);
        self.shared.fetch_sub(to_pool, Ordering::SeqCst);
    }
}

/// A frame in a connection's queue: it holds its place in the bounds (and
/// counts as in flight) until written or dropped.
#[derive(Debug)]
pub(crate) struct Queued {
    bytes: usize,
    counted: bool,
    budget: Arc<Budget>,
    _in_flight: InFlight,
}

impl Drop for Queued {
    fn drop(&mut self) {
        if self.counted {
            self.budget.release(self.bytes);
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
    budget: Arc<Budget>,
    /// A close is queued once; later ones add nothing.
    closing: AtomicBool,
    in_flight: InFlightCount,
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
            budget: Arc::new(Budget {
                queued: Mutex::default(),
                shared: connections.shared_bytes.clone(),
            }),
            closing: AtomicBool::new(false),
            in_flight: connections.in_flight.clone(),
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
            self.budget.reserve(bytes)?;
        }
        let queued = Queued {
            bytes,
            counted: !is_close,
            budget: self.budget.clone(),
            _in_flight: InFlight::new(&self.in_flight),
        };
        self.outbox
            .send((frame, request_id, queued))
            .map_err(|_| SendError::Gone)
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
    /// Bytes queued beyond their reserves, over every connection.
    shared_bytes: Arc<AtomicUsize>,
}

impl Default for Connections {
    fn default() -> Self {
        Self {
            by_id: ById::default(),
            throttled: AtomicBool::default(),
            in_flight: Arc::new(watch::Sender::new(0)),
            shared_bytes: Arc::default(),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn text(bytes: usize) -> Outgoing {
        Outgoing::Text("m".repeat(bytes))
    }

    #[test]
    fn clients_that_read_nothing_fill_the_pool_but_not_a_readers_reserve() {
        let connections = Connections::default();
        let message = 128 * 1024;
        let mut silent = Vec::new();
        let mut frames = Vec::new();
        // Enough silent clients, each queueing until refused, to take the pool.
        let mut crowded = false;
        while !crowded {
            let (connection, receiver) = Connection::new(
                format!("c{}", silent.len()),
                "127.0.0.1".into(),
                None,
                &connections,
            );
            loop {
                match connection.send(text(message)) {
                    Ok(()) => {}
                    Err(SendError::Full { .. }) => break,
                    Err(SendError::Crowded { .. }) => {
                        crowded = true;
                        break;
                    }
                    Err(SendError::Gone) => unreachable!("the receiver is kept"),
                }
            }
            silent.push(connection);
            frames.push(receiver);
        }
        assert!(connections.shared_bytes.load(Ordering::SeqCst) <= SHARED_BYTES);
        // A reader, its queue empty, still has its whole reserve.
        let (reader, mut written) =
            Connection::new("reader".into(), "127.0.0.1".into(), None, &connections);
        reader
            .send(text(message))
            .expect("a reader's reserve is its own");
        reader
            .send(text(1024))
            .expect("and the error frame beside it");
        // Its frames written, the reserve is whole again.
        while written.try_recv().is_ok() {}
        reader
            .send(text(message))
            .expect("the reserve is given back");
        // One silent client's frames written: the pool has room again.
        drop(frames.swap_remove(0));
        assert!(connections.shared_bytes.load(Ordering::SeqCst) < SHARED_BYTES);
    }
}
