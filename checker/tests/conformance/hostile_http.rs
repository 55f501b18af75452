//! Requests that never finish: silent connections, half-sent heads, stalled
//! TLS handshakes and bodies. Each is closed or answered in bounded time,
//! only a bounded number wait at once, and new clients are served meanwhile.

use std::time::Duration;

use checker::emulator::Settings;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::{raw, support};

const HEADER_TIMEOUT: Duration = Duration::from_secs(2);
const MAX_PENDING: usize = 8;

fn settings() -> Settings {
    Settings {
        port: 0,
        header_timeout: HEADER_TIMEOUT,
        body_timeout: Duration::from_secs(1),
        max_pending_connections: MAX_PENDING,
        ..Settings::default()
    }
}

async fn still_serves(running: &support::Running) {
    let mut ws = support::connect(&running.url()).await;
    support::send(&mut ws, "served").await;
    assert_eq!(support::next_text(&mut ws).await, "served");
}

/// A connection that sent nothing (even) or half a request head (odd).
async fn stalled(running: &support::Running, index: usize) -> TcpStream {
    let address = running.emulator().address();
    let mut stream = raw::connect(address).await;
    if index % 2 == 1 {
        let half = format!("GET /dev HTTP/1.1\r\nHost: {address}\r\nUpgrade: websock");
        stream.write_all(half.as_bytes()).await.unwrap();
    }
    stream
}

#[tokio::test(flavor = "multi_thread")]
async fn connections_waiting_for_their_first_request_are_bounded_and_timed_out() {
    let running = support::start_with("fixtures.yml", settings()).await;
    let mut streams = Vec::new();
    for index in 0..MAX_PENDING * 3 {
        streams.push(stalled(&running, index).await);
        // Each is accepted before the next, so the eviction order is the opening order.
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (older, newest) = streams.split_at_mut(MAX_PENDING * 2);
    for (index, stream) in older.iter_mut().enumerate() {
        assert!(
            raw::closed_within(stream, Duration::from_secs(1)).await,
            "connection {index} was not evicted"
        );
    }
    // The newest still wait, and a new client is served beside them.
    for stream in newest.iter_mut() {
        assert!(!raw::closed_within(stream, Duration::from_millis(100)).await);
    }
    still_serves(&running).await;
    // Then the header timeout ends them.
    for (index, stream) in newest.iter_mut().enumerate() {
        assert!(
            raw::closed_within(stream, HEADER_TIMEOUT * 3).await,
            "waiting connection {index} outlived its timeout"
        );
    }
    still_serves(&running).await;
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stalled_tls_handshake_is_closed() {
    let running = support::start_with("fixtures.yml", settings()).await;
    let mut stream = raw::connect(running.emulator().address()).await;
    // The start of a TLS record header, then nothing.
    stream.write_all(&[0x16, 0x03, 0x01]).await.unwrap();
    assert!(raw::closed_within(&mut stream, HEADER_TIMEOUT * 3).await);
    still_serves(&running).await;
    running.stop().await;
}

/// Sends a request head announcing 1,000 bytes of body, then 10 of them.
async fn stalled_body(running: &support::Running, path: &str, headers: &str) -> String {
    let address = running.emulator().address();
    let mut stream = raw::connect(address).await;
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {address}\r\n{}: {}\r\n{headers}Content-Length: 1000\r\n\r\n",
        raw::SIGNED.0,
        raw::SIGNED.1
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&[b'x'; 10]).await.unwrap();
    let response = raw::read_head(&mut stream).await;
    drop(stream);
    response
}

#[tokio::test(flavor = "multi_thread")]
async fn a_body_that_never_arrives_gets_408() {
    let mut running = support::start_with("fixtures.yml", settings()).await;
    let _ws = support::connect(&running.url()).await;
    let id = running.logged_event("$connect").await["requestContext"]["connectionId"]
        .as_str()
        .unwrap()
        .to_owned();
    let head = stalled_body(&running, &raw::connection_path(&id), "").await;
    assert_eq!(raw::status(&head), 408, "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("x-amzn-errortype: requesttimeoutexception"),
        "{head}"
    );
    let head = stalled_body(
        &running,
        "/",
        "X-Amz-Target: DynamoDB_20120810.ListTables\r\n",
    )
    .await;
    assert_eq!(raw::status(&head), 408, "{head}");
    still_serves(&running).await;
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_idle_keep_alive_connection_is_closed_after_the_header_timeout() {
    let running = support::start_with("fixtures.yml", settings()).await;
    let address = running.emulator().address();
    let mut stream = raw::connect(address).await;
    let request = format!("GET /nowhere HTTP/1.1\r\nHost: {address}\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let head = raw::read_head(&mut stream).await;
    assert_eq!(raw::status(&head), 403, "{head}");
    assert!(raw::closed_within(&mut stream, HEADER_TIMEOUT * 3).await);
    still_serves(&running).await;
    running.stop().await;
}
