//! Signalling a process group: the crate's one `killpg`. A Lambda process
//! and a background cargo each lead a group of their own, so that what they
//! start (compilers, a handler's shell command) ends with them. What left
//! its group (a `setsid`) is killed one process at a time.

/// What a process group is sent: killed, or stopped and continued (the
/// emulator's frozen sandbox).
#[derive(Clone, Copy)]
pub(crate) enum Signal {
    Kill,
    Stop,
    Continue,
}

/// Sends `signal` to every process of the group `id`.
#[cfg(unix)]
#[allow(unsafe_code)]
pub(crate) fn signal(id: u32, signal: Signal) {
    let Ok(group) = libc::pid_t::try_from(id) else {
        return;
    };
    let number = match signal {
        Signal::Kill => libc::SIGKILL,
        Signal::Stop => libc::SIGSTOP,
        Signal::Continue => libc::SIGCONT,
    };
    // SAFETY: killpg only sends a signal; an id whose group is already gone
    // gives ESRCH, which changes nothing.
    unsafe {
        libc::killpg(group, number);
    }
}

#[cfg(not(unix))]
pub(crate) fn signal(_id: u32, _signal: Signal) {}

/// Kills the one process `pid`.
#[cfg(unix)]
#[allow(unsafe_code)]
pub(crate) fn kill_process(pid: u32) {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return;
    };
    if pid <= 0 {
        // 0 and negative ids name groups, not a process.
        return;
    }
    // SAFETY: kill only sends a signal; a process already gone gives ESRCH.
    unsafe {
        libc::kill(pid, libc::SIGKILL);
    }
}

#[cfg(not(unix))]
pub(crate) fn kill_process(_pid: u32) {}
