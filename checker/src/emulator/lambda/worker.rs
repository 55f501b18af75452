//! One worker of a function's pool: owns at most one child process and runs
//! one invocation on it at a time, restarting the process after a crash or a
//! timeout.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use tokio::sync::oneshot;

use super::callers::Callers;
use super::dispatch::{Assignment, Dispatch};
use super::process::{FunctionSpec, Process};
use crate::emulator::events::{Event, EventBus};
use crate::emulator::invoke_error::InvokeError;

/// A function's pool as its workers share it: what starts a process, the
/// invocations waiting, and how many workers there are.
pub(super) struct Pool {
    pub(super) spec: FunctionSpec,
    pub(super) events: Arc<EventBus>,
    pub(super) callers: Arc<Callers>,
    pub(super) dispatch: Dispatch,
    pub(super) workers: AtomicUsize,
    pub(super) max_workers: usize,
}

pub(super) async fn run(pool: Arc<Pool>) {
    // The first process starts at once so the first request meets a warm Lambda;
    // later ones start on demand, so a binary that crashes at start-up is not
    // restarted in a loop.
    let mut process = start(&pool).await.ok();
    let mut answer: Option<CallerReply> = None;
    'work: loop {
        let next = pool.dispatch.next();
        // Answered only once idle: the caller's next message, sent as soon as
        // it has this answer, then finds this warm worker instead of waiting
        // for another.
        if let Some((reply, outcome)) = answer.take() {
            let _ = reply.send(outcome);
        }
        let invocation = match next {
            Assignment::Run(invocation) => invocation,
            Assignment::Closed => break 'work,
            Assignment::Wait(mut receiver) => loop {
                tokio::select! {
                    invocation = &mut receiver => match invocation {
                        Ok(invocation) => break invocation,
                        // The pool closed.
                        Err(_) => break 'work,
                    },
                    exit = exited(&mut process) => {
                        log(&pool, format!("process exited while idle ({exit})"));
                        process = None;
                    }
                }
            },
        };
        if process.is_none() {
            match start(&pool).await {
                Ok(started) => process = Some(started),
                Err(error) => {
                    answer = Some((invocation.reply, Err(error)));
                    continue;
                }
            }
        }
        let Some(running) = process.as_mut() else {
            continue;
        };
        let outcome = running
            .invoke(
                &invocation.request_id,
                &invocation.gateway_request_id,
                invocation.payload,
                pool.spec.timeout,
            )
            .await;
        if let Err(InvokeError::Exited(_) | InvokeError::TimedOut(_)) = &outcome {
            // Killed or dead: the next invocation gets a fresh process.
            process = None;
        }
        answer = Some((invocation.reply, outcome));
    }
    pool.workers.fetch_sub(1, Ordering::SeqCst);
}

/// Where an invocation's caller waits, and what it gets. The caller may have
/// given up (client gone): a failed send tells nothing then.
type CallerReply = (
    oneshot::Sender<Result<Bytes, InvokeError>>,
    Result<Bytes, InvokeError>,
);

async fn start(pool: &Pool) -> Result<Process, InvokeError> {
    Process::start(&pool.spec, pool.events.clone(), &pool.callers)
        .await
        .inspect_err(|error| log(pool, error.to_string()))
}

/// Waits for the process to exit; never resolves when there is none.
async fn exited(process: &mut Option<Process>) -> String {
    match process {
        Some(running) => running.exited().await,
        None => std::future::pending().await,
    }
}

fn log(pool: &Pool, line: String) {
    pool.events.emit(Event::Log {
        function: pool.spec.name.clone(),
        line: format!("[checker] {line}"),
        request_id: None,
    });
}
