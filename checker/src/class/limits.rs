//! How much one learner, and one address guessing codes, may ask of the
//! class server. Both tables are bounded: buckets exist only for learners
//! the class admitted, and the guessers' table has a fixed size.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// The class server's bounds, in one place; tests shrink them.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Learners one class holds; a new one beyond is refused.
    pub max_learners: usize,
    /// The database's size on disk.
    pub store_bytes: u64,
    /// Reports a learner may send at once (a few checks in a row).
    pub burst: u32,
    /// Reports a learner may send per minute after the burst.
    pub per_minute: u32,
    /// Connections served at once; more are closed unanswered.
    pub max_connections: usize,
    /// Wrong join codes one address may send per minute.
    pub wrong_codes_per_minute: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_learners: 500,
            store_bytes: 16 << 20,
            burst: 20,
            per_minute: 60,
            max_connections: 256,
            wrong_codes_per_minute: 10,
        }
    }
}

/// Addresses remembered for their wrong codes; beyond, the oldest window is forgotten.
const MAX_GUESSERS: usize = 4096;
const MINUTE: Duration = Duration::from_secs(60);

/// One token bucket per learner.
#[derive(Debug, Default)]
pub(super) struct Buckets {
    buckets: HashMap<String, Bucket>,
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl Buckets {
    /// Takes one report's token from `learner`'s bucket; false when it is empty.
    pub(super) fn take(&mut self, learner: &str, limits: &Limits, now: Instant) -> bool {
        let capacity = f64::from(limits.burst.max(1));
        let bucket = self.buckets.entry(learner.to_owned()).or_insert(Bucket {
            tokens: capacity,
            updated: now,
        });
        let refill = now.saturating_duration_since(bucket.updated).as_secs_f64()
            * f64::from(limits.per_minute)
            / 60.0;
        bucket.tokens = (bucket.tokens + refill).min(capacity);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// Forgets a learner the class did not admit, so the table stays as large as the class.
    pub(super) fn forget(&mut self, learner: &str) {
        self.buckets.remove(learner);
    }
}

/// Wrong join codes per address, per minute.
#[derive(Debug, Default)]
pub(super) struct Guessers {
    windows: HashMap<IpAddr, (Instant, u32)>,
}

impl Guessers {
    /// Whether `address` has used up its wrong codes for this minute.
    pub(super) fn blocked(&self, address: IpAddr, limits: &Limits, now: Instant) -> bool {
        self.windows.get(&address).is_some_and(|(start, count)| {
            now.saturating_duration_since(*start) < MINUTE
                && *count >= limits.wrong_codes_per_minute
        })
    }

    pub(super) fn wrong(&mut self, address: IpAddr, now: Instant) {
        if self.windows.len() >= MAX_GUESSERS && !self.windows.contains_key(&address) {
            self.windows
                .retain(|_, (start, _)| now.saturating_duration_since(*start) < MINUTE);
            if self.windows.len() >= MAX_GUESSERS
                && let Some(oldest) = self
                    .windows
                    .iter()
                    .min_by_key(|(_, (start, _))| *start)
                    .map(|(address, _)| *address)
            {
                self.windows.remove(&oldest);
            }
        }
        let window = self.windows.entry(address).or_insert((now, 0));
        if now.saturating_duration_since(window.0) >= MINUTE {
            *window = (now, 0);
        }
        window.1 += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_allows_its_burst_then_its_rate() {
        let limits = Limits {
            burst: 3,
            per_minute: 60,
            ..Limits::default()
        };
        let mut buckets = Buckets::default();
        let start = Instant::now();
        for _ in 0..3 {
            assert!(buckets.take("ada", &limits, start));
        }
        assert!(!buckets.take("ada", &limits, start));
        assert!(
            buckets.take("bo", &limits, start),
            "each learner has their own"
        );
        assert!(buckets.take("ada", &limits, start + Duration::from_secs(1)));
        assert!(!buckets.take("ada", &limits, start + Duration::from_secs(1)));
    }

    #[test]
    fn guessers_are_blocked_for_the_rest_of_the_minute() {
        let limits = Limits {
            wrong_codes_per_minute: 2,
            ..Limits::default()
        };
        let mut guessers = Guessers::default();
        let address: IpAddr = "10.0.0.7".parse().unwrap();
        let start = Instant::now();
        guessers.wrong(address, start);
        assert!(!guessers.blocked(address, &limits, start));
        guessers.wrong(address, start);
        assert!(guessers.blocked(address, &limits, start));
        assert!(!guessers.blocked(address, &limits, start + MINUTE));
        for index in 0..(MAX_GUESSERS as u32 + 10) {
            guessers.wrong(IpAddr::from(index.to_be_bytes()), start);
        }
        assert!(guessers.windows.len() <= MAX_GUESSERS);
    }
}
