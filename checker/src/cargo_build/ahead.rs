//! Building ahead: while the learner works on one exercise, what the next
//! ones need (the AWS SDK) compiles in the background at the lowest CPU
//! priority, so that no later check waits on it.
//!
//! One build ahead at a time, run by a process of its own (`checker
//! build-ahead`, [`supervise`]) that outlives the check that started it. It
//! never holds up the learner: cargo lets one build use the build folder at a
//! time (a file lock), so the build ahead steps aside, its cargo stopped,
//! whenever another cargo waits for that lock (on Linux, where `/proc/locks`
//! shows who waits) or a check asks it to ([`stop`]); what it finished is
//! kept, and the next check starts it again. Its record, its log and its lock
//! are files in the learner's state folder (`.checker/`).

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

const LOCK: &str = "build-ahead.lock";
const RECORD: &str = "build-ahead.toml";
const LOG: &str = "build-ahead.log";
const STOP: &str = "build-ahead.stop";

/// How often the build ahead looks for someone waiting on it.
const POLL: Duration = Duration::from_millis(200);
/// A stop request older than this was left by a check that died: ignored.
const STOP_REQUEST_LIFE: Duration = Duration::from_secs(30);

/// What to build ahead, and where.
#[derive(Debug, Clone)]
pub struct AheadRequest {
    /// The cargo workspace's root (its `Cargo.lock`); cargo runs there.
    pub workspace: PathBuf,
    /// The learner's state folder, for the record, the log and the lock.
    pub state_dir: PathBuf,
    /// The cargo binaries to build (with every dependency they have).
    pub binaries: BTreeSet<String>,
}

/// What [`start`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Started {
    /// A build ahead is now running in the background.
    Started,
    /// One was already running.
    Running,
    /// The last one built all of it, and nothing it depends on changed since.
    UpToDate,
}

/// How a build ahead ended, in its record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AheadOutcome {
    /// Cargo finished (with `--keep-going`: every dependency that compiles
    /// is built, even where a learner's crate does not compile yet).
    Finished,
    /// It stepped aside for another cargo, or a check asked it to.
    SteppedAside,
    /// Cargo could not be run.
    Failed,
}

/// The record of the last build ahead.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Record {
    /// What it was asked to build: the binaries and `Cargo.lock`, hashed.
    pub key: String,
    /// Seconds since the Unix epoch.
    pub started: u64,
    pub finished: Option<u64>,
    pub outcome: Option<AheadOutcome>,
    /// Cargo's build folder, and its fingerprints folder's identity when the
    /// build finished: after a `cargo clean` it is a new folder.
    pub build_dir: Option<PathBuf>,
    pub fingerprints: Option<u64>,
}

impl Record {
    /// Reads the last record in `state_dir`, if any.
    pub fn read(state_dir: &Path) -> Option<Self> {
        let text = std::fs::read_to_string(state_dir.join(RECORD)).ok()?;
        toml::from_str(&text).ok()
    }

    fn write(&self, state_dir: &Path) -> io::Result<()> {
        let text = toml::to_string(self).map_err(io::Error::other)?;
        std::fs::write(state_dir.join(RECORD), text)
    }

    /// Whether this record says `key` was built into a build folder that is still there.
    fn covers(&self, key: &str) -> bool {
        self.key == key
            && self.outcome == Some(AheadOutcome::Finished)
            && self.build_dir.as_deref().and_then(fingerprints_id) == self.fingerprints
            && self.fingerprints.is_some()
    }
}

/// Starts a build ahead of `request` in the background, unless one is
/// running or the last one built it all. `checker` is the checker's own
/// executable, which runs it (`checker build-ahead`).
pub fn start(request: &AheadRequest, checker: &Path) -> io::Result<Started> {
    std::fs::create_dir_all(&request.state_dir)?;
    if running(&request.state_dir) {
        return Ok(Started::Running);
    }
    let key = key(request);
    if Record::read(&request.state_dir).is_some_and(|record| record.covers(&key)) {
        return Ok(Started::UpToDate);
    }
    let mut command = Command::new(checker);
    command
        .arg("build-ahead")
        .arg("--state")
        .arg(&request.state_dir)
        .current_dir(&request.workspace)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for binary in &request.binaries {
        command.arg("--bin").arg(binary);
    }
    // Its own process group: a Ctrl-C at the learner's terminal is not for it.
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let mut child = command.spawn()?;
    // Reaped when it ends, should this process outlive it (`watch`).
    std::thread::spawn(move || child.wait());
    Ok(Started::Started)
}

/// Whether a build ahead is running now (it holds the lock).
pub fn running(state_dir: &Path) -> bool {
    let Ok(lock) = File::create(state_dir.join(LOCK)) else {
        return false;
    };
    matches!(lock.try_lock(), Err(std::fs::TryLockError::WouldBlock))
}

