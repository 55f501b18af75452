//! What a hostile or broken WebSocket client sends costs one answer and
//! leaves nothing behind: handshakes abandoned while `$connect` runs, a
//! client that reads nothing, frames that break RFC 6455, handshakes RFC 6455
//! refuses. Each test ends by serving another client.

use std::time::Duration;

use checker::emulator::Settings;
use checker::emulator::events::Event;
use checker::launch::{Launch, RunningStack};
use checker::workshop::Variant;
use futures_util::SinkExt;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpSocket;
use tokio_tungstenite::tungstenite::Message;

use crate::{raw, support};

/// Another client connects and gets its two-way echo: the emulator still serves.
async fn still_serves(running: &support::Running) {
    let mut ws = support::connect(&running.url()).await;
    support::send(&mut ws, "still there?").await;
    assert_eq!(support::next_text(&mut ws).await, "still there?");
}

/// The id of the next connection whose `$connect` started.
async fn connect_started(running: &mut support::Running) -> String {
    running
        .wait_for(|event| match event {
            Event::InvocationStarted {
                route_key,
                connection_id,
                ..
            } if route_key == "$connect" => Some(connection_id.clone()),
            _ => None,
        })
        .await
}

async fn get_connection_status(running: &support::Running, id: &str) -> u16 {
    let path = raw::connection_path(id);
    support::raw_http(
        running.emulator().address(),
        "GET",
        &path,
        &[raw::SIGNED],
        b"",
    )
    .await
    .status
}

