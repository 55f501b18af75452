//! Idle connections: a child process (this benchmark again, `--hold-idle URL N`)
//! opens and holds them, so the emulator's process holds only its own ends and
//! its resident memory is the emulator's.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::Command;

use checker_testkit::load;

/// Resident memory of this process, in KiB (`VmRSS` of `/proc/self/status`).
pub fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The soft and hard limits on open files (`/proc/self/limits`).
pub fn open_files_limit() -> Option<(String, String)> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits
        .lines()
        .find(|line| line.starts_with("Max open files"))?;
    let mut fields = line["Max open files".len()..].split_whitespace();
    Some((fields.next()?.to_owned(), fields.next()?.to_owned()))
}

/// The child's side: open `count` connections, say how many, hold them until
/// stdin closes.
pub async fn hold(url: &str, count: usize) {
    let connections = load::connect_many(url, count, 64).await;
    let held = connections.iter().filter(|c| c.is_some()).count();
    println!("held {held}");
    let mut sink = Vec::new();
    let _ = tokio::io::stdin().read_to_end(&mut sink).await;
    drop(connections);
}

pub struct Idle {
    pub requested: usize,
    pub held: usize,
    pub rss_before_kib: u64,
    pub rss_after_kib: u64,
    pub connect_time: Duration,
}

/// Has a child open `count` idle connections to `url` and measures this
/// process's resident memory before and after.
pub async fn measure(url: &str, count: usize) -> anyhow::Result<Idle> {
    let rss_before_kib = rss_kib().unwrap_or(0);
    let started = std::time::Instant::now();
    let mut child = Command::new(std::env::current_exe()?)
        .args(["--hold-idle", url, &count.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| anyhow::anyhow!("no stdout"))?;
    let mut lines = BufReader::new(stdout).lines();
    let line = tokio::time::timeout(Duration::from_secs(300), lines.next_line())
        .await??
        .unwrap_or_default();
    let connect_time = started.elapsed();
    let held = line
        .strip_prefix("held ")
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0);
    // Let the emulator finish any work for the last handshakes.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_after_kib = rss_kib().unwrap_or(0);
    drop(child.stdin.take());
    let _ = tokio::time::timeout(Duration::from_secs(30), child.wait()).await;
    Ok(Idle {
        requested: count,
        held,
        rss_before_kib,
        rss_after_kib,
        connect_time,
    })
}
