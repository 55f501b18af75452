//! The open connections, by id, and the frames waiting to be written to each.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, TimeZone, Utc};
use tokio::sync::{mpsc, watch};

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

pub(crate) struct Connection {
    pub(crate) id: String,
    pub(crate) connected_at: DateTime<Utc>,
    last_active_ms: AtomicI64,
    pub(crate) source_ip: String,
    /// The handshake's `User-Agent`; `None` when the client sent none.
    pub(crate) user_agent: Option<String>,
    /// False while `$connect` runs: API Gateway answers posts with 410 until the handshake ends.
    open: AtomicBool,
    outbox: mpsc::UnboundedSender<(Outgoing, InFlight)>,
    in_flight: InFlightCount,
}

impl Connection {
    pub(crate) fn new(
        id: String,
        source_ip: String,
        user_agent: Option<String>,
        connections: &Connections,
    ) -> (Arc<Self>, mpsc::UnboundedReceiver<(Outgoing, InFlight)>) {
        let (outbox, frames) = mpsc::unbounded_channel();
        let connected_at = Utc::now();
        let connection = Self {
            id,
            connected_at,
            last_active_ms: AtomicI64::new(connected_at.timestamp_millis()),
            source_ip,
            user_agent,
            open: AtomicBool::new(false),
            outbox,
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

    /// Queues a frame; false when the connection's task has already ended.
    pub(crate) fn send(&self, frame: Outgoing) -> bool {
        self.outbox
            .send((frame, InFlight::new(&self.in_flight)))
            .is_ok()
    }
}

pub(crate) struct Connections {
    by_id: Mutex<HashMap<String, Arc<Connection>>>,
    /// While set, PostToConnection answers 429 LimitExceededException (a
    /// scenario's fault, to see that a Lambda does not swallow such errors).
    throttled: AtomicBool,
    /// Frames queued and messages being routed, on every connection.
    in_flight: InFlightCount,
}

impl Default for Connections {
    fn default() -> Self {
        Self {
            by_id: Mutex::default(),
            throttled: AtomicBool::default(),
            in_flight: Arc::new(watch::Sender::new(0)),
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

    pub(crate) fn insert(&self, connection: Arc<Connection>) {
        self.lock().insert(connection.id.clone(), connection);
    }

    pub(crate) fn remove(&self, id: &str) {
        self.lock().remove(id);
    }

    pub(crate) fn get(&self, id: &str) -> Option<Arc<Connection>> {
        self.lock().get(id).cloned()
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Arc<Connection>>> {
        // Each operation is a single map call: a panic cannot leave it half done.
        self.by_id.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
