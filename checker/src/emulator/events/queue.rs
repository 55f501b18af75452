//! What a subscriber receives (an event with its number and time, or a
//! count of those it missed) and its bounded queue. Once an event does not
//! fit, every later one is counted instead of queued until the subscriber has
//! read what is queued and the count: the gap it is told about is exactly
//! where events are missing.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde::Serialize;
use tokio::sync::Notify;

use super::event::Event;

/// An event with its place in the stream and the time it happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stamped {
    /// 1, 2, 3… in the order the emulator emitted them.
    pub seq: u64,
    /// Microseconds since the Unix epoch, read from a monotonic clock started
    /// with the bus (so durations between events are exact).
    pub at: i64,
    #[serde(flatten)]
    pub event: Event,
}

/// What a subscription hands out: an event, or how many it missed.
#[derive(Debug, Clone)]
pub enum Delivery {
    Event(Arc<Stamped>),
    Skipped(u64),
}

/// A limit on a queue or on the history, in events and in bytes; whichever
/// is reached first applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bound {
    pub events: usize,
    pub bytes: usize,
}

impl Bound {
    /// What [`EventBus::subscribe`](super::EventBus::subscribe) gives: more than any scenario or test
    /// produces between two reads.
    pub const SUBSCRIBER: Self = Self {
        events: 65_536,
        bytes: 128 << 20,
    };
    /// The run's history a console opened late is shown.
    pub const HISTORY: Self = Self {
        events: 50_000,
        bytes: 64 << 20,
    };
}

pub(super) struct Queue {
    state: Mutex<QueueState>,
    ready: Notify,
    bound: Bound,
}

#[derive(Default)]
struct QueueState {
    items: VecDeque<(Arc<Stamped>, usize)>,
    bytes: usize,
    skipped: u64,
    closed: bool,
}

impl Queue {
    pub(super) fn new(bound: Bound) -> Self {
        Self {
            state: Mutex::default(),
            ready: Notify::new(),
            bound,
        }
    }

    /// Queues the event, or counts it as skipped; false once the subscriber is gone.
    pub(super) fn push(&self, stamped: &Arc<Stamped>, weight: usize) -> bool {
        let mut state = self.lock();
        if state.closed {
            return false;
        }
        let fits = state.items.len() < self.bound.events
            && state.bytes + weight <= self.bound.bytes
            && state.skipped == 0;
        if fits {
            state.items.push_back((stamped.clone(), weight));
            state.bytes += weight;
        } else {
            state.skipped += 1;
        }
        drop(state);
        self.ready.notify_one();
        true
    }

    pub(super) fn pop(&self) -> Option<Delivery> {
        let mut state = self.lock();
        if let Some((stamped, weight)) = state.items.pop_front() {
            state.bytes -= weight;
            return Some(Delivery::Event(stamped));
        }
        match std::mem::take(&mut state.skipped) {
            0 => None,
            count => Some(Delivery::Skipped(count)),
        }
    }

    /// Waits for the next delivery; `None` once closed and read to the end.
    pub(super) async fn next(&self) -> Option<Delivery> {
        loop {
            if let Some(delivery) = self.pop() {
                return Some(delivery);
            }
            if self.lock().closed {
                return None;
            }
            // `notify_one` leaves a permit when no one waits: no wake-up is lost.
            self.ready.notified().await;
        }
    }

    /// Events and bytes queued.
    pub(super) fn len(&self) -> (usize, usize) {
        let state = self.lock();
        (state.items.len(), state.bytes)
    }

    pub(super) fn close(&self) {
        self.lock().closed = true;
        self.ready.notify_one();
    }

    fn lock(&self) -> MutexGuard<'_, QueueState> {
        // Each change under this lock is completed before it is released.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
