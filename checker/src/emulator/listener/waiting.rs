//! Connections accepted whose first request has not arrived: a client that
//! opens many and sends nothing (or half a request) would otherwise hold a
//! file descriptor each until its timeouts, and block new clients.
//!
//! Up to `limit` wait freely. Past it, those that have waited at least
//! `grace` are closed, the longest waiting first, until `limit` are left: a
//! new client sends its request at once and is served, while a connection
//! that holds its place without a request loses it. Those that have not
//! waited that long are let in whatever their number (a burst of clients
//! opening at once is served), up to four times `limit`; past that a new
//! connection is refused with an answer.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::time::Instant;

/// When each waiting connection arrived, and how to close it.
type ByArrival = BTreeMap<u64, (Instant, oneshot::Sender<()>)>;

/// How many times `limit` may wait at once, however new they all are.
const HARD_LIMIT_FACTOR: usize = 4;

pub(super) struct Waiting {
    limit: usize,
    grace: Duration,
    next: AtomicU64,
    /// Oldest first: ids grow with each admission.
    queue: Mutex<ByArrival>,
}

/// A connection's place among those waiting; dropped when its first request
/// arrives (or it ends).
pub(crate) struct Ticket {
    waiting: Arc<Waiting>,
    id: u64,
}

/// What a new connection gets.
pub(super) enum Admission {
    /// A place; the receiver resolves with `Ok` if it is evicted.
    Admitted {
        ticket: Ticket,
        evicted: oneshot::Receiver<()>,
    },
    /// Too many connections, all new, wait already.
    Full,
}

impl Waiting {
    pub(super) fn new(limit: usize, grace: Duration) -> Arc<Self> {
        Arc::new(Self {
            limit: limit.max(1),
            grace,
            next: AtomicU64::new(0),
            queue: Mutex::new(BTreeMap::new()),
        })
    }

    pub(super) fn admit(self: &Arc<Self>) -> Admission {
        let mut queue = self.lock();
        self.evict_stale_in(&mut queue);
        if queue.len() >= self.limit * HARD_LIMIT_FACTOR {
            return Admission::Full;
        }
        let id = self.next.fetch_add(1, Ordering::SeqCst);
        let (evict, evicted) = oneshot::channel();
        queue.insert(id, (Instant::now(), evict));
        drop(queue);
        let ticket = Ticket {
            waiting: self.clone(),
            id,
        };
        Admission::Admitted { ticket, evicted }
    }

    /// When the longest-waiting connection may be evicted, if more than
    /// `limit` wait.
    pub(super) fn eviction_due(&self) -> Option<Instant> {
        let queue = self.lock();
        if queue.len() <= self.limit {
            return None;
        }
        queue
            .first_key_value()
            .map(|(_, (arrived, _))| *arrived + self.grace)
    }

    /// Closes the longest-waiting connections that have waited at least
    /// `grace`, while more than `limit` wait.
    pub(super) fn evict_stale(&self) {
        self.evict_stale_in(&mut self.lock());
    }

    fn evict_stale_in(&self, queue: &mut ByArrival) {
        let now = Instant::now();
        while queue.len() > self.limit {
            let stale = queue
                .first_key_value()
                .is_some_and(|(_, (arrived, _))| now.duration_since(*arrived) >= self.grace);
            if !stale {
                break;
            }
            if let Some((_, (_, oldest))) = queue.pop_first() {
                // Its task may have ended meanwhile: nothing to evict then.
                let _ = oldest.send(());
            }
        }
    }

    fn lock(&self) -> MutexGuard<'_, ByArrival> {
        // Single map operations only: a panic cannot leave it half done.
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        // Dropping the sender tells the connection it is no longer waiting.
        self.waiting.lock().remove(&self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn admitted(waiting: &Arc<Waiting>) -> (Ticket, oneshot::Receiver<()>) {
        match waiting.admit() {
            Admission::Admitted { ticket, evicted } => (ticket, evicted),
            Admission::Full => panic!("refused"),
        }
    }

    #[test]
    fn the_longest_waiting_is_evicted_once_its_grace_is_over_and_those_served_are_not() {
        let waiting = Waiting::new(2, Duration::from_millis(50));
        let (first, mut first_evicted) = admitted(&waiting);
        let (second, mut second_evicted) = admitted(&waiting);
        drop(second);
        assert!(matches!(
            second_evicted.try_recv(),
            Err(oneshot::error::TryRecvError::Closed)
        ));
        let (_third, mut third_evicted) = admitted(&waiting);
        let (_fourth, _) = admitted(&waiting);
        // Three wait, all new: nobody is evicted yet.
        assert!(first_evicted.try_recv().is_err());
        let due = waiting.eviction_due().expect("over the limit");
        std::thread::sleep(due.saturating_duration_since(Instant::now()));
        waiting.evict_stale();
        assert_eq!(first_evicted.try_recv(), Ok(()));
        assert!(third_evicted.try_recv().is_err());
        assert_eq!(waiting.eviction_due(), None);
        drop(first);
        assert_eq!(waiting.lock().len(), 2);
    }

    #[test]
    fn a_burst_is_let_in_up_to_four_times_the_limit_then_refused() {
        let waiting = Waiting::new(2, Duration::from_secs(1));
        let tickets: Vec<_> = (0..8).map(|_| admitted(&waiting)).collect();
        assert!(matches!(waiting.admit(), Admission::Full));
        drop(tickets);
        assert!(matches!(waiting.admit(), Admission::Admitted { .. }));
    }
}
