//! Processes a Lambda started that left its process group, so that killing
//! the group misses them: one in a session of its own (`setsid`), or one
//! orphaned by a double fork and adopted by init. On Linux, /proc finds them:
//! - its descendants, through each process's parent link, read before the
//!   group is killed (a `setsid` keeps the link while its parent lives);
//! - every process whose environment holds the Lambda's own
//!   `AWS_LAMBDA_RUNTIME_API=…` entry (its marker): unique to that Lambda
//!   (the endpoint holds a secret) and inherited by whatever it starts, so an
//!   orphan, its parent link gone, still carries it.
//!
//! What both miss: a process that clears its environment and whose parent
//! is gone before the Lambda is ended (a crash; the checker killed outright).
//! Elsewhere than Linux only the group is ended.
//!
//! Cost: one read of `/proc/PID/stat` per process to walk the links (only
//! while the Lambda still runs), and one of `/proc/PID/environ` per process
//! of the checker's user, at most [`MAX_ENVIRONMENT`] bytes each: about 3 ms
//! per hundred processes on the machine (docs/benchmarks.md). It runs only
//! when a Lambda is ended, never per invocation.

/// How much of a process's environment is read for the marker.
#[cfg(target_os = "linux")]
const MAX_ENVIRONMENT: u64 = 256 * 1024;

/// The marker of the Lambda whose Runtime API is `endpoint`: the entry its
/// environment holds.
pub(super) fn marker(endpoint: &str) -> String {
    format!("AWS_LAMBDA_RUNTIME_API={endpoint}")
}

/// The processes to end with the Lambda led by `leader`, found before its
/// group is killed: its descendants, if `leader` is still the Lambda (it holds
/// the marker: the pid was not reused by another process).
#[cfg(target_os = "linux")]
pub(super) fn descendants(leader: u32, marker: &str) -> Vec<u32> {
    if !holds_marker(leader, marker) {
        return Vec::new();
    }
    let links: Vec<(u32, u32)> = processes()
        .filter_map(|pid| Some((pid, parent(pid)?)))
        .collect();
    let mut found = vec![leader];
    let mut next = 0;
    while let Some(&parent) = found.get(next) {
        next += 1;
        found.extend(
            links
                .iter()
                .filter(|(_, of)| *of == parent)
                .map(|(pid, _)| *pid),
        );
    }
    found.remove(0);
    found
}

#[cfg(not(target_os = "linux"))]
pub(super) fn descendants(_leader: u32, _marker: &str) -> Vec<u32> {
    Vec::new()
}

/// The processes of the checker's user whose environment holds `marker`.
#[cfg(target_os = "linux")]
pub(super) fn marked(marker: &str) -> Vec<u32> {
    use std::os::unix::fs::MetadataExt;
    // SAFETY: geteuid has no preconditions and cannot fail.
    #[allow(unsafe_code)]
    let user = unsafe { libc::geteuid() };
    processes()
        .filter(|pid| {
            std::fs::metadata(format!("/proc/{pid}")).is_ok_and(|process| process.uid() == user)
        })
        .filter(|pid| holds_marker(*pid, marker))
        .collect()
}

#[cfg(not(target_os = "linux"))]
pub(super) fn marked(_marker: &str) -> Vec<u32> {
    Vec::new()
}

/// Every process's id, but the checker's own.
#[cfg(target_os = "linux")]
fn processes() -> impl Iterator<Item = u32> {
    let own = std::process::id();
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(move |pid| *pid != own)
}

/// The parent's id, from `/proc/PID/stat` (`pid (comm) state ppid …`; the
/// name may hold spaces and parentheses, so the fields are read after its last `)`).
#[cfg(target_os = "linux")]
fn parent(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, fields) = stat.rsplit_once(") ")?;
    fields.split(' ').nth(1)?.parse().ok()
}

