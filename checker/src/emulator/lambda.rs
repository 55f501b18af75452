//! Lambda functions as real child processes speaking the Lambda Runtime API.
//!
//! Each function has a pool of workers; a worker owns at most one child
//! process and hands it one invocation at a time. When every worker is busy
//! the pool adds one, up to a limit, as Lambda scales out.

mod dispatch;
mod group;
mod output;
mod process;
mod runtime_api;
pub(crate) mod sandbox;
mod watchdog;
mod worker;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::callers::Callers;
use super::events::EventBus;
use super::ids;
use dispatch::{Dispatch, Submitted};

/// How many processes one function may run at once.
pub(crate) const DEFAULT_MAX_CONCURRENCY: usize = 10;

/// What a child process needs to start: its binary and its environment.
#[derive(Debug, Clone)]
pub(crate) struct FunctionSpec {
    /// The name in `serverless.yml`, used to prefix log lines.
    pub(crate) name: String,
    /// `AWS_LAMBDA_FUNCTION_NAME`: `{service}-{stage}-{name}`, as Serverless names it.
    pub(crate) deployed_name: String,
    pub(crate) binary: PathBuf,
    pub(crate) timeout: Duration,
    pub(crate) memory_size: u32,
    pub(crate) region: String,
    /// The function's own variables plus the emulator's (endpoints, CA bundle).
    pub(crate) environment: BTreeMap<String, String>,
}

/// Why an invocation produced no response, in the words Lambda uses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvokeError {
    /// The handler returned an error (or panicked): the runtime posted `/error`.
    #[error("{}", describe_function_error(error_type, message))]
    Function { error_type: String, message: String },
    #[error("Runtime.ExitError: Runtime exited with error: {0}")]
    Exited(String),
    #[error("Task timed out after {:.2} seconds", .0.as_secs_f64())]
    TimedOut(Duration),
    /// More invocations wait than the bounds above.
    #[error(
        "TooManyRequestsException: Rate Exceeded. ({0} invocations already wait for this function's processes)"
    )]
    Throttled(usize),
    #[error("Runtime.InvalidEntrypoint: cannot start {binary}: {reason}")]
    StartFailed { binary: String, reason: String },
    #[error("the emulator is shutting down")]
    ShuttingDown,
}

/// `lambda_runtime` reports a Rust type path as the error type
/// (`&alloc::boxed::Box<dyn core::error::Error …>`): noise for a reader, so
/// only meaningful types such as `Runtime.ExitError` are shown.
fn describe_function_error(error_type: &str, message: &str) -> String {
    if error_type.contains("::") || error_type.is_empty() {
        message.to_owned()
    } else {
        format!("{error_type}: {message}")
    }
}

struct Invocation {
    /// The Runtime API's `Lambda-Runtime-Aws-Request-Id`.
    request_id: String,
    /// API Gateway's request id for the event: what the event stream names it by.
    gateway_request_id: String,
    payload: Bytes,
    reply: oneshot::Sender<Result<Bytes, InvokeError>>,
}

struct PoolShared {
    spec: FunctionSpec,
    events: Arc<EventBus>,
    callers: Arc<Callers>,
    dispatch: Dispatch,
    workers: AtomicUsize,
    max_workers: usize,
}

pub(crate) struct FunctionPool {
    shared: Arc<PoolShared>,
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
        let shared = Arc::new(PoolShared {
            spec,
            events,
            callers,
            dispatch: Dispatch::default(),
            workers: AtomicUsize::new(0),
            max_workers: max_workers.max(1),
        });
        let pool = Self {
            shared,
            worker_tasks: Mutex::new(Vec::new()),
        };
        pool.add_worker();
        pool
    }

    pub(crate) fn name(&self) -> &str {
        &self.shared.spec.name
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
        if let Submitted::Waiting = self.shared.dispatch.submit(invocation)? {
            self.add_worker();
        }
        response.await.unwrap_or(Err(InvokeError::ShuttingDown))
    }

    fn add_worker(&self) {
        let shared = &self.shared;
        let started = shared
            .workers
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |workers| {
                (workers < shared.max_workers).then_some(workers + 1)
            });
        if started.is_ok() {
            let task = tokio::spawn(worker::run(self.shared.clone()));
            self.tasks().push(task);
        }
    }

    /// Fails what is queued, kills every process and waits until the workers are gone.
    pub(crate) async fn shutdown(&self) {
        self.shared.dispatch.close();
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
        self.shared.dispatch.close();
        for task in self.tasks().iter() {
            task.abort();
        }
    }
}
