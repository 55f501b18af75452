//! Echo load: WebSocket clients that send unique bodies (`c<client>-<seq>`)
//! and account for every echo: received once, to the right client, in order.
//!
//! Shared by the benchmark (`benches/emulator`) and the load test
//! (`tests/load.rs`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::sync::{Barrier, Semaphore};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How a client sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Send one message, wait for its echo, repeat.
    StopAndWait,
    /// Send `k` messages without waiting, then read their `k` echoes, repeat.
    Pipelined(usize),
}

#[derive(Debug, Clone, Copy)]
pub struct Load {
    pub clients: usize,
    /// Messages per client, at most.
    pub messages: usize,
    /// Time the clients keep sending, at most.
    pub duration: Duration,
    /// How long a client waits for an echo before counting it missing and stopping.
    pub echo_timeout: Duration,
    /// After its last message, how long each client keeps reading for late duplicates.
    pub grace: Duration,
    pub mode: Mode,
}

/// What the clients saw, added up.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    pub clients: usize,
    pub connect_failures: usize,
    pub sent: usize,
    /// Frames received (text or not).
    pub received: usize,
    /// Messages echoed to their sender at least once.
    pub echoed: usize,
    /// Echoes of a message its sender had already received.
    pub duplicates: usize,
    /// Echoes of another client's message.
    pub misrouted: usize,
    /// Sent messages never echoed.
    pub missing: usize,
    /// Frames that are not an echo of a body the clients sent.
    pub unexpected: usize,
    /// First echoes that arrived after the echo of a later message of the same client.
    pub out_of_order: usize,
    /// Clients whose connection ended or stalled before they were done.
    pub broken_clients: usize,
}

impl Tally {
    pub fn lossless(&self) -> bool {
        self.connect_failures == 0
            && self.duplicates == 0
            && self.misrouted == 0
            && self.missing == 0
            && self.unexpected == 0
            && self.broken_clients == 0
            && self.echoed == self.sent
    }

    fn add(&mut self, other: &Tally) {
        self.clients += other.clients;
        self.connect_failures += other.connect_failures;
        self.sent += other.sent;
        self.received += other.received;
        self.echoed += other.echoed;
        self.duplicates += other.duplicates;
        self.misrouted += other.misrouted;
        self.missing += other.missing;
        self.unexpected += other.unexpected;
        self.out_of_order += other.out_of_order;
        self.broken_clients += other.broken_clients;
    }
}

#[derive(Debug, Default)]
pub struct Outcome {
    pub tally: Tally,
    /// Send-to-echo round trips (stop-and-wait only).
    pub latencies: Vec<Duration>,
    /// From the start signal to the last client's last echo.
    pub elapsed: Duration,
}

impl Outcome {
    /// The `p`th percentile (0..=100) of the round trips.
    pub fn percentile(&self, p: usize) -> Option<Duration> {
        let mut sorted = self.latencies.clone();
        sorted.sort_unstable();
        if sorted.is_empty() {
            return None;
        }
        let index = (sorted.len() * p / 100).min(sorted.len() - 1);
        Some(sorted[index])
    }

    /// Echoes per second over the measured time.
    pub fn throughput(&self) -> f64 {
        let seconds = self.elapsed.as_secs_f64();
        if seconds == 0.0 {
            0.0
        } else {
            self.tally.echoed as f64 / seconds
        }
    }
}

/// Opens `count` connections to `url`, `parallel` handshakes at a time.
/// Failed handshakes are `None`.
pub async fn connect_many(url: &str, count: usize, parallel: usize) -> Vec<Option<Ws>> {
    let permits = Arc::new(Semaphore::new(parallel.max(1)));
    let mut tasks = Vec::with_capacity(count);
    for _ in 0..count {
        let permits = permits.clone();
        let url = url.to_owned();
        tasks.push(tokio::spawn(async move {
            let _permit = permits.acquire_owned().await.ok()?;
            // Nagle off on the client side, as on every peer measured.
            let connecting = tokio_tungstenite::connect_async_with_config(url, None, true);
            match tokio::time::timeout(Duration::from_secs(30), connecting).await {
                Ok(Ok((ws, _response))) => Some(ws),
                _ => None,
            }
        }));
    }
    let mut connections = Vec::with_capacity(count);
    for task in tasks {
        connections.push(task.await.ok().flatten());
    }
    connections
}

