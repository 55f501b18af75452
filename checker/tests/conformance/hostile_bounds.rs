//! What outside clients can cost a running `checker serve`, read from its
//! resident memory in /proc: a log nobody reads, clients that read nothing
//! beside one that reads, a burst of clients opening at once, a Lambda that
//! prints empty lines, and text that would forge the learner's log.

use std::net::SocketAddr;
use std::process::Child;
use std::sync::mpsc::RecvTimeoutError;
use std::time::Instant;

use checker::emulator::events::Event;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpSocket;

use crate::hostile_serve::{echoes, serve_fixtures};
use crate::process::{lambda_children, serve, signal, wait_exit};
use crate::{raw, support};

/// Resident memory of a process, in MiB.
pub(crate) fn rss_mib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("the process runs");
    let kib: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("a VmRSS line");
    kib / 1024
}

pub(crate) fn address(url: &str) -> SocketAddr {
    url.trim_start_matches("ws://")
        .split('/')
        .next()
        .and_then(|host| host.parse().ok())
        .unwrap_or_else(|| panic!("not a local URL: {url}"))
}

/// The `checker serve` child, killed if the test fails before stopping it.
pub(crate) struct Serving(pub(crate) Option<Child>);

impl Serving {
    pub(crate) fn pid(&self) -> u32 {
        self.0.as_ref().expect("running").id()
    }

    pub(crate) fn stop(mut self) {
        let mut child = self.0.take().expect("running");
        signal(&child, "INT");
        assert!(wait_exit(&mut child).success());
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_paused_log_is_bounded_in_bytes_and_no_message_forges_a_line() {
    let (child, url, lines) = tokio::task::spawn_blocking(|| serve_fixtures(&[]))
        .await
        .unwrap();
    let child = Serving(Some(child));
    lambda_children(child.pid(), 5);
    let start = rss_mib(child.pid());
    // Nobody reads the log (`serve | less`, paused) while replies of 120 KB
    // go out, each logged as a line.
    let mut ws = support::connect(&url).await;
    let mut peak = start;
    for n in 0..2_000 {
        support::send(&mut ws, "big:120000").await;
        assert_eq!(support::next_text(&mut ws).await.len(), 120_000);
        if n % 100 == 0 {
            peak = peak.max(rss_mib(child.pid()));
        }
    }
    peak = peak.max(rss_mib(child.pid()));
    // The run's history (64 MB) and the log's queue (4 MiB) are bounded;
    // 10,000 lines of 120 KB were not: 240 MB here.
    assert!(
        peak < start + 150,
        "RSS went from {start} MiB to {peak} MiB"
    );
    echoes(&url, 3).await;

    // Reading again: the lines dropped meanwhile are counted, each line is short.
    let (found, seen) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            if found.send(line).is_err() {
                return;
            }
        }
    });
    let next_line = || match seen.recv_timeout(support::WAIT) {
        Ok(line) => {
            assert!(line.len() <= 4096 + 100, "a line of {} bytes", line.len());
            assert!(!line.contains('\x1b'), "an escape sequence: {line:?}");
            assert!(!line.starts_with("+ forged"), "a forged line: {line:?}");
            line
        }
        Err(RecvTimeoutError::Timeout) => panic!("the log fell silent"),
        Err(RecvTimeoutError::Disconnected) => panic!("the log ended"),
    };
    while !next_line().contains("log lines dropped: the terminal did not keep up") {}
    let cut = Instant::now() + support::WAIT;
    while !next_line().contains(" … [cut at 4096 of 120000 bytes]") {
        assert!(Instant::now() < cut, "no line said it was cut");
    }
    // A message that would write a line of its own and clear the screen.
    let forged = "hi\n+ forged connected\x1b[2J";
    support::send(&mut ws, forged).await;
    assert_eq!(support::next_text(&mut ws).await, forged);
    let shown = "hi\\n+ forged connected\\u{1b}[2J";
    while !next_line().ends_with(shown) {}
    child.stop();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_burst_of_a_thousand_clients_opening_at_once_is_served() {
    let config = support::stacks_dir().join("echo-only.yml");
    let (child, url) = tokio::task::spawn_blocking(move || {
        serve(&["--port", "0", "--config", config.to_str().unwrap()])
    })
    .await
    .unwrap();
    let child = Serving(Some(child));
    let address = address(&url);
    let stage = format!(
        "/{}",
        url.trim_start_matches("ws://")
            .split_once('/')
            .map_or("", |(_, path)| path)
    );
    let start = rss_mib(child.pid());
    let clients: Vec<_> = (0..1_000)
        .map(|_| {
            let stage = stage.clone();
            tokio::spawn(async move {
                let mut stream = raw::connect(address).await;
                stream
                    .write_all(
                        raw::upgrade_request(address, &stage, "Sec-WebSocket-Version: 13\r\n")
                            .as_bytes(),
                    )
                    .await
                    .expect("the request is sent");
                let head = raw::read_head(&mut stream).await;
                (stream, head)
            })
        })
        .collect();
    let mut open = Vec::new();
    let mut silent = 0;
    for client in clients {
        let (stream, head) = client.await.unwrap();
        if head.is_empty() {
            silent += 1;
        } else {
            assert_eq!(raw::status(&head), 101, "{head}");
        }
        open.push(stream);
    }
    assert_eq!(
        silent, 0,
        "{silent} of 1,000 clients were closed with no answer"
    );
    let grown = rss_mib(child.pid()).saturating_sub(start);
    assert!(grown < 100, "1,000 connections cost {grown} MiB");
    // Another client, beside the thousand, is served.
    let mut ws = support::connect(&url).await;
    let echo = r#"{"action":"echo","data":"beside a burst"}"#;
    support::send(&mut ws, echo).await;
    assert_eq!(support::next_text(&mut ws).await, echo);
    drop(open);
    child.stop();
}

