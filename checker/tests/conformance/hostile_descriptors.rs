//! `checker serve` out of file descriptors: a local process that opens
//! connections until the checker can accept no more costs it nothing once
//! they are closed (the main port and a Lambda's Runtime API port both
//! accept again, an invocation is answered), and the warning it causes is
//! written a bounded number of times, not once per failed accept.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::Receiver;
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::process::{printed_url, signal, wait_exit};
use crate::{raw, support};

/// The checker's descriptors: a few dozen for its Lambdas' pipes and ports,
/// the rest for connections.
const DESCRIPTORS: u32 = 256;
/// How long the checker stays out of descriptors: long enough for a failed
/// accept every 50 ms to be dozens of warnings.
const EXHAUSTED_FOR: Duration = Duration::from_secs(4);
const WARNING: &str = "cannot accept a connection; trying again";

/// `checker serve --config fixtures.yml` limited to [`DESCRIPTORS`] open
/// files; its URL, and its stderr's lines as they come.
fn serve_with_few_descriptors() -> (Child, String, Receiver<String>) {
    let config = support::stacks_dir().join("fixtures.yml");
    let mut child = Command::new("prlimit")
        .arg(format!("--nofile={DESCRIPTORS}:{DESCRIPTORS}"))
        .arg("--")
        .arg(env!("CARGO_BIN_EXE_checker"))
        .args(["serve", "--port", "0", "--config"])
        .arg(config)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("prlimit starts the checker");
    let stderr = child.stderr.take().expect("stderr is piped");
    let (lines, stderr_lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            eprintln!("checker: {line}");
            let _ = lines.send(line);
        }
    });
    let url = printed_url(&mut child);
    (child, url, stderr_lines)
}

fn address_of(url: &str) -> SocketAddr {
    let host = url
        .trim_start_matches("ws://")
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap_or_default();
    host.parse()
        .unwrap_or_else(|_| panic!("no address in {url}"))
}

/// Opens up to `count` connections that send nothing, until one takes
/// longer than a moment once more than `at_least` are open: the checker
/// accepts none and its port's backlog is full. A slow connect before that
/// is a loaded machine (the checker accepting slower than the backlog
/// fills), not exhaustion, so it is tried again until [`support::WAIT`].
async fn hold(address: SocketAddr, at_least: usize, count: usize) -> Vec<TcpStream> {
    let deadline = tokio::time::Instant::now() + support::WAIT;
    let mut held = Vec::with_capacity(count);
    while held.len() < count {
        match tokio::time::timeout(Duration::from_millis(500), TcpStream::connect(address)).await {
            Ok(connected) => held.push(connected.expect("a loopback connection opens")),
            Err(_) if held.len() > at_least || tokio::time::Instant::now() > deadline => break,
            Err(_) => {}
        }
    }
    held
}

/// How many times each port's warning was written, read until now.
fn warnings(lines: &Receiver<String>, seen: &mut Vec<String>) -> (usize, usize) {
    seen.extend(lines.try_iter());
    let count = |port: &str| {
        seen.iter()
            .filter(|line| line.contains(WARNING) && line.contains(port))
            .count()
    };
    (
        count("the emulator's port"),
        count("a Lambda's Runtime API"),
    )
}

/// Connects a client and has a Lambda answer it, trying again while the
/// checker's accept loop waits out its back-off.
async fn a_new_client_is_answered(url: &str) {
    let deadline = tokio::time::Instant::now() + support::WAIT;
    let mut ws = loop {
        match tokio_tungstenite::connect_async(url).await {
            Ok((ws, _)) => break ws,
            Err(error) => {
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "no client connects after the descriptors came back: {error}"
                );
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    };
    support::send(&mut ws, "after").await;
    assert_eq!(support::next_text(&mut ws).await, "after");
}

#[tokio::test(flavor = "multi_thread")]
async fn out_of_descriptors_the_checker_recovers_and_says_so_a_few_times() {
    let (mut child, url, stderr) = tokio::task::spawn_blocking(serve_with_few_descriptors)
        .await
        .unwrap();
    let mut ws = support::connect(&url).await;
    // The Lambda that answers `$default` next, and its Runtime API port.
    support::send(&mut ws, "env:AWS_LAMBDA_RUNTIME_API").await;
    let endpoint = support::next_text(&mut ws).await;
    let runtime_api = address_of(&endpoint);

    let main_port = hold(
        address_of(&url),
        DESCRIPTORS as usize,
        4 * DESCRIPTORS as usize,
    )
    .await;
    assert!(
        main_port.len() > DESCRIPTORS as usize,
        "only {} connections opened: the checker never ran out of descriptors",
        main_port.len()
    );
    let lambda_port = hold(runtime_api, 0, 16).await;
    tokio::time::sleep(EXHAUSTED_FOR).await;
    let mut seen = Vec::new();
    let (main_warnings, lambda_warnings) = warnings(&stderr, &mut seen);
    assert!(main_warnings >= 1, "the checker never ran out: {seen:#?}");
    assert!(
        lambda_warnings >= 1,
        "the Runtime API never ran out: {seen:#?}"
    );
    // Piped, the warnings carry no colour codes.
    assert!(
        !seen.iter().any(|line| line.contains('\x1b')),
        "escape codes in a piped log: {seen:#?}"
    );
    drop(main_port);
    drop(lambda_port);

    // The client connected before is still served, by the same Lambda
    // through the same Runtime API port.
    support::send(&mut ws, "still here").await;
    assert_eq!(support::next_text(&mut ws).await, "still here");
    a_new_client_is_answered(&url).await;
    // The Runtime API port accepts again: another process is refused there, with an answer.
    let mut stream = raw::connect(runtime_api).await;
    let request =
        format!("GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: {runtime_api}\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    assert_eq!(raw::status(&raw::read_head(&mut stream).await), 403);

    // One warning per port per period (10 s), whatever the failed accepts.
    let (main_warnings, lambda_warnings) = warnings(&stderr, &mut seen);
    assert!(
        main_warnings <= 2 && lambda_warnings <= 2,
        "{main_warnings} and {lambda_warnings} warnings: {seen:#?}"
    );
    signal(&child, "INT");
    wait_exit(&mut child);
}
