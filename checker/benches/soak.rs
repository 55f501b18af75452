//! The soak: `cargo bench -p checker --bench soak [-- OPTIONS]`.
//!
//! Serves exercise 04's solution (one table row per connection, deleted by
//! `$disconnect`; every message broadcast to every row) with `checker serve`
//! as a child process, on loopback, and for a bounded time keeps up what
//! wears a long-running emulator down: clients that connect, broadcast and
//! close cleanly; clients that vanish with a TCP reset; handshakes abandoned
//! while `$connect` runs; half-sent HTTP requests; and slow readers (some
//! read nothing, some a frame a second) that fill their queues. Prints the
//! emulator process's resident memory (`VmRSS`) and open descriptors after a
//! warm-up of the same load (the baseline), at their peak during the soak,
//! and after it once every client is gone, with the table rows left; then
//! whether memory came back within 10% of the baseline.
//!
//! Then the attacks ([`attacks`]), each on an emulator of its own: console
//! feeds that read nothing, a paused stdout, a burst of 1,000 clients, 300
//! clients that read nothing beside one reader; large DynamoDB requests'
//! memory, and the console's tables view refreshed beside GetItems on a
//! table of 50,000 items.
//!
//! Options: `--seconds N` (soak, default 180), `--warmup N` (default 20),
//! `--slow-readers N` (default 20), `--churners N` (tasks per kind, default 4),
//! `--attacks-only`, `--dynamodb-only`.

#[path = "soak/attacks.rs"]
mod attacks;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clap::Parser;
use futures_util::{SinkExt, StreamExt};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio_tungstenite::MaybeTlsStream;
use tokio_tungstenite::tungstenite::Message;

const TABLE: &str = "rust-ws-04-clean-exits-dev-connections";
/// Big enough that slow readers' queues fill within the soak; one frame (32 KB at most).
const MESSAGE_BYTES: usize = 30 * 1024;

#[derive(Debug, Clone, Parser)]
struct Options {
    /// How long the soak runs, in seconds.
    #[arg(long, default_value_t = 180)]
    seconds: u64,
    /// How long the same load runs first, so the baseline is a warm emulator's.
    #[arg(long, default_value_t = 20)]
    warmup: u64,
    /// Clients that read slowly or not at all, held throughout.
    #[arg(long, default_value_t = 20)]
    slow_readers: usize,
    /// Tasks for each kind of churn (clean, reset, aborted handshake, half-sent request).
    #[arg(long, default_value_t = 4)]
    churners: usize,
    /// Only the attacks, without the soak.
    #[arg(long)]
    attacks_only: bool,
    /// Only the local DynamoDB's sections: large requests' memory, the console's tables view.
    #[arg(long)]
    dynamodb_only: bool,
    /// Ignored: cargo bench passes it.
    #[arg(long, hide = true)]
    bench: bool,
}

/// What the clients did, counted.
#[derive(Default)]
struct Counts {
    clean: AtomicU64,
    echoed: AtomicU64,
    error_frames: AtomicU64,
    no_echo: AtomicU64,
    resets: AtomicU64,
    aborted: AtomicU64,
    half_sent: AtomicU64,
    slow_sessions: AtomicU64,
    connect_failures: AtomicU64,
}

impl Counts {
    fn line(&self) -> String {
        let get = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        format!(
            "clean closes {} (echoed {}, error frames {}, no answer {}), resets {}, aborted handshakes {}, \
             half-sent requests {}, slow-reader sessions {}, failed connects {}",
            get(&self.clean),
            get(&self.echoed),
            get(&self.error_frames),
            get(&self.no_echo),
            get(&self.resets),
            get(&self.aborted),
            get(&self.half_sent),
            get(&self.slow_sessions),
            get(&self.connect_failures),
        )
    }
}

#[derive(Debug, Clone, Copy)]
struct Sample {
    rss_kib: u64,
    descriptors: usize,
    /// Child processes: the Lambdas (and the watchdog).
    children: usize,
}

fn sample(pid: u32) -> Sample {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let rss_kib = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .unwrap_or(0);
    let descriptors = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(Iterator::count)
        .unwrap_or(0);
    let children = children_of(pid);
    Sample {
        rss_kib,
        descriptors,
        children,
    }
}