/// Asks a running build ahead to step aside and waits until it has (at
/// most `wait`): the caller is about to build.
pub fn stop(state_dir: &Path, wait: Duration) {
    if !running(state_dir) {
        return;
    }
    let request = state_dir.join(STOP);
    if std::fs::write(&request, b"").is_err() {
        return;
    }
    let deadline = Instant::now() + wait;
    while running(state_dir) && Instant::now() < deadline {
        std::thread::sleep(POLL / 2);
    }
    let _ = std::fs::remove_file(&request);
}

/// `checker build-ahead`: runs cargo for `request` at the lowest priority,
/// stepping aside as the module says; returns once cargo has ended. Another
/// build ahead already running makes this one return at once.
pub fn supervise(request: &AheadRequest) -> io::Result<AheadOutcome> {
    std::fs::create_dir_all(&request.state_dir)?;
    let lock = File::create(request.state_dir.join(LOCK))?;
    if lock.try_lock().is_err() {
        return Ok(AheadOutcome::SteppedAside);
    }
    let started = SystemTime::now();
    let mut record = Record {
        key: key(request),
        started: unix_seconds(started),
        ..Record::default()
    };
    record.write(&request.state_dir)?;
    let dirs = build_dirs(&request.workspace);
    let outcome = match cargo(request).and_then(|child| follow(child, request, &dirs)) {
        Ok(outcome) => outcome,
        Err(error) => {
            let mut log = open_log(&request.state_dir)?;
            writeln!(log, "the build ahead could not run cargo: {error}")?;
            AheadOutcome::Failed
        }
    };
    record.finished = Some(unix_seconds(SystemTime::now()));
    record.outcome = Some(outcome);
    record.build_dir = dirs.first().cloned();
    record.fingerprints = record.build_dir.as_deref().and_then(fingerprints_id);
    record.write(&request.state_dir)?;
    drop(lock);
    Ok(outcome)
}

/// `nice cargo build --workspace --keep-going --bin …`, its messages to the log.
fn cargo(request: &AheadRequest) -> io::Result<Child> {
    let log = open_log(&request.state_dir)?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    // The lowest CPU priority where `nice` exists; cargo's compilers inherit it.
    let nice = cfg!(unix) && Command::new("nice").arg("true").status().is_ok();
    let mut command = if nice {
        let mut command = Command::new("nice");
        command.args(["-n", "19"]).arg(cargo);
        command
    } else {
        Command::new(cargo)
    };
    // `--workspace`, as every check builds: the same features, so the same units.
    command
        .args(["build", "--workspace", "--keep-going"])
        .current_dir(&request.workspace)
        .env("CARGO_TERM_PROGRESS_WHEN", "never")
        .env("CARGO_TERM_COLOR", "never")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log);
    for binary in &request.binaries {
        command.arg("--bin").arg(binary);
    }
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    command.spawn()
}

/// Waits for cargo to end, or stops it (its whole process group: the
/// compilers too) when a check asks or another cargo waits for the lock.
fn follow(mut child: Child, request: &AheadRequest, dirs: &[PathBuf]) -> io::Result<AheadOutcome> {
    let locks: Vec<PathBuf> = dirs
        .iter()
        .map(|dir| dir.join("debug").join(".cargo-lock"))
        .collect();
    loop {
        if child.try_wait()?.is_some() {
            return Ok(AheadOutcome::Finished);
        }
        if stop_requested(&request.state_dir) || someone_waits(&locks) {
            let mut log = open_log(&request.state_dir)?;
            writeln!(
                log,
                "-- stepped aside: another cargo wants the build folder"
            )?;
            end_group(&mut child);
            return Ok(AheadOutcome::SteppedAside);
        }
        std::thread::sleep(POLL);
    }
}

fn stop_requested(state_dir: &Path) -> bool {
    // A request left behind by a check that died is not for this build.
    std::fs::metadata(state_dir.join(STOP))
        .and_then(|meta| meta.modified())
        .is_ok_and(|modified| modified.elapsed().is_ok_and(|age| age < STOP_REQUEST_LIFE))
}

fn open_log(state_dir: &Path) -> io::Result<File> {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(state_dir.join(LOG))
}

/// Where cargo builds in `workspace`: its target folder and, when set
/// apart, its build folder (`build.build-dir`), each with its lock.
fn build_dirs(workspace: &Path) -> Vec<PathBuf> {
    let Ok(metadata) = super::cargo_dirs(workspace) else {
        return Vec::new();
    };
    let mut dirs = vec![metadata.target_directory];
    if let Some(build) = metadata.build_directory
        && !dirs.contains(&build)
    {
        dirs.insert(0, build);
    }
    dirs
}

/// The identity (inode) of the build folder's fingerprints folder.
fn fingerprints_id(build_dir: &Path) -> Option<u64> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(build_dir.join("debug").join(".fingerprint"))
            .ok()
            .map(|meta| meta.ino())
    }
    #[cfg(not(unix))]
    {
        std::fs::metadata(build_dir.join("debug").join(".fingerprint"))
            .ok()
            .map(|_| 1)
    }
}

