//! One worker of a function's pool: owns at most one child process and runs
//! one invocation on it at a time, restarting the process after a crash or a
//! timeout.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use bytes::Bytes;
use tokio::sync::oneshot;

use super::dispatch::Next;
use super::process::Process;
use super::{InvokeError, PoolShared};
use crate::emulator::events::Event;

pub(super) async fn run(shared: Arc<PoolShared>) {
    // The first process starts at once so the first request meets a warm Lambda;
    // later ones start on demand, so a binary that crashes at start-up is not
    // restarted in a loop.
    let mut process = start(&shared).await.ok();
    let mut answer: Option<Answer> = None;
    'work: loop {
        let next = shared.dispatch.next();
        // Answered only once idle: the caller's next message, sent as soon as
        // it has this answer, then finds this warm worker instead of waiting
        // for another.
        if let Some((reply, outcome)) = answer.take() {
            let _ = reply.send(outcome);
        }
        let invocation = match next {
            Next::Run(invocation) => invocation,
            Next::Closed => break 'work,
            Next::Wait(mut receiver) => loop {
                tokio::select! {
                    invocation = &mut receiver => match invocation {
                        Ok(invocation) => break invocation,
                        // The pool closed.
                        Err(_) => break 'work,
                    },
                    exit = exited(&mut process) => {
                        log(&shared, format!("process exited while idle ({exit})"));
                        process = None;
                    }
                }
            },
        };
        if process.is_none() {
            match start(&shared).await {
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
                shared.spec.timeout,
            )
            .await;
        if let Err(InvokeError::Exited(_) | InvokeError::TimedOut(_)) = &outcome {
            // Killed or dead: the next invocation gets a fresh process.
            process = None;
        }
        answer = Some((invocation.reply, outcome));
    }
    shared.workers.fetch_sub(1, Ordering::SeqCst);
}

/// Where an invocation's caller waits, and what it gets. The caller may have
/// given up (client gone): a failed send tells nothing then.
type Answer = (
    oneshot::Sender<Result<Bytes, InvokeError>>,
    Result<Bytes, InvokeError>,
);

async fn start(shared: &PoolShared) -> Result<Process, InvokeError> {
    Process::start(&shared.spec, shared.events.clone(), &shared.callers)
        .await
        .inspect_err(|error| log(shared, error.to_string()))
}

/// Waits for the process to exit; never resolves when there is none.
async fn exited(process: &mut Option<Process>) -> String {
    match process {
        Some(running) => running.exited().await,
        None => std::future::pending().await,
    }
}

fn log(shared: &PoolShared, line: String) {
    shared.events.emit(Event::Log {
        function: shared.spec.name.clone(),
        line: format!("[checker] {line}"),
        request_id: None,
    });
}
