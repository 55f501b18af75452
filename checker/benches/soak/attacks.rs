//! The soak's attacks, each against a `checker serve 04 --solutions` of its
//! own, with its resident memory sampled every 100 ms from its start: console
//! feeds that read nothing during large messages, a stdout nobody reads, a
//! burst of clients opening at once, and clients that read nothing beside one
//! that reads (whose round trips are timed), and the console's tables view
//! refreshed in a loop beside GetItems ([`tables_view`]). Each should stay
//! within 100 MB of its start. Then large DynamoDB requests' memory
//! ([`dynamodb_memory`]).

#[path = "dynamodb_memory.rs"]
mod dynamodb_memory;
#[path = "tables_view.rs"]
mod tables_view;

use std::process::Child;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::MaybeTlsStream;
use tokio_tungstenite::tungstenite::Message;

use super::{Log, MESSAGE_BYTES, address_of, mib, spawn_serve};

type Ws = tokio_tungstenite::WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A `checker serve 04 --solutions`, its log read or not.
struct Serving {
    child: Child,
    url: String,
    _log: Option<Log>,
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(read_log: bool) -> anyhow::Result<Serving> {
    let (child, url, lines) = spawn_serve()?;
    let log = if read_log {
        std::thread::spawn(move || for _ in lines {});
        None
    } else {
        Some(lines)
    };
    Ok(Serving {
        child,
        url,
        _log: log,
    })
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// The peak RSS of `pid` while it is sampled, until `stop` is set.
fn sample_peak(pid: u32, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<u64> {
    std::thread::spawn(move || {
        let mut peak = 0;
        while !stop.load(Ordering::Relaxed) {
            peak = peak.max(rss_kib(pid));
            std::thread::sleep(Duration::from_millis(100));
        }
        peak.max(rss_kib(pid))
    })
}

async fn connect(url: &str) -> anyhow::Result<Ws> {
    let (ws, _) = tokio::time::timeout(
        Duration::from_secs(20),
        tokio_tungstenite::connect_async(url),
    )
    .await??;
    Ok(ws)
}

/// A client with a small receive buffer that never reads.
async fn non_reader(url: &str) -> anyhow::Result<Ws> {
    let socket = TcpSocket::new_v4()?;
    socket.set_recv_buffer_size(4096)?;
    let stream = socket.connect(address_of(url).parse()?).await?;
    let (ws, _) = tokio::time::timeout(
        Duration::from_secs(20),
        tokio_tungstenite::client_async(url, MaybeTlsStream::Plain(stream)),
    )
    .await??;
    Ok(ws)
}

/// Sends `body` and waits for its broadcast to come back; the round trip.
async fn round_trip(ws: &mut Ws, body: &str) -> anyhow::Result<Duration> {
    let started = Instant::now();
    ws.send(Message::text(body.to_owned())).await?;
    tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(message) = ws.next().await {
            if let Message::Text(text) = message?
                && text.as_str() == body
            {
                return Ok(started.elapsed());
            }
        }
        anyhow::bail!("the connection ended")
    })
    .await?
}

/// An HTTP upgrade to `path`, sent and its status read, the socket kept.
async fn raw_upgrade(address: &str, path: &str, small_buffer: bool) -> (Option<TcpStream>, u16) {
    let Ok(socket) = TcpSocket::new_v4() else {
        return (None, 0);
    };
    if small_buffer {
        let _ = socket.set_recv_buffer_size(4096);
    }
    let Ok(Ok(mut stream)) = tokio::time::timeout(
        Duration::from_secs(20),
        socket.connect(address.parse().expect("a socket address")),
    )
    .await
    else {
        return (None, 0);
    };
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    if stream.write_all(request.as_bytes()).await.is_err() {
        return (None, 0);
    }
    let mut head = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(30), async {
        let mut byte = [0_u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            match stream.read(&mut byte).await {
                Ok(1) => head.push(byte[0]),
                _ => break,
            }
        }
    })
    .await;
    let status = String::from_utf8_lossy(&head)
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    if read.is_err() {
        return (Some(stream), 0);
    }
    (Some(stream), status)
}

/// What one attack did to memory.
struct Outcome {
    start_kib: u64,
    peak_kib: u64,
}

