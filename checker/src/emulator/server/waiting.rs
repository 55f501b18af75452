//! Connections accepted whose first request has not arrived: a client that
//! opens many and sends nothing (or half a request) would otherwise hold a
//! file descriptor each until its timeouts, and block new clients. At most
//! `limit` wait; past it the one that has waited longest is closed, so a new
//! client, which sends its request at once, is still served.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::oneshot;

type ByArrival = BTreeMap<u64, oneshot::Sender<()>>;

pub(super) struct Waiting {
    limit: usize,
    next: AtomicU64,
    /// Oldest first: ids grow with each admission.
    queue: Mutex<ByArrival>,
}

/// A connection's place among those waiting; dropped when its first request
/// arrives (or it ends).
pub(super) struct Ticket {
    waiting: Arc<Waiting>,
    id: u64,
}

impl Waiting {
    pub(super) fn new(limit: usize) -> Arc<Self> {
        Arc::new(Self {
            limit: limit.max(1),
            next: AtomicU64::new(0),
            queue: Mutex::new(BTreeMap::new()),
        })
    }

    /// Admits a connection; the receiver resolves with `Ok` if it is evicted.
    pub(super) fn admit(self: &Arc<Self>) -> (Ticket, oneshot::Receiver<()>) {
        let id = self.next.fetch_add(1, Ordering::SeqCst);
        let (evict, evicted) = oneshot::channel();
        let mut queue = self.lock();
        queue.insert(id, evict);
        while queue.len() > self.limit {
            if let Some((_, oldest)) = queue.pop_first() {
                // Its task may have ended meanwhile: nothing to evict then.
                let _ = oldest.send(());
            }
        }
        drop(queue);
        let ticket = Ticket {
            waiting: self.clone(),
            id,
        };
        (ticket, evicted)
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

    #[test]
    fn the_longest_waiting_is_evicted_and_those_served_are_not() {
        let waiting = Waiting::new(2);
        let (first, mut first_evicted) = waiting.admit();
        let (second, mut second_evicted) = waiting.admit();
        drop(second);
        assert!(matches!(
            second_evicted.try_recv(),
            Err(oneshot::error::TryRecvError::Closed)
        ));
        let (_third, mut third_evicted) = waiting.admit();
        let (_fourth, _) = waiting.admit();
        assert_eq!(first_evicted.try_recv(), Ok(()));
        assert!(third_evicted.try_recv().is_err());
        drop(first);
        assert_eq!(waiting.lock().len(), 2);
    }
}
