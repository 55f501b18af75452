//! Which worker of a pool runs the next invocation: the one that went idle
//! last, whose process ran most recently (its caches and connections are the
//! warmest, and the others stay frozen), else the first to be done. Past the
//! waiting bounds an invocation is refused at once, as Lambda throttles.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard, PoisonError};

use bytes::Bytes;
use tokio::sync::oneshot;

use crate::emulator::invoke_error::InvokeError;

/// Invocations one function may have waiting for a process: past either
/// bound, an invocation fails at once as Lambda throttles (clients sending
/// faster than the processes answer cannot grow the queue without end).
/// Ten processes answer thousands a second; the benchmark's burst is 1,000.
const MAX_WAITING_INVOCATIONS: usize = 2_000;
const MAX_WAITING_BYTES: usize = 64 * 1024 * 1024;

/// One invocation on its way to a worker, and where its answer goes.
pub(super) struct Invocation {
    /// The Runtime API's `Lambda-Runtime-Aws-Request-Id`.
    pub(super) request_id: String,
    /// API Gateway's request id for the event: what the event stream names it by.
    pub(super) gateway_request_id: String,
    pub(super) payload: Bytes,
    pub(super) reply: oneshot::Sender<Result<Bytes, InvokeError>>,
}

#[derive(Default)]
pub(super) struct Dispatch {
    state: Mutex<DispatchState>,
}

#[derive(Default)]
struct DispatchState {
    /// Idle workers, the last to go idle at the end.
    idle: Vec<oneshot::Sender<Invocation>>,
    /// Invocations no worker was idle for, oldest first.
    waiting: VecDeque<Invocation>,
    /// Payload bytes of `waiting`.
    waiting_bytes: usize,
    closed: bool,
}

/// Where a submitted invocation went.
pub(super) enum Submitted {
    /// An idle worker has it.
    Running,
    /// It waits for a worker: one more may be needed.
    Waiting,
}

/// What a worker does next.
pub(super) enum Assignment {
    Run(Invocation),
    /// Idle until an invocation comes, or the pool closes (the sender dropped).
    Wait(oneshot::Receiver<Invocation>),
    Closed,
}

impl Dispatch {
    /// Hands the invocation to the worker idle last, else queues it.
    pub(super) fn submit(&self, mut invocation: Invocation) -> Result<Submitted, InvokeError> {
        let mut state = self.lock();
        if state.closed {
            return Err(InvokeError::ShuttingDown);
        }
        while let Some(worker) = state.idle.pop() {
            match worker.send(invocation) {
                Ok(()) => return Ok(Submitted::Running),
                // That worker is gone (aborted): the next one.
                Err(back) => invocation = back,
            }
        }
        let bytes = invocation.payload.len();
        let within_bytes = state
            .waiting_bytes
            .checked_add(bytes)
            .is_some_and(|sum| sum <= MAX_WAITING_BYTES);
        if state.waiting.len() >= MAX_WAITING_INVOCATIONS || !within_bytes {
            return Err(InvokeError::Throttled(state.waiting.len()));
        }
        state.waiting_bytes += bytes;
        state.waiting.push_back(invocation);
        Ok(Submitted::Waiting)
    }

    /// A worker done with its invocation (or just started) asks for the next.
    pub(super) fn next(&self) -> Assignment {
        let mut state = self.lock();
        if let Some(invocation) = state.waiting.pop_front() {
            state.waiting_bytes -= invocation.payload.len();
            return Assignment::Run(invocation);
        }
        if state.closed {
            return Assignment::Closed;
        }
        let (worker, receiver) = oneshot::channel();
        state.idle.push(worker);
        Assignment::Wait(receiver)
    }

    /// Refuses what comes next, fails what waits, and ends idle workers.
    pub(super) fn close(&self) {
        let mut state = self.lock();
        state.closed = true;
        state.idle.clear();
        state.waiting.clear();
        state.waiting_bytes = 0;
    }

    fn lock(&self) -> MutexGuard<'_, DispatchState> {
        // Each change under this lock leaves the state whole: a push, a pop or a clear.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