/// Connects `load.clients` clients to `url`, starts them together and adds up
/// what they saw.
pub async fn run(url: &str, load: Load) -> Outcome {
    let connections = connect_many(url, load.clients, 64).await;
    let connected = connections.iter().filter(|c| c.is_some()).count();
    let start = Arc::new(Barrier::new(connected + 1));
    let mut tasks = Vec::new();
    for (id, ws) in connections.into_iter().enumerate() {
        let Some(ws) = ws else { continue };
        let start = start.clone();
        tasks.push(tokio::spawn(client(id, ws, load, start)));
    }
    start.wait().await;
    let mut outcome = Outcome::default();
    outcome.tally.connect_failures = load.clients - connected;
    let mut began: Option<Instant> = None;
    let mut last: Option<Instant> = None;
    for task in tasks {
        match task.await {
            Ok(result) => {
                outcome.tally.add(&result.tally);
                outcome.latencies.extend(result.latencies);
                began = Some(began.map_or(result.began, |b| b.min(result.began)));
                last = Some(last.map_or(result.done, |l| l.max(result.done)));
            }
            Err(_) => outcome.tally.broken_clients += 1,
        }
    }
    if let (Some(began), Some(last)) = (began, last) {
        outcome.elapsed = last - began;
    }
    outcome
}

struct ClientResult {
    tally: Tally,
    latencies: Vec<Duration>,
    /// When the client started sending.
    began: Instant,
    /// When the client received its last awaited echo (before the grace period).
    done: Instant,
}

/// One client's bookkeeping: how many times each of its messages came back.
struct Book {
    id: usize,
    echoes: Vec<u32>,
    /// The highest sequence number echoed so far.
    highest: Option<usize>,
    tally: Tally,
}

impl Book {
    /// Accounts for one frame; returns the sequence number of a first echo of
    /// this client's own message.
    fn frame(&mut self, message: &Message) -> Option<usize> {
        self.tally.received += 1;
        let text = match message {
            Message::Text(text) => text.as_str(),
            Message::Ping(_) | Message::Pong(_) => {
                self.tally.received -= 1;
                return None;
            }
            _ => {
                self.tally.unexpected += 1;
                return None;
            }
        };
        let Some((client, seq)) = parse(text) else {
            self.tally.unexpected += 1;
            return None;
        };
        if client != self.id {
            self.tally.misrouted += 1;
            return None;
        }
        let Some(count) = self.echoes.get_mut(seq) else {
            self.tally.unexpected += 1;
            return None;
        };
        *count += 1;
        if *count > 1 {
            self.tally.duplicates += 1;
            return None;
        }
        if self.highest.is_some_and(|highest| seq < highest) {
            self.tally.out_of_order += 1;
        }
        self.highest = Some(self.highest.map_or(seq, |highest| highest.max(seq)));
        Some(seq)
    }
}

pub fn body(client: usize, seq: usize) -> String {
    format!("c{client}-{seq}")
}

fn parse(text: &str) -> Option<(usize, usize)> {
    let (client, seq) = text.strip_prefix('c')?.split_once('-')?;
    Some((client.parse().ok()?, seq.parse().ok()?))
}

async fn client(id: usize, mut ws: Ws, load: Load, start: Arc<Barrier>) -> ClientResult {
    let mut book = Book {
        id,
        echoes: Vec::with_capacity(load.messages),
        highest: None,
        tally: Tally {
            clients: 1,
            ..Tally::default()
        },
    };
    let mut latencies = Vec::with_capacity(load.messages);
    start.wait().await;
    let began = Instant::now();
    let deadline = began + load.duration;
    let batch = match load.mode {
        Mode::StopAndWait => 1,
        Mode::Pipelined(k) => k.max(1),
    };
    let mut broken = false;
    'sending: while book.echoes.len() < load.messages && Instant::now() < deadline {
        let first = book.echoes.len();
        let last = (first + batch).min(load.messages);
        let sent_at = Instant::now();
        for seq in first..last {
            book.echoes.push(0);
            if ws.feed(Message::text(body(id, seq))).await.is_err() {
                broken = true;
                break 'sending;
            }
            book.tally.sent += 1;
        }
        if ws.flush().await.is_err() {
            broken = true;
            break;
        }
        let mut awaited = last - first;
        while awaited > 0 {
            match tokio::time::timeout(load.echo_timeout, ws.next()).await {
                Ok(Some(Ok(message))) => {
                    if let Some(seq) = book.frame(&message)
                        && (first..last).contains(&seq)
                    {
                        awaited -= 1;
                        if batch == 1 {
                            latencies.push(sent_at.elapsed());
                        }
                    }
                }
                Ok(Some(Err(_)) | None) | Err(_) => {
                    broken = true;
                    break 'sending;
                }
            }
        }
    }
    let done = Instant::now();
    // Late duplicates or stragglers.
    if !broken {
        let grace_end = tokio::time::Instant::now() + load.grace;
        while let Ok(Some(Ok(message))) = tokio::time::timeout_at(grace_end, ws.next()).await {
            book.frame(&message);
        }
        let _ = ws.close(None).await;
    }
    book.tally.broken_clients = usize::from(broken);
    book.tally.echoed = book.echoes.iter().filter(|&&count| count > 0).count();
    book.tally.missing = book.tally.sent - book.tally.echoed;
    ClientResult {
        tally: book.tally,
        latencies,
        began,
        done,
    }
}
