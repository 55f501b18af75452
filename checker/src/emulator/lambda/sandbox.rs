//! The frozen sandbox. Lambda freezes a function's execution environment once
//! its runtime asks for the next event (`GET …/invocation/next`) and none is
//! waiting, and thaws it when the next invocation is handed over: work a
//! handler left running (a spawned task, an un-awaited future) runs late, at
//! a later invocation, or never. Here the process (its whole group) is
//! stopped with SIGSTOP and continued with SIGCONT at the same two moments.
//!
//! The Runtime API freezes, the worker thaws; one lock orders the two, so a
//! process is never left stopped with an event handed to it: the worker
//! claims the sandbox (`running`) and thaws it under the lock before it sends
//! the event, and `/next` freezes only a sandbox nobody has claimed.

use std::sync::{Mutex, MutexGuard, PoisonError};

use super::group::{self, Signal};

/// One process's freeze state.
#[derive(Debug, Default)]
pub(crate) struct Sandbox {
    state: Mutex<SandboxState>,
}

#[derive(Debug, Default)]
struct SandboxState {
    /// The process whose group is stopped and continued; `None` before it
    /// started (or where signals do not exist).
    group: Option<u32>,
    /// An invocation is handed over and its answer not yet posted.
    running: bool,
    /// The process answered at least one invocation.
    returned: bool,
    frozen: bool,
    /// Never frozen again: the run is over and what the process has left to
    /// do may run (to be seen), or the emulator is shutting down.
    released: bool,
}

impl Sandbox {
    /// The process (the leader of its group) to stop and continue.
    pub(crate) fn attach(&self, group: Option<u32>) {
        self.lock().group = group;
    }

    /// The worker hands an invocation over: thawed, and claimed until its answer.
    pub(crate) fn hand_over(&self) {
        let mut state = self.lock();
        state.running = true;
        if state.frozen {
            state.frozen = false;
            signal(state.group, Signal::Continue);
        }
    }

    /// The runtime posted the invocation's answer (response or error).
    pub(crate) fn answered(&self) {
        let mut state = self.lock();
        state.running = false;
        state.returned = true;
    }

    /// The runtime asks for the next event and none is waiting: freeze,
    /// unless an invocation is being handed over right now.
    pub(crate) fn idle(&self) {
        let mut state = self.lock();
        if !state.running && !state.released && !state.frozen {
            state.frozen = true;
            signal(state.group, Signal::Stop);
        }
    }

    /// Whether the process has answered an invocation and has none now: what
    /// it does then, its handler left running.
    pub(crate) fn after_return(&self) -> bool {
        let state = self.lock();
        state.returned && !state.running
    }

    /// Whether the process is stopped.
    pub(crate) fn is_frozen(&self) -> bool {
        self.lock().frozen
    }

    /// Thaws the process for good: what it left to do runs now.
    pub(crate) fn release(&self) {
        let mut state = self.lock();
        state.released = true;
        if state.frozen {
            state.frozen = false;
            signal(state.group, Signal::Continue);
        }
    }

    fn lock(&self) -> MutexGuard<'_, SandboxState> {
        // Every critical section leaves the state whole: poisoning cannot break it.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Signals the group, if the process has started.
fn signal(group: Option<u32>, signal: Signal) {
    if let Some(id) = group {
        group::signal(id, signal);
    }
}