/// Whether the environment of `pid` holds `marker` as a whole entry.
#[cfg(target_os = "linux")]
fn holds_marker(pid: u32, marker: &str) -> bool {
    use std::io::{BufRead, BufReader, Read};
    let Ok(environ) = std::fs::File::open(format!("/proc/{pid}/environ")) else {
        return false;
    };
    BufReader::new(environ.take(MAX_ENVIRONMENT))
        .split(0)
        .map_while(Result::ok)
        .any(|entry| entry == marker.as_bytes())
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// Waits until the new process's environment can be read: a spawn
    /// returns while `exec` still sets it up.
    fn wait_for_environment(pid: u32, marker: &str) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !holds_marker(pid, marker) {
            assert!(std::time::Instant::now() < deadline, "no marker in {pid}");
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }

    /// A `sleep` whose environment holds `marker`.
    fn marked_sleep(marker: &str) -> std::process::Child {
        let (name, value) = marker.split_once('=').expect("a marker is an entry");
        std::process::Command::new("sleep")
            .arg("60")
            .env(name, value)
            .spawn()
            .expect("sleep starts")
    }

    #[test]
    fn a_child_is_found_by_its_link_and_by_its_environment() {
        let marker = marker("http://127.0.0.1:1/test-marker-of-this-test");
        let mut sleeper = marked_sleep(&marker);
        let pid = sleeper.id();
        wait_for_environment(pid, &marker);
        assert!(marked(&marker).contains(&pid));
        assert!(!marked(&format!("{marker}0")).contains(&pid));
        // The test process holds no marker: it is no Lambda.
        assert!(descendants(std::process::id(), &marker).is_empty());
        let _ = sleeper.kill();
        let _ = sleeper.wait();
    }

    #[test]
    fn a_grandchild_in_a_session_of_its_own_is_a_descendant() {
        let marker = marker("http://127.0.0.1:1/test-marker-of-the-descendants-test");
        let (name, value) = marker.split_once('=').expect("a marker is an entry");
        let mut shell = std::process::Command::new("sh")
            .args(["-c", "setsid env -i sleep 30 & wait"])
            .env(name, value)
            .spawn()
            .expect("sh starts");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let found = loop {
            let found = descendants(shell.id(), &marker);
            let sleeping = found.first().is_some_and(|pid| {
                std::fs::read_to_string(format!("/proc/{pid}/comm"))
                    .is_ok_and(|name| name.trim() == "sleep")
            });
            if sleeping || std::time::Instant::now() > deadline {
                break found;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        assert_eq!(found.len(), 1, "{found:?}");
        // Its environment is empty: only the link finds it.
        assert!(!marked(&marker).contains(&found[0]));
        for pid in found {
            crate::process_group::kill_process(pid);
        }
        let _ = shell.wait();
    }

    /// The scan's cost with `STRAYS_PROCESSES` (300) more processes running:
    /// `cargo test -p checker --lib strays -- --ignored --nocapture`.
    #[test]
    #[ignore = "a measurement, run on demand"]
    fn the_cost_of_a_scan() {
        let extra: usize = std::env::var("STRAYS_PROCESSES")
            .ok()
            .and_then(|count| count.parse().ok())
            .unwrap_or(300);
        let mut sleepers: Vec<_> = (0..extra)
            .map(|_| {
                std::process::Command::new("sleep")
                    .arg("60")
                    .spawn()
                    .expect("sleep starts")
            })
            .collect();
        let marker = marker("http://127.0.0.1:1/test-marker-of-the-measurement");
        let mut leader = marked_sleep(&marker);
        let processes = processes().count();
        wait_for_environment(leader.id(), &marker);
        let rounds = 20;
        let started = std::time::Instant::now();
        for _ in 0..rounds {
            assert!(descendants(leader.id(), &marker).is_empty());
        }
        let walk = started.elapsed() / rounds;
        let started = std::time::Instant::now();
        for _ in 0..rounds {
            assert_eq!(marked(&marker), vec![leader.id()]);
        }
        let scan = started.elapsed() / rounds;
        println!(
            "{processes} processes: the walk of parent links {walk:?}, the scan of environments {scan:?}, per ended Lambda {:?}",
            walk + scan
        );
        for sleeper in sleepers.iter_mut().chain([&mut leader]) {
            let _ = sleeper.kill();
            let _ = sleeper.wait();
        }
    }
}
