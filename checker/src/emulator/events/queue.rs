//! One subscriber's bounded queue. Once an event does not fit, every later
//! one is counted instead of queued until the subscriber has read what is
//! queued and the count: the gap it is told about is exactly where events
//! are missing.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::Notify;

use super::{Bound, Delivery, Stamped};

pub(super) struct Queue {
    state: Mutex<State>,
    ready: Notify,
    bound: Bound,
}

#[derive(Default)]
struct State {
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

    fn lock(&self) -> MutexGuard<'_, State> {
        // Each change under this lock is completed before it is released.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