/// What the request is, in a few bytes: a change of the binaries asked for
/// or of `Cargo.lock` makes it another request.
fn key(request: &AheadRequest) -> String {
    let mut hash = Sha256::new();
    for binary in &request.binaries {
        hash.update(binary.as_bytes());
        hash.update(b"\n");
    }
    hash.update(std::fs::read(request.workspace.join("Cargo.lock")).unwrap_or_default());
    hash.finalize()
        .iter()
        .take(12)
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

fn unix_seconds(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}

/// Whether a process waits for one of `locks` (Linux: a `->` line of
/// `/proc/locks` on its device and inode). Elsewhere nobody can be seen
/// waiting: only a check's [`stop`] makes the build ahead step aside.
fn someone_waits(locks: &[PathBuf]) -> bool {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::MetadataExt;
        let ids: Vec<(u64, u64, u64)> = locks
            .iter()
            .filter_map(|lock| std::fs::metadata(lock).ok())
            .map(|meta| {
                let dev = meta.dev();
                (dev_major(dev), dev_minor(dev), meta.ino())
            })
            .collect();
        if ids.is_empty() {
            return false;
        }
        std::fs::read_to_string("/proc/locks")
            .is_ok_and(|table| waiters(&table).iter().any(|id| ids.contains(id)))
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = locks;
        false
    }
}

/// The (major, minor, inode) of every lock someone waits for, from
/// `/proc/locks` (`11: -> FLOCK  ADVISORY  WRITE 20306 fe:00:10018820 0 EOF`).
fn waiters(table: &str) -> Vec<(u64, u64, u64)> {
    table
        .lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace().skip(1);
            if fields.next() != Some("->") {
                return None;
            }
            let id = fields.nth(4)?;
            let mut parts = id.split(':');
            let major = u64::from_str_radix(parts.next()?, 16).ok()?;
            let minor = u64::from_str_radix(parts.next()?, 16).ok()?;
            let inode = parts.next()?.parse().ok()?;
            Some((major, minor, inode))
        })
        .collect()
}

/// Linux's `dev_t` layout (glibc's `gnu_dev_major` and `gnu_dev_minor`).
#[cfg(target_os = "linux")]
fn dev_major(dev: u64) -> u64 {
    ((dev >> 8) & 0xfff) | ((dev >> 32) & !0xfff)
}

#[cfg(target_os = "linux")]
fn dev_minor(dev: u64) -> u64 {
    (dev & 0xff) | ((dev >> 12) & !0xff)
}

/// Ends cargo and its compilers (the process group it leads), and reaps cargo.
fn end_group(child: &mut Child) {
    crate::process_group::signal(child.id(), crate::process_group::Signal::Kill);
    let _ = child.kill();
    let _ = child.wait();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_who_waits_from_proc_locks() {
        let table = "\
1: FLOCK  ADVISORY  WRITE 19230 fe:00:6512666 0 EOF
11: FLOCK  ADVISORY  WRITE 20275 fe:00:10018820 0 EOF
11: -> FLOCK  ADVISORY  WRITE 20306 fe:00:10018820 0 EOF
12: POSIX  ADVISORY  WRITE 812 00:1a:77 0 EOF
";
        assert_eq!(waiters(table), vec![(0xfe, 0, 10_018_820)]);
    }

    /// A real lock, held by one thread while another blocks on it, as two
    /// cargos would: the waiter shows.
    #[cfg(target_os = "linux")]
    #[test]
    fn sees_a_process_wait_for_the_lock() {
        let dir = tempfile::tempdir().expect("a scratch folder");
        let path = dir.path().join(".cargo-lock");
        let held = File::create(&path).expect("the lock file");
        held.lock().expect("the lock is free");
        assert!(!someone_waits(std::slice::from_ref(&path)));
        let waiting_path = path.clone();
        let waiter = std::thread::spawn(move || {
            let file = File::open(&waiting_path).expect("the lock file");
            file.lock().expect("the lock, once released");
        });
        let deadline = Instant::now() + Duration::from_secs(10);
        while !someone_waits(std::slice::from_ref(&path)) {
            assert!(Instant::now() < deadline, "the waiter never showed");
            std::thread::sleep(Duration::from_millis(20));
        }
        held.unlock().expect("unlocks");
        waiter.join().expect("the waiter got the lock");
    }

    #[test]
    fn a_record_covers_only_its_request_and_build_folder() {
        let dir = tempfile::tempdir().expect("a scratch folder");
        std::fs::create_dir_all(dir.path().join("debug/.fingerprint")).expect("folders");
        let record = Record {
            key: "abc".into(),
            outcome: Some(AheadOutcome::Finished),
            build_dir: Some(dir.path().to_owned()),
            fingerprints: fingerprints_id(dir.path()),
            ..Record::default()
        };
        assert!(record.covers("abc"));
        assert!(!record.covers("abd"));
        let stepped_aside = Record {
            outcome: Some(AheadOutcome::SteppedAside),
            ..record.clone()
        };
        assert!(!stepped_aside.covers("abc"));
        // `cargo clean`, then a new build: another folder.
        std::fs::remove_dir_all(dir.path().join("debug")).expect("cleaned");
        assert!(!record.covers("abc"));
    }
}
