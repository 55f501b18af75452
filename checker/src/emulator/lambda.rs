//! Lambda functions as real child processes speaking the Lambda Runtime API.
//!
//! Each function has a pool of workers; a worker owns at most one child
//! process and hands it one invocation at a time. When every worker is busy
//! the pool adds one, up to a limit, as Lambda scales out.
//!
//! An invocation's way: [`FunctionPool::invoke`] → `dispatch` (the worker
//! idle last, else a bounded queue) → `worker` → `process` (the child, its
//! group and its output) → `runtime_api` (`/next`, `/response`), with
//! `sandbox` freezing the process between invocations.

pub(crate) mod callers;
mod dispatch;
mod group;
mod output;
mod process;
mod runtime_api;
mod sandbox;
mod strays;
mod watchdog;
mod worker;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::events::EventBus;
use super::ids;
use super::invoke_error::InvokeError;
use callers::Callers;
use dispatch::{Dispatch, Invocation, Submitted};
pub(crate) use process::FunctionSpec;
use worker::Pool;

/// How many processes one function may run at once.
pub(crate) const DEFAULT_MAX_CONCURRENCY: usize = 10;

pub(crate) struct FunctionPool {
    pool: Arc<Pool>,
    worker_tasks: Mutex<Vec<JoinHandle<()>>>,
}

impl FunctionPool {
    /// Starts the pool with one warm process.
    pub(crate) fn start(
        spec: FunctionSpec,
        events: Arc<EventBus>,
        callers: Arc<Callers>,
        max_workers: usize,
    ) -> Self {
        let pool = Arc::new(Pool {
            spec,
            events,
            callers,
            dispatch: Dispatch::default(),
            workers: AtomicUsize::new(0),
            max_workers: max_workers.max(1),
        });
        let started = Self {
            pool,
            worker_tasks: Mutex::new(Vec::new()),
        };
        started.add_worker();
        started
    }

    pub(crate) fn name(&self) -> &str {
        &self.pool.spec.name
    }

    /// Runs one invocation and waits for its response. `gateway_request_id`
    /// is what the calls and log lines of the invocation are attributed to.
    pub(crate) async fn invoke(
        &self,
        payload: Bytes,
        gateway_request_id: &str,
    ) -> Result<Bytes, InvokeError> {
        let (reply, response) = oneshot::channel();
        let invocation = Invocation {
            request_id: ids::lambda_request_id(),
            gateway_request_id: gateway_request_id.to_owned(),
            payload,
            reply,
        };
        if let Submitted::Waiting = self.pool.dispatch.submit(invocation)? {
            self.add_worker();
        }
        response.await.unwrap_or(Err(InvokeError::ShuttingDown))
    }

    fn add_worker(&self) {
        let pool = &self.pool;
        let added = pool
            .workers
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |workers| {
                (workers < pool.max_workers).then_some(workers + 1)
            });
        if added.is_ok() {
            let task = tokio::spawn(worker::run(self.pool.clone()));
            self.tasks().push(task);
        }
    }

    /// Fails what is queued, kills every process and waits until the workers are gone.
    pub(crate) async fn shutdown(&self) {
        self.pool.dispatch.close();
        let tasks = std::mem::take(&mut *self.tasks());
        for task in &tasks {
            task.abort();
        }
        for task in tasks {
            // Aborted on purpose; dropping the worker killed its process.
            let _ = task.await;
        }
    }

    fn tasks(&self) -> std::sync::MutexGuard<'_, Vec<JoinHandle<()>>> {
        // Only pushes and takes happen under this lock: poisoning cannot break it.
        self.worker_tasks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Drop for FunctionPool {
    fn drop(&mut self) {
        self.pool.dispatch.close();
        for task in self.tasks().iter() {
            task.abort();
        }
    }
}