/// A client with a small receive buffer that reads only its connection id.
async fn non_reader(url: &str) -> (support::Ws, String) {
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let stream = socket
        .connect(address(url))
        .await
        .expect("the emulator listens");
    let stream = tokio_tungstenite::MaybeTlsStream::Plain(stream);
    let (mut ws, _) = tokio_tungstenite::client_async(url, stream)
        .await
        .expect("the handshake succeeds");
    let id = connection_id(&mut ws).await;
    (ws, id)
}

async fn connection_id(ws: &mut support::Ws) -> String {
    support::send(ws, "event").await;
    let event: serde_json::Value =
        serde_json::from_str(&support::next_text(ws).await).expect("the event as JSON");
    event["requestContext"]["connectionId"]
        .as_str()
        .expect("a connection id")
        .to_owned()
}

async fn post(url: &str, id: &str, body: &[u8]) -> support::RawResponse {
    support::raw_http(
        address(url),
        "POST",
        &raw::connection_path(id),
        &[raw::SIGNED],
        body,
    )
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn clients_that_read_nothing_cannot_take_a_readers_service() {
    let config = support::stacks_dir().join("fixtures.yml");
    let (child, url) = tokio::task::spawn_blocking(move || {
        serve(&["--port", "0", "--config", config.to_str().unwrap()])
    })
    .await
    .unwrap();
    let child = Serving(Some(child));
    let start = rss_mib(child.pid());
    let body = vec![b'z'; 128 * 1024];
    let mut silent = Vec::new();
    let mut crowded = 0;
    // Each fills its queue until refused: past a few dozen, the room they
    // share is taken and they are refused as soon as their own is used.
    for _ in 0..80 {
        let (ws, id) = non_reader(&url).await;
        let mut accepted = 0;
        let refused = loop {
            let response = post(&url, &id, &body).await;
            if response.status != 200 {
                break response;
            }
            accepted += 1;
            assert!(accepted < 400, "the queue took {accepted} posts of 128 KB");
        };
        assert_eq!(refused.status, 429, "{refused:?}");
        crowded += usize::from(refused.body.contains("shared by all"));
        silent.push(ws);
    }
    assert!(crowded > 0, "no client was refused for the shared room");
    let grown = rss_mib(child.pid()).saturating_sub(start);
    // What waits is bounded by the shared 32 MiB and 80 reserves of 288 KiB;
    // the run's history keeps up to 64 MB of the frames besides. Each of
    // them alone could hold 1 MiB, and all of them together 256 MiB, before.
    assert!(grown < 150, "80 clients that read nothing cost {grown} MiB");
    // A client that reads, beside them, gets every post and its own replies.
    let mut reader = support::connect(&url).await;
    let id = connection_id(&mut reader).await;
    for _ in 0..8 {
        let response = post(&url, &id, &body).await;
        assert_eq!(response.status, 200, "{response:?}");
        assert_eq!(support::next_text(&mut reader).await.len(), body.len());
    }
    echoes(&url, 3).await;
    drop(silent);
    child.stop();
}

#[tokio::test(flavor = "multi_thread")]
async fn empty_lines_count_against_a_lambdas_output_budget() {
    let mut running = support::start("fixtures.yml").await;
    let mut ws = support::connect(&running.url()).await;
    // 200 KB of newlines: within 1 MiB a second by their bytes alone, but
    // 200,000 events on the stream.
    support::send(&mut ws, "blank-lines:200000").await;
    assert_eq!(support::next_text(&mut ws).await, "flooded");
    let dropped = running
        .wait_for(|event| match event {
            Event::Log { line, .. } => line
                .strip_prefix("[checker] ")?
                .split_once(" lines of output dropped")?
                .0
                .parse::<usize>()
                .ok(),
            _ => None,
        })
        .await;
    // 8,192 empty lines fit a second's budget.
    assert!(
        dropped > 100_000,
        "only {dropped} of 200,000 empty lines dropped"
    );
    let mut other = support::connect(&running.url()).await;
    support::send(&mut other, "hello").await;
    assert_eq!(support::next_text(&mut other).await, "hello");
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn console_feeds_that_read_nothing_are_capped_and_bounded_during_large_messages() {
    let (child, url, _lines) = tokio::task::spawn_blocking(|| serve_fixtures(&[]))
        .await
        .unwrap();
    let child = Serving(Some(child));
    lambda_children(child.pid(), 5);
    let address = address(&url);
    let mut ws = support::connect(&url).await;
    // A history of large events for each feed to be sent first.
    for _ in 0..200 {
        support::send(&mut ws, "big:120000").await;
        support::next_text(&mut ws).await;
    }
    let start = rss_mib(child.pid());
    let mut feeds = Vec::new();
    let mut refused = 0;
    for _ in 0..20 {
        let socket = TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(4096).unwrap();
        let mut stream = socket.connect(address).await.expect("the emulator listens");
        let request =
            raw::upgrade_request(address, "/@console/feed", "Sec-WebSocket-Version: 13\r\n");
        stream.write_all(request.as_bytes()).await.unwrap();
        let head = raw::read_head(&mut stream).await;
        match raw::status(&head) {
            101 => feeds.push(stream),
            503 => refused += 1,
            other => panic!("{other}: {head}"),
        }
    }
    assert_eq!((feeds.len(), refused), (16, 4));
    let mut peak = start;
    for n in 0..800 {
        support::send(&mut ws, "big:120000").await;
        assert_eq!(support::next_text(&mut ws).await.len(), 120_000);
        if n % 50 == 0 {
            peak = peak.max(rss_mib(child.pid()));
        }
    }
    peak = peak.max(rss_mib(child.pid()));
    // Each feed holds at most its queue (4 MiB) and a frame (about 1 MiB);
    // before, one frame of 512 such events was 60 MB, per feed.
    assert!(
        peak < start + 150,
        "RSS went from {start} MiB to {peak} MiB"
    );
    echoes(&url, 3).await;
    drop(feeds);
    child.stop();
}
