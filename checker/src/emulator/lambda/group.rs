//! Each Lambda process leads a process group of its own, and the group is
//! what gets killed: a handler that spawns a process (a shell command, a
//! helper left running) takes it down with it, on a crash, a timeout, a
//! replacement or the emulator's shutdown. What left the group (`setsid`, a
//! double fork) is found through /proc and killed too ([`strays`]). If the
//! checker itself dies without doing this (SIGKILL), the watchdog does it.
//!
//! SIGKILL also ends a stopped process (one SIGSTOPped between invocations,
//! say), without SIGCONT first: a frozen group is killed the same way.

use tokio::process::Command;

use super::{strays, watchdog};
use crate::process_group::kill_process;

/// Makes the command's process the leader of a new group.
pub(super) fn lead_own_group(command: &mut Command) {
    #[cfg(unix)]
    command.process_group(0);
}

/// A running process's group, killed when this is dropped.
pub(super) struct ProcessGroup {
    id: Option<u32>,
    /// The entry of the leader's environment that whatever it starts inherits.
    marker: String,
    /// Killed already, strays included: dropping it kills nothing more.
    ended: bool,
}

impl ProcessGroup {
    /// The group led by `leader` (started with `lead_own_group`, its
    /// environment holding `marker`), now watched.
    pub(super) fn of(leader: Option<u32>, marker: String) -> Self {
        if let Some(id) = leader {
            watchdog::watch(id, &marker);
        }
        Self {
            id: leader,
            marker,
            ended: false,
        }
    }

    /// Kills every process of the group and every one that left it; the
    /// leader is then reaped by its owner.
    pub(super) fn kill(&mut self) {
        if let Some(id) = self.id {
            let descendants = strays::descendants(id, &self.marker);
            signal(id, Signal::Kill);
            descendants.into_iter().for_each(kill_process);
            strays::marked(&self.marker)
                .into_iter()
                .for_each(kill_process);
            self.ended = true;
        }
    }
}

impl Drop for ProcessGroup {
    fn drop(&mut self) {
        if !self.ended {
            self.kill();
        }
        if let Some(id) = self.id.take() {
            // Killed: the id can be reused by another group once its
            // processes are gone, so the watchdog forgets it.
            watchdog::forget(id);
        }
    }
}

pub(super) use crate::process_group::{Signal, signal};
