//! The one stream of what happens in the emulator. The `serve` log, the
//! console, test assertions and the checker's transcripts and reports all
//! read it.
//!
//! Every event is numbered and stamped once, when emitted. Each subscriber
//! has a bounded queue of its own: one that falls behind misses the events
//! that do not fit and then receives one [`Event::Skipped`] that counts them;
//! the emulator never waits for a subscriber. The bus also keeps a bounded
//! history, so a console opened late still shows how the run began.

mod event;
mod explain;
mod printable;
mod queue;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

pub use event::Event;
pub use printable::{cut, printable};
use queue::Queue;
pub use queue::{Bound, Delivery, Stamped};

/// What the bus holds at one moment: its history and every subscriber's queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BusStats {
    pub emitted: u64,
    pub history_events: usize,
    pub history_bytes: usize,
    pub evicted: u64,
    pub subscribers: usize,
    /// Events and bytes waiting in all subscribers' queues together.
    pub queued_events: usize,
    pub queued_bytes: usize,
}

/// The history a new console subscriber starts from.
#[derive(Debug, Clone)]
pub struct Backlog {
    pub events: Vec<Arc<Stamped>>,
    /// Events of the run no longer in the history (the oldest, evicted).
    pub evicted: u64,
}

pub struct EventBus {
    started: Instant,
    started_micros: i64,
    state: Mutex<BusState>,
}

struct BusState {
    next_seq: u64,
    subscribers: Vec<Arc<Queue>>,
    history: VecDeque<Arc<Stamped>>,
    history_bytes: usize,
    history_bound: Bound,
    evicted: u64,
}

impl Default for EventBus {
    fn default() -> Self {
        Self::new(Bound::HISTORY)
    }
}

impl EventBus {
    pub fn new(history_bound: Bound) -> Self {
        Self {
            started: Instant::now(),
            started_micros: chrono::Utc::now().timestamp_micros(),
            state: Mutex::new(BusState {
                next_seq: 1,
                subscribers: Vec::new(),
                history: VecDeque::new(),
                history_bytes: 0,
                history_bound,
                evicted: 0,
            }),
        }
    }

    /// Every event from now on, in the order the emulator saw them.
    pub fn subscribe(&self) -> Subscription {
        self.subscribe_bounded(Bound::SUBSCRIBER)
    }

    /// Every event from now on, through a queue of at most `bound`.
    pub fn subscribe_bounded(&self, bound: Bound) -> Subscription {
        let queue = Arc::new(Queue::new(bound));
        self.lock().subscribers.push(queue.clone());
        Subscription { queue }
    }

    /// The history so far and every event after it, with nothing missed or
    /// repeated between the two.
    pub fn subscribe_with_history(&self, bound: Bound) -> (Backlog, Subscription) {
        let queue = Arc::new(Queue::new(bound));
        let mut state = self.lock();
        state.subscribers.push(queue.clone());
        let backlog = Backlog {
            events: state.history.iter().cloned().collect(),
            evicted: state.evicted,
        };
        (backlog, Subscription { queue })
    }

    /// The newest event in the history that `matches`.
    pub fn find_in_history(&self, matches: impl Fn(&Event) -> bool) -> Option<Arc<Stamped>> {
        self.lock()
            .history
            .iter()
            .rev()
            .find(|stamped| matches(&stamped.event))
            .cloned()
    }

    /// Ends every subscription (each still reads what is queued, then `None`):
    /// the emulator is shutting down, and the console's feeds end with it.
    pub(crate) fn close(&self) {
        for subscriber in std::mem::take(&mut self.lock().subscribers) {
            subscriber.close();
        }
    }

    /// What the bus holds now (the benchmark shows it stays bounded).
    pub fn stats(&self) -> BusStats {
        let state = self.lock();
        let (queued_events, queued_bytes) = state
            .subscribers
            .iter()
            .map(|queue| queue.len())
            .fold((0, 0), |(events, bytes), (e, b)| (events + e, bytes + b));
        BusStats {
            emitted: state.next_seq - 1,
            history_events: state.history.len(),
            history_bytes: state.history_bytes,
            evicted: state.evicted,
            subscribers: state.subscribers.len(),
            queued_events,
            queued_bytes,
        }
    }

    pub(crate) fn emit(&self, event: Event) {
        tracing::debug!(?event);
        let elapsed = i64::try_from(self.started.elapsed().as_micros()).unwrap_or(i64::MAX);
        let weight = event.weight();
        let mut state = self.lock();
        let stamped = Arc::new(Stamped {
            seq: state.next_seq,
            at: self.started_micros.saturating_add(elapsed),
            event,
        });
        state.next_seq += 1;
        state
            .subscribers
            .retain(|subscriber| subscriber.push(&stamped, weight));
        state.remember(stamped, weight);
    }

    fn lock(&self) -> MutexGuard<'_, BusState> {
        // Every change under this lock is completed before it is released.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl BusState {
    fn remember(&mut self, stamped: Arc<Stamped>, weight: usize) {
        self.history.push_back(stamped);
        self.history_bytes += weight;
        while self.history.len() > self.history_bound.events
            || self.history_bytes > self.history_bound.bytes
        {
            let Some(oldest) = self.history.pop_front() else {
                break;
            };
            self.history_bytes = self.history_bytes.saturating_sub(oldest.event.weight());
            self.evicted += 1;
        }
    }
}

impl Drop for EventBus {
    fn drop(&mut self) {
        self.close();
    }
}

/// One subscriber's end of the bus. Dropping it unsubscribes.
pub struct Subscription {
    queue: Arc<Queue>,
}

impl Subscription {
    /// The next event, waiting for one; `None` once the emulator is gone.
    /// Missed events come as one [`Event::Skipped`].
    pub async fn recv(&mut self) -> Option<Event> {
        self.recv_stamped().await.map(into_event)
    }

    /// The next event if one is queued.
    pub fn try_recv(&mut self) -> Option<Event> {
        self.queue.pop().map(into_event)
    }

    /// The next event with its number and time, waiting for one.
    pub async fn recv_stamped(&mut self) -> Option<Delivery> {
        self.queue.next().await
    }

    /// The next event with its number and time, if one is queued.
    pub fn try_recv_stamped(&mut self) -> Option<Delivery> {
        self.queue.pop()
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.queue.close();
    }
}

fn into_event(delivery: Delivery) -> Event {
    match delivery {
        Delivery::Event(stamped) => stamped.event.clone(),
        Delivery::Skipped(count) => Event::Skipped { count },
    }
}

#[cfg(test)]
mod tests;