#[tokio::test(flavor = "multi_thread")]
async fn a_handshake_abandoned_while_connect_runs_gets_its_disconnect_and_leaves_no_entry() {
    let mut running = support::start("fixtures.yml").await;
    let address = running.emulator().address();
    let mut stream = raw::connect(address).await;
    let request = raw::upgrade_request(
        address,
        "/dev?connect=sleep:800",
        "Sec-WebSocket-Version: 13\r\n",
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let id = connect_started(&mut running).await;
    // The client leaves while `$connect` still runs.
    drop(stream);
    let (code, reason) = running
        .wait_for(|event| match event {
            Event::Disconnected {
                connection_id,
                status_code,
                reason,
            } if *connection_id == id => Some((*status_code, reason.clone())),
            Event::Connected { connection_id, .. } if *connection_id == id => {
                panic!("the abandoned connection opened")
            }
            _ => None,
        })
        .await;
    assert_eq!(
        (code, reason.as_str()),
        (1006, "Connection closed abnormally")
    );
    let event = running.logged_event("$disconnect").await;
    assert_eq!(event["requestContext"]["connectionId"], id.as_str());
    assert_eq!(event["requestContext"]["disconnectStatusCode"], 1006);
    assert_eq!(get_connection_status(&running, &id).await, 410);

    // Rejected after the client left: no `$disconnect`, nothing left either.
    let mut stream = raw::connect(address).await;
    let request = raw::upgrade_request(
        address,
        "/dev?connect=sleep:500&reject=403",
        "Sec-WebSocket-Version: 13\r\n",
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let rejected = connect_started(&mut running).await;
    drop(stream);
    let status = running
        .wait_for(|event| match event {
            Event::ConnectRejected {
                connection_id,
                status,
                ..
            } if *connection_id == rejected => Some(*status),
            _ => None,
        })
        .await;
    assert_eq!(status, 403);
    assert_eq!(get_connection_status(&running, &rejected).await, 410);
    still_serves(&running).await;
    let disconnects = std::iter::from_fn(|| running.events.try_recv())
        .filter(|event| {
            matches!(event, Event::InvocationStarted { route_key, connection_id, .. }
                if route_key == "$disconnect" && *connection_id == rejected)
        })
        .count();
    assert_eq!(disconnects, 0, "a rejected connection gets no $disconnect");
    running.stop().await;
}

/// Exercise 04's solution keeps one row per connection, deleted by `$disconnect`.
async fn start_exercise_04() -> support::Running {
    let file = checker_testkit::checker_dir().join("../solutions/04-clean-exits/serverless.yml");
    let mut launch = Launch::new(file);
    launch.binary_suffix = Variant::Solution.binary_suffix();
    let local = RunningStack::start(&launch)
        .await
        .expect("04's solution builds and starts");
    let events = local.emulator.events().subscribe();
    support::Running { local, events }
}

async fn rows(running: &support::Running) -> i32 {
    crate::dynamodb::client(running)
        .scan()
        .table_name("rust-ws-04-clean-exits-dev-connections")
        .send()
        .await
        .expect("the table scans")
        .count()
}

#[tokio::test(flavor = "multi_thread")]
async fn abandoned_handshakes_leave_no_row_in_exercise_04s_table() {
    let mut running = start_exercise_04().await;
    let address = running.emulator().address();
    for _ in 0..10 {
        let mut stream = raw::connect(address).await;
        let request = raw::upgrade_request(address, "/dev", "Sec-WebSocket-Version: 13\r\n");
        stream.write_all(request.as_bytes()).await.unwrap();
        connect_started(&mut running).await;
        drop(stream);
    }
    let mut ws = support::connect(&running.url()).await;
    // Every abandoned connection's `$disconnect` deletes its row: one is left, the open client's.
    let deadline = tokio::time::Instant::now() + support::WAIT;
    while rows(&running).await != 1 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "rows left: {}",
            rows(&running).await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    support::send(&mut ws, "hello").await;
    assert_eq!(support::next_text(&mut ws).await, "hello");
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_that_reads_nothing_fills_its_queue_then_posts_get_429() {
    let settings = Settings {
        port: 0,
        write_timeout: Duration::from_secs(3),
        ..Settings::default()
    };
    let mut running = support::start_with("fixtures.yml", settings).await;
    // A small receive buffer, so the emulator's side fills soon.
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let stream = socket
        .connect(running.emulator().address())
        .await
        .expect("the emulator listens");
    let (_silent, _) = tokio_tungstenite::client_async(running.url(), stream)
        .await
        .expect("the handshake succeeds");
    let id = running.logged_event("$connect").await["requestContext"]["connectionId"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = raw::connection_path(&id);
    let body = vec![b'z'; 128 * 1024];
    let mut accepted = 0;
    let refused = loop {
        let response = support::raw_http(
            running.emulator().address(),
            "POST",
            &path,
            &[raw::SIGNED],
            &body,
        )
        .await;
        match response.status {
            200 => accepted += 1,
            _ => break response,
        }
        // 1 MiB queued plus what the kernel buffers: far less than this.
        assert!(accepted < 400, "the queue took {accepted} posts of 128 KB");
    };
    assert_eq!(refused.status, 429, "{refused:?}");
    assert_eq!(
        refused.headers["x-amzn-errortype"],
        "LimitExceededException"
    );
    assert!(refused.body.contains("not reading"), "{}", refused.body);
    still_serves(&running).await;
    // Still reading nothing: once a frame has waited `write_timeout`, it is gone.
    let code = running
        .wait_for(|event| match event {
            Event::Disconnected {
                connection_id,
                status_code,
                ..
            } if *connection_id == id => Some(*status_code),
            _ => None,
        })
        .await;
    assert_eq!(code, 1006);
    still_serves(&running).await;
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn replies_to_a_client_that_reads_nothing_are_dropped_and_reported() {
    let mut running = support::start("fixtures.yml").await;
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let stream = socket
        .connect(running.emulator().address())
        .await
        .expect("the emulator listens");
    let (mut silent, _) = tokio_tungstenite::client_async(running.url(), stream)
        .await
        .expect("the handshake succeeds");
    let id = running.logged_event("$connect").await["requestContext"]["connectionId"]
        .as_str()
        .unwrap()
        .to_owned();
    // Two-way replies of 30 KB: far more than its queue (1 MiB) and the
    // kernel's buffers hold, while it reads none.
    let message = "r".repeat(30 * 1024);
    for _ in 0..400 {
        silent
            .send(Message::text(message.clone()))
            .await
            .expect("the frame is sent");
    }
    let reason = running
        .wait_for(|event| match event {
            Event::FrameDropped {
                connection_id,
                reason,
                ..
            } if *connection_id == id => Some(reason.clone()),
            _ => None,
        })
        .await;
    assert!(reason.contains("is not reading"), "{reason}");
    // Its replies held up, it is still heard: reading does not wait on writing.
    silent
        .send(Message::text("still heard"))
        .await
        .expect("a small frame is sent");
    let heard = running
        .wait_for(|event| match event {
            Event::FrameIn {
                connection_id,
                text,
                ..
            } if *connection_id == id && text == "still heard" => Some(true),
            Event::Disconnected { connection_id, .. } if *connection_id == id => Some(false),
            _ => None,
        })
        .await;
    assert!(
        heard,
        "the emulator stopped reading a client whose replies wait"
    );
    // DeleteConnection still passes: a close is never refused for a full queue.
    let response = support::raw_http(
        running.emulator().address(),
        "DELETE",
        &raw::connection_path(&id),
        &[raw::SIGNED],
        b"",
    )
    .await;
    assert_eq!(response.status, 204, "{response:?}");
    still_serves(&running).await;
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn frames_that_break_rfc_6455_close_with_1007_or_1002() {
    let mut running = support::start("fixtures.yml").await;
    let address = running.emulator().address();
    let text = 0x81;
    let cases: [(&str, Vec<u8>, u16); 5] = [
        (
            "invalid UTF-8 text",
            raw::frame(text, &[0xc3, 0x28], true),
            1007,
        ),
        ("unmasked frame", raw::frame(text, b"hi", false), 1002),
        ("RSV1 set", raw::frame(text | 0x40, b"hi", true), 1002),
        ("data opcode 3", raw::frame(0x83, b"hi", true), 1002),
        ("control opcode 11", raw::frame(0x8b, b"", true), 1002),
    ];
    for (case, bytes, expected) in cases {
        let (mut stream, head) =
            raw::handshake(address, "/dev", "Sec-WebSocket-Version: 13\r\n").await;
        assert_eq!(raw::status(&head), 101, "{case}: {head}");
        let id = running.logged_event("$connect").await["requestContext"]["connectionId"]
            .as_str()
            .unwrap()
            .to_owned();
        stream.write_all(&bytes).await.unwrap();
        let (code, _) = raw::read_close(&mut stream).await;
        assert_eq!(code, expected, "{case}");
        let event = running.logged_event("$disconnect").await;
        assert_eq!(
            event["requestContext"]["connectionId"],
            id.as_str(),
            "{case}"
        );
        assert_eq!(
            event["requestContext"]["disconnectStatusCode"], expected,
            "{case}"
        );
        let reason = match expected {
            1007 => "Invalid frame payload data",
            _ => "Protocol error",
        };
        assert_eq!(
            event["requestContext"]["disconnectReason"], reason,
            "{case}"
        );
    }
    still_serves(&running).await;
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn handshakes_rfc_6455_refuses_are_refused() {
    let running = support::start("fixtures.yml").await;
    let address = running.emulator().address();
    let upgrade = [
        ("Upgrade", "websocket"),
        ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
    ];

    let mut headers = upgrade.to_vec();
    headers.push(("Sec-WebSocket-Version", "8"));
    let response = support::raw_http(address, "GET", "/dev", &headers, b"").await;
    assert_eq!(response.status, 426, "{response:?}");
    assert_eq!(response.headers["sec-websocket-version"], "13");

    let mut headers = upgrade.to_vec();
    headers.push(("Sec-WebSocket-Version", "13"));
    let response = support::raw_http(address, "POST", "/dev", &headers, b"").await;
    assert_eq!(response.status, 405, "{response:?}");
    assert_eq!(response.headers["allow"], "GET");

    let mut stream = raw::connect(address).await;
    let request = raw::upgrade_request(address, "/dev", "Sec-WebSocket-Version: 13\r\n")
        .replace("HTTP/1.1", "HTTP/1.0");
    stream.write_all(request.as_bytes()).await.unwrap();
    let head = raw::read_head(&mut stream).await;
    assert_eq!(raw::status(&head), 400, "{head}");
    still_serves(&running).await;
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deeply_nested_json_message_is_routed_by_default() {
    let running = support::start("fixtures.yml").await;
    let mut ws = support::connect(&running.url()).await;
    // Deeper than serde_json's recursion limit (128): not JSON to route by.
    let nested = format!("{}{}", "[".repeat(15_000), "]".repeat(15_000));
    support::send(&mut ws, &nested).await;
    assert_eq!(support::next_text(&mut ws).await, nested);
    still_serves(&running).await;
    running.stop().await;
}
