//! Idempotency for TransactWriteItems: the tokens seen lately.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use super::error::{DynamoError, ErrorCode};

/// How long DynamoDB remembers a `ClientRequestToken`.
const TOKEN_WINDOW: Duration = Duration::from_secs(600);
/// The emulator's own bound on the tokens it remembers.
const MAX_TOKENS: usize = 10_000;

/// The `ClientRequestToken`s of the last ten minutes' transactions, with a
/// fingerprint of their parameters: a retry is answered without writing again.
#[derive(Default)]
pub(crate) struct Tokens {
    seen: Mutex<VecDeque<(String, u64, Instant)>>,
}

impl Tokens {
    /// Whether the token's transaction was already written; an error when it
    /// came with other parameters.
    pub(super) fn seen(&self, token: &str, fingerprint: u64) -> Result<bool, DynamoError> {
        let mut seen = self.lock();
        while seen
            .front()
            .is_some_and(|(_, _, at)| at.elapsed() > TOKEN_WINDOW)
        {
            seen.pop_front();
        }
        match seen.iter().find(|(known, _, _)| known == token) {
            Some((_, known, _)) if *known == fingerprint => Ok(true),
            Some(_) => Err(DynamoError::new(
                ErrorCode::IdempotentParameterMismatch,
                "The request uses the same client token as a previous, but non-identical request.",
            )),
            None => Ok(false),
        }
    }

    pub(super) fn record(&self, token: String, fingerprint: u64) {
        let mut seen = self.lock();
        if seen.len() == MAX_TOKENS {
            seen.pop_front();
        }
        seen.push_back((token, fingerprint, Instant::now()));
    }

    fn lock(&self) -> MutexGuard<'_, VecDeque<(String, u64, Instant)>> {
        // Each change under the lock is one push or pop.
        self.seen.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