impl Outcome {
    fn line(&self) -> String {
        let grown = self.peak_kib.saturating_sub(self.start_kib);
        format!(
            "RSS {} at start, {} at peak (+{}): {}",
            mib(self.start_kib),
            mib(self.peak_kib),
            mib(grown),
            if grown <= 100 * 1024 {
                "met:    within 100 MB"
            } else {
                "MISSED: within 100 MB"
            }
        )
    }
}

/// Runs `attack` against a fresh emulator, sampling its memory.
async fn measured<F, Fut>(read_log: bool, attack: F) -> anyhow::Result<Outcome>
where
    F: FnOnce(String) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    let serving = tokio::task::spawn_blocking(move || serve(read_log)).await??;
    let pid = serving.child.id();
    // Let the warm Lambdas start.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let start_kib = rss_kib(pid);
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = sample_peak(pid, stop.clone());
    let result = attack(serving.url.clone()).await;
    stop.store(true, Ordering::Relaxed);
    let peak_kib = sampler.join().unwrap_or(0);
    result?;
    Ok(Outcome {
        start_kib,
        peak_kib,
    })
}

fn big_message(n: usize) -> String {
    format!("{n} {}", "b".repeat(MESSAGE_BYTES))
}

pub async fn run() -> anyhow::Result<()> {
    println!("attacks, each on a fresh `checker serve 04 --solutions`:");

    let feeds = measured(true, |url| async move {
        let address = address_of(&url);
        let mut opened = Vec::new();
        let mut refused = 0;
        for _ in 0..20 {
            match raw_upgrade(&address, "/@console/feed", true).await {
                (Some(stream), 101) => opened.push(stream),
                _ => refused += 1,
            }
        }
        let mut ws = connect(&url).await?;
        for n in 0..1_000 {
            round_trip(&mut ws, &big_message(n)).await?;
        }
        println!(
            "- 20 console feeds that read nothing ({} open, {refused} refused) during 1,000 messages of 30 KB",
            opened.len()
        );
        Ok(())
    })
    .await?;
    println!("  {}", feeds.line());

    let paused = measured(false, |url| async move {
        let mut ws = connect(&url).await?;
        for n in 0..3_000 {
            round_trip(&mut ws, &big_message(n)).await?;
        }
        println!("- a paused stdout during 3,000 messages of 30 KB");
        Ok(())
    })
    .await?;
    println!("  {}", paused.line());

    let burst = measured(true, |url| async move {
        let address = address_of(&url);
        let stage = format!(
            "/{}",
            url.trim_start_matches("ws://")
                .split_once('/')
                .map_or("", |(_, path)| path)
        );
        let started = Instant::now();
        let clients: Vec<_> = (0..1_000)
            .map(|_| {
                let (address, stage) = (address.clone(), stage.clone());
                tokio::spawn(async move { raw_upgrade(&address, &stage, false).await })
            })
            .collect();
        let (mut upgraded, mut answered, mut silent) = (0, 0, 0);
        let mut kept = Vec::new();
        for client in clients {
            let (stream, status) = client.await?;
            match status {
                101 => upgraded += 1,
                0 => silent += 1,
                _ => answered += 1,
            }
            kept.extend(stream);
        }
        println!(
            "- 1,000 clients opening at once: {upgraded} connected, {answered} answered otherwise, \
             {silent} closed with no answer, in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        Ok(())
    })
    .await?;
    println!("  {}", burst.line());

    let fair = measured(true, |url| async move {
        let mut silent = Vec::new();
        for _ in 0..300 {
            silent.push(non_reader(&url).await?);
        }
        // Broadcasts of 30 KB to all 301 fill the queues of those that read nothing.
        let mut reader = connect(&url).await?;
        let mut times = Vec::new();
        for n in 0..40 {
            round_trip(&mut reader, &big_message(n)).await?;
        }
        for n in 0..200 {
            times.push(round_trip(&mut reader, &format!("reader {n}")).await?);
        }
        times.sort();
        let at = |q: f64| times[((times.len() - 1) as f64 * q) as usize].as_secs_f64() * 1000.0;
        println!(
            "- 300 clients that read nothing beside one reader (every message broadcast to all): \
             the reader's round trip p50 {:.1} ms, p99 {:.1} ms",
            at(0.5),
            at(0.99)
        );
        drop(silent);
        Ok(())
    })
    .await?;
    println!("  {}", fair.line());
    dynamodb().await
}

/// The sections on the local DynamoDB: large requests' memory, the console's tables view.
pub async fn dynamodb() -> anyhow::Result<()> {
    dynamodb_memory::run().await?;
    tables_view::run().await
}
