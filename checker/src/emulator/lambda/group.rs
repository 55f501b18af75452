//! Each Lambda process leads a process group of its own, and the group is
//! what gets killed: a handler that spawns a process (a shell command, a
//! helper left running) takes it down with it, on a crash, a timeout, a
//! replacement or the emulator's shutdown. If the checker itself dies
//! without doing this (SIGKILL), the watchdog does it.
//!
//! SIGKILL also ends a stopped process (one SIGSTOPped between invocations,
//! say), without SIGCONT first: a frozen group is killed the same way.

use tokio::process::Command;

use super::watchdog;

/// Makes the command's process the leader of a new group.
pub(super) fn lead_own_group(command: &mut Command) {
    #[cfg(unix)]
    command.process_group(0);
}

/// A running process's group, killed when this is dropped.
pub(super) struct ProcessGroup {
    id: Option<u32>,
}

impl ProcessGroup {
    /// The group led by `leader` (started with `lead_own_group`), now watched.
    pub(super) fn of(leader: Option<u32>) -> Self {
        if let Some(id) = leader {
            watchdog::watch(id);
        }
        Self { id: leader }
    }

    /// Kills every process of the group; the leader is then reaped by its owner.
    pub(super) fn kill(&self) {
        if let Some(id) = self.id {
            signal(id, Signal::Kill);
        }
    }
}

impl Drop for ProcessGroup {
    fn drop(&mut self) {
        if let Some(id) = self.id.take() {
            signal(id, Signal::Kill);
            // Killed: the id can be reused by another group once its
            // processes are gone, so the watchdog forgets it.
            watchdog::forget(id);
        }
    }
}

pub(super) use crate::process_group::{Signal, signal};
