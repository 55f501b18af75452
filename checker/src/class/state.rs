//! What every request of one class server shares.

use std::sync::Mutex;

use tokio::sync::watch;

use super::limits::{Buckets, Guessers, Limits};
use super::store::Store;

/// What every request of one class server shares.
pub(super) struct State {
    pub(super) store: Mutex<Store>,
    pub(super) code: String,
    pub(super) key: String,
    pub(super) exercises: Vec<(String, String)>,
    pub(super) limits: Limits,
    /// Bumped on each change; starts at the start time, so a page that
    /// outlived a restart is never ahead of the server.
    pub(super) version: watch::Sender<u64>,
    pub(super) buckets: Mutex<Buckets>,
    pub(super) guessers: Mutex<Guessers>,
}

pub(super) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