/// Processes whose parent is `pid` (`/proc/*/stat`, field 4).
fn children_of(pid: u32) -> usize {
    let parent = pid.to_string();
    std::fs::read_dir("/proc")
        .map(|entries| {
            entries
                .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
                .filter(|candidate| {
                    std::fs::read_to_string(format!("/proc/{candidate}/stat"))
                        .ok()
                        .and_then(|stat| {
                            let (_, rest) = stat.rsplit_once(") ")?;
                            Some(rest.split(' ').nth(1)? == parent)
                        })
                        .unwrap_or(false)
                })
                .count()
        })
        .unwrap_or(0)
}

impl std::fmt::Display for Sample {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "RSS {}, {} descriptors, {} child processes",
            mib(self.rss_kib),
            self.descriptors,
            self.children
        )
    }
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

/// The lines of a `serve`'s log.
type Log = std::io::Lines<BufReader<std::process::ChildStdout>>;

/// `checker serve 04 --solutions --port 0`; its URL once it printed it, and
/// the rest of its log.
fn spawn_serve() -> anyhow::Result<(Child, String, Log)> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_checker"))
        .args(["serve", "04", "--solutions", "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| anyhow::anyhow!("no stdout"))?;
    let mut lines = BufReader::new(stdout).lines();
    let url = checker_testkit::serve_url(&mut lines)?;
    Ok((child, url, lines))
}

/// A `serve` whose log is read (and dropped) throughout, as a terminal would.
fn serve() -> anyhow::Result<(Child, String)> {
    let (child, url, lines) = spawn_serve()?;
    std::thread::spawn(move || for _ in lines {});
    Ok((child, url))
}

fn address_of(url: &str) -> String {
    url.trim_start_matches("ws://")
        .split('/')
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// A client of the emulator's local DynamoDB at `address`.
fn dynamodb_client(address: &str) -> aws_sdk_dynamodb::Client {
    use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("eu-west-1"))
        .credentials_provider(Credentials::new("AKIDSOAK", "secret", None, None, "soak"))
        .endpoint_url(format!("http://{address}"))
        .build();
    aws_sdk_dynamodb::Client::from_conf(config)
}

async fn table_rows(address: &str) -> anyhow::Result<i32> {
    let scanned = dynamodb_client(address)
        .scan()
        .table_name(TABLE)
        .select(aws_sdk_dynamodb::types::Select::Count)
        .send()
        .await?;
    Ok(scanned.count())
}

/// Connect, broadcast one message, wait for it (or the error frame), close cleanly.
async fn clean(url: &str, counts: &Counts, tag: &str) {
    let Ok(Ok((mut ws, _))) = tokio::time::timeout(
        Duration::from_secs(10),
        tokio_tungstenite::connect_async(url),
    )
    .await
    else {
        counts.connect_failures.fetch_add(1, Ordering::Relaxed);
        return;
    };
    let body = format!("{tag} {}", "s".repeat(MESSAGE_BYTES));
    if ws.send(Message::text(body.clone())).await.is_ok() {
        let answer = tokio::time::timeout(Duration::from_secs(15), async {
            while let Some(Ok(message)) = ws.next().await {
                if let Message::Text(text) = message {
                    if text.as_str() == body {
                        return Some(true);
                    }
                    if text
                        .as_str()
                        .starts_with(r#"{"message": "Internal server error""#)
                    {
                        return Some(false);
                    }
                }
            }
            None
        })
        .await;
        match answer {
            Ok(Some(true)) => counts.echoed.fetch_add(1, Ordering::Relaxed),
            Ok(Some(false)) => counts.error_frames.fetch_add(1, Ordering::Relaxed),
            _ => counts.no_echo.fetch_add(1, Ordering::Relaxed),
        };
    }
    let _ = tokio::time::timeout(Duration::from_secs(5), ws.close(None)).await;
    counts.clean.fetch_add(1, Ordering::Relaxed);
}

/// Connect, then vanish with a TCP reset: no close frame.
async fn reset(url: &str, counts: &Counts) {
    match tokio::time::timeout(
        Duration::from_secs(10),
        tokio_tungstenite::connect_async(url),
    )
    .await
    {
        Ok(Ok((ws, _))) => {
            if let MaybeTlsStream::Plain(stream) = ws.get_ref() {
                let _ = stream.set_zero_linger();
            }
            drop(ws);
            counts.resets.fetch_add(1, Ordering::Relaxed);
        }
        _ => {
            counts.connect_failures.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Send a handshake and leave before (or while) `$connect` answers.
async fn aborted(address: &str, counts: &Counts, wait: Duration) {
    let Ok(mut stream) = TcpStream::connect(address).await else {
        counts.connect_failures.fetch_add(1, Ordering::Relaxed);
        return;
    };
    let request = format!(
        "GET /dev HTTP/1.1\r\nHost: {address}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    let _ = stream.write_all(request.as_bytes()).await;
    tokio::time::sleep(wait).await;
    drop(stream);
    counts.aborted.fetch_add(1, Ordering::Relaxed);
}

/// Half a request head, held for `hold` (past the header timeout, or not).
async fn half_sent(address: &str, counts: &Counts, hold: Duration) {
    let Ok(mut stream) = TcpStream::connect(address).await else {
        counts.connect_failures.fetch_add(1, Ordering::Relaxed);
        return;
    };
    let _ = stream
        .write_all(format!("GET /dev HTTP/1.1\r\nHost: {address}\r\nUpgr").as_bytes())
        .await;
    tokio::time::sleep(hold).await;
    drop(stream);
    counts.half_sent.fetch_add(1, Ordering::Relaxed);
}

/// A client that reads nothing (or a frame every `pace`) for `hold`, then leaves.
async fn slow_reader(url: &str, counts: &Counts, pace: Option<Duration>, hold: Duration) {
    let Ok(Ok((mut ws, _))) = tokio::time::timeout(
        Duration::from_secs(10),
        tokio_tungstenite::connect_async(url),
    )
    .await
    else {
        counts.connect_failures.fetch_add(1, Ordering::Relaxed);
        return;
    };
    let until = Instant::now() + hold;
    match pace {
        None => tokio::time::sleep(hold).await,
        Some(pace) => {
            while Instant::now() < until {
                tokio::time::sleep(pace).await;
                let next = tokio::time::timeout(Duration::from_millis(10), ws.next()).await;
                if let Ok(None | Some(Err(_))) = next {
                    break;
                }
            }
        }
    }
    drop(ws);
    counts.slow_sessions.fetch_add(1, Ordering::Relaxed);
}

/// Runs every kind of client until `stop` is set; returns once they are all done.
async fn load(url: String, options: &Options, counts: Arc<Counts>, stop: Arc<AtomicBool>) {
    let address = address_of(&url);
    let mut tasks = Vec::new();
    for index in 0..options.slow_readers {
        // Held past the write timeout (30 s), so some are dropped by the emulator.
        let pace = (index % 2 == 1).then_some(Duration::from_secs(1));
        tasks.push(tokio::spawn({
            let (url, counts, stop) = (url.clone(), counts.clone(), stop.clone());
            async move {
                while !stop.load(Ordering::Relaxed) {
                    slow_reader(&url, &counts, pace, Duration::from_secs(40)).await;
                }
            }
        }));
    }
    for churner in 0..options.churners {
        tasks.push(tokio::spawn({
            let (url, counts, stop) = (url.clone(), counts.clone(), stop.clone());
            async move {
                let mut n = 0_u64;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    clean(&url, &counts, &format!("c{churner}-{n}")).await;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }));
        tasks.push(tokio::spawn({
            let (url, counts, stop) = (url.clone(), counts.clone(), stop.clone());
            async move {
                while !stop.load(Ordering::Relaxed) {
                    reset(&url, &counts).await;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }));
        tasks.push(tokio::spawn({
            let (address, counts, stop) = (address.clone(), counts.clone(), stop.clone());
            async move {
                let mut n = 0_u64;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    // From before the request is read to well into `$connect`.
                    aborted(&address, &counts, Duration::from_millis(n % 20)).await;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }));
        tasks.push(tokio::spawn({
            let (address, counts, stop) = (address.clone(), counts.clone(), stop.clone());
            async move {
                let mut n = 0_u64;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    // Some leave first, some are timed out by the emulator (10 s).
                    half_sent(&address, &counts, Duration::from_secs(n % 13)).await;
                }
            }
        }));
    }
    for task in tasks {
        let _ = task.await;
    }
}

/// Runs the load for `seconds`, sampling the emulator; the peak sample.
async fn phase(url: &str, pid: u32, options: &Options, seconds: u64) -> (Sample, Arc<Counts>) {
    let counts = Arc::new(Counts::default());
    let stop = Arc::new(AtomicBool::new(false));
    let running = tokio::spawn({
        let (url, counts, stop) = (url.to_owned(), counts.clone(), stop.clone());
        let options = options.clone();
        async move { load(url, &options, counts, stop).await }
    });
    let mut peak = sample(pid);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut next_report = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let now = sample(pid);
        peak.rss_kib = peak.rss_kib.max(now.rss_kib);
        peak.descriptors = peak.descriptors.max(now.descriptors);
        peak.children = peak.children.max(now.children);
        if Instant::now() >= next_report {
            next_report += Duration::from_secs(30);
            let rows = table_rows(&address_of(url)).await.unwrap_or(-1);
            eprintln!("  … {now}, {rows} rows; {}", counts.line());
        }
    }
    stop.store(true, Ordering::Relaxed);
    // Slow readers finish their 40 s hold.
    let _ = tokio::time::timeout(Duration::from_secs(60), running).await;
    (peak, counts)
}

/// Waits until the table is empty (every `$disconnect` ran), then a little more.
async fn settle(address: &str) -> i32 {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut rows = table_rows(address).await.unwrap_or(-1);
    while rows != 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(500)).await;
        rows = table_rows(address).await.unwrap_or(-1);
    }
    // Past the header timeout (10 s): the Lambdas' idle keep-alive connections are closed too.
    tokio::time::sleep(Duration::from_secs(12)).await;
    rows
}

fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|line| line.strip_prefix("model name"))
        .map(|rest| rest.trim_start_matches([' ', '\t', ':']).to_owned())
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    format!("{cores} cores, {model}")
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let options = Options::parse();
    println!("soak: {}", machine());
    if options.attacks_only {
        return attacks::run().await;
    }
    if options.dynamodb_only {
        return attacks::dynamodb().await;
    }
    let (mut child, url) = tokio::task::spawn_blocking(serve).await??;
    let pid = child.id();
    let address = address_of(&url);
    println!("emulator: `checker serve 04 --solutions` (pid {pid}) at {url}");
    let started = sample(pid);
    println!("started: {started}");

    println!("warm-up: {} s of the soak's load", options.warmup);
    let (_, counts) = phase(&url, pid, &options, options.warmup).await;
    println!("  {}", counts.line());
    let rows = settle(&address).await;
    let baseline = sample(pid);
    println!("baseline (after warm-up, clients gone): {baseline}, {rows} rows");

    println!(
        "soak: {} s; {} slow readers, {} tasks each of clean, reset, aborted-handshake and half-sent clients",
        options.seconds, options.slow_readers, options.churners
    );
    let (peak, counts) = phase(&url, pid, &options, options.seconds).await;
    println!("  {}", counts.line());
    let rows = settle(&address).await;
    let end = sample(pid);
    println!("peak during the soak: {peak}");
    println!("after the soak (clients gone): {end}, {rows} rows left in {TABLE}");
    let growth = end.rss_kib as f64 / baseline.rss_kib.max(1) as f64 - 1.0;
    let verdict: BTreeMap<&str, bool> = BTreeMap::from([
        ("memory within 10% of the baseline", growth <= 0.10),
        ("no rows left", rows == 0),
        // The Lambdas' keep-alive connections to the emulator come and go.
        (
            "descriptors within 10% of the baseline",
            end.descriptors * 10 <= baseline.descriptors * 11,
        ),
    ]);
    println!("memory after / baseline: {:+.1}%", growth * 100.0);
    for (target, met) in &verdict {
        println!("  {} {target}", if *met { "met:   " } else { "MISSED:" });
    }
    let _ = child.kill();
    let _ = child.wait();
    attacks::run().await
}
