//! Memory for the trees of the requests being parsed at once, counted in
//! bytes (as the survey estimates them before any tree is built): ordinary
//! requests share a pool of their own, so that no large one delays them,
//! and large ones share another, which one larger than the whole pool takes
//! alone. A request that cannot have its share in time gets DynamoDB's
//! throttling answer, which the SDKs retry. After a large request, the
//! memory its tree freed goes back to the system before the next large one
//! has the share: glibc keeps what is freed for reuse otherwise, in the
//! arena of the thread that freed it, so that requests parsed one after the
//! other on different threads would each keep a tree's worth, for good.

use std::time::Duration;

use tokio::sync::{Semaphore, SemaphorePermit};

use super::error::{DynamoError, ErrorCode};

/// A tree up to this size is an ordinary request's (a 400 KB item, a batch of small ones).
const ORDINARY_TREE_BYTES: usize = 1 << 20;
/// What the ordinary requests' trees take at most, together.
const ORDINARY_BUDGET_BYTES: usize = 32 << 20;
/// What the large requests' trees take at most, together; a larger one runs alone.
const LARGE_BUDGET_BYTES: usize = 128 << 20;
/// The budget is counted in these: a semaphore counts permits in `u32`.
const UNIT_BYTES: usize = 1024;
/// How long a request waits for its share before it is throttled.
const WAIT: Duration = Duration::from_secs(10);
/// Time enough for an answer on loopback to be written and freed.
const ANSWER_WRITTEN: Duration = Duration::from_secs(1);

pub(crate) struct ParseBudget {
    ordinary: Semaphore,
    large: Semaphore,
    wait: Duration,
}

impl Default for ParseBudget {
    fn default() -> Self {
        Self {
            ordinary: Semaphore::new(ORDINARY_BUDGET_BYTES / UNIT_BYTES),
            large: Semaphore::new(LARGE_BUDGET_BYTES / UNIT_BYTES),
            wait: WAIT,
        }
    }
}

/// A request's share of the budget, given back when dropped.
#[derive(Debug)]
pub(crate) struct Share<'a> {
    _permit: SemaphorePermit<'a>,
}

impl ParseBudget {
    /// Waits for `tree_bytes` of the budget (all of its pool, past it).
    pub(crate) async fn share(&self, tree_bytes: usize) -> Result<Share<'_>, DynamoError> {
        let (pool, total) = if is_large(tree_bytes) {
            (&self.large, LARGE_BUDGET_BYTES)
        } else {
            (&self.ordinary, ORDINARY_BUDGET_BYTES)
        };
        let units = u32::try_from(tree_bytes.min(total).div_ceil(UNIT_BYTES).max(1))
            .expect("a pool holds fewer units than u32::MAX");
        match tokio::time::timeout(self.wait, pool.acquire_many(units)).await {
            Ok(Ok(permit)) => Ok(Share { _permit: permit }),
            // The pools are never closed; a wait past its time is throttled.
            Ok(Err(_)) | Err(_) => Err(throttled()),
        }
    }
}

/// Whether a request's tree is a large one, after which memory is returned.
pub(crate) fn is_large(tree_bytes: usize) -> bool {
    tree_bytes > ORDINARY_TREE_BYTES
}

/// DynamoDB's answer when it throttles an on-demand table.
fn throttled() -> DynamoError {
    DynamoError::new(
        ErrorCode::ProvisionedThroughputExceeded,
        "Throughput exceeds the current capacity of your table or index. DynamoDB is \
         automatically scaling your table or index so please try again shortly.",
    )
    .advise(
        "the local DynamoDB was parsing other large requests for longer than 10 seconds; \
         the SDK retries this answer",
    )
}

/// Gives the memory freed since the last time back to the system (off the
/// async workers: trimming walks every arena of the allocator).
pub(crate) async fn return_memory() {
    // A trim that could not run leaves the memory with the allocator, as before.
    let _ = tokio::task::spawn_blocking(trim).await;
}

/// Gives memory back once the answer is written too: a refusal can be
/// megabytes (DynamoDB names every unused placeholder), freed only then.
pub(crate) fn return_memory_soon() {
    tokio::spawn(async {
        tokio::time::sleep(ANSWER_WRITTEN).await;
        return_memory().await;
    });
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn trim() {
    // SAFETY: malloc_trim takes no pointer; it only releases glibc's free pages.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn trim() {}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_share_larger_than_its_pool_takes_it_alone() {
        let budget = ParseBudget::default();
        let alone = budget.share(LARGE_BUDGET_BYTES * 3).await.expect("free");
        assert_eq!(budget.large.available_permits(), 0);
        // Ordinary requests are not behind it.
        let ordinary = budget.share(4096).await.expect("its own pool");
        drop((alone, ordinary));
        assert_eq!(
            budget.large.available_permits(),
            LARGE_BUDGET_BYTES / UNIT_BYTES
        );
    }

    #[tokio::test]
    async fn a_share_not_given_in_time_is_throttled() {
        let budget = ParseBudget {
            wait: Duration::from_millis(10),
            ..ParseBudget::default()
        };
        let _held = budget.share(LARGE_BUDGET_BYTES).await.expect("free");
        let error = budget
            .share(ORDINARY_TREE_BYTES * 2)
            .await
            .expect_err("no room");
        assert_eq!(error.code, ErrorCode::ProvisionedThroughputExceeded);
    }
}
