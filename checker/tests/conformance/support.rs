//! Starting the emulator on a test stack and talking to it with real clients.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use checker::cargo_build::Profile;
use checker::emulator::events::{Event, Subscription};
use checker::emulator::{Emulator, Settings};
use checker::launch::RunningStack;
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Long enough for a cold Lambda start on a loaded 2-core machine.
pub const WAIT: Duration = Duration::from_secs(20);

pub fn stacks_dir() -> PathBuf {
    checker_testkit::checker_dir().join("tests/stacks")
}

pub struct Running {
    pub local: RunningStack,
    pub events: Subscription,
}

impl Running {
    pub fn url(&self) -> String {
        self.local.url()
    }

    pub fn emulator(&self) -> &Emulator {
        &self.local.emulator
    }

    /// Waits for the first event that `matches` returns `Some` for, skipping others.
    pub async fn wait_for<T>(&mut self, mut matches: impl FnMut(&Event) -> Option<T>) -> T {
        let found = tokio::time::timeout(WAIT, async {
            while let Some(event) = self.events.recv().await {
                if let Some(found) = matches(&event) {
                    return Some(found);
                }
            }
            None
        })
        .await;
        found
            .expect("timed out waiting for an emulator event")
            .expect("the event stream ended")
    }

    /// The JSON of the next event a fixture-lambda logged for `route_key`.
    pub async fn logged_event(&mut self, route_key: &str) -> serde_json::Value {
        self.wait_for(|event| match event {
            Event::Log { line, .. } => {
                let json: serde_json::Value =
                    serde_json::from_str(line.strip_prefix("event ")?).ok()?;
                (json["requestContext"]["routeKey"] == route_key).then_some(json)
            }
            _ => None,
        })
        .await
    }

    pub async fn stop(self) {
        self.local.shutdown().await;
    }
}

/// Starts `stack` (a file of `tests/stacks/`) on a free port.
pub async fn start(stack: &str) -> Running {
    start_with(
        stack,
        Settings {
            port: 0,
            ..Settings::default()
        },
    )
    .await
}

/// [`start`] with at most one process per function: every invocation goes
/// to the process the one before went to. With more, a second process that
/// was still starting when the first invocation came (a loaded machine) can
/// go idle after it and take the next invocation instead.
pub async fn start_one_process_each(stack: &str) -> Running {
    start_with(
        stack,
        Settings {
            port: 0,
            max_concurrency: 1,
            ..Settings::default()
        },
    )
    .await
}

/// Starts `stack`, a path under `tests/stacks/`, with `settings`.
pub async fn start_with(stack: &str, settings: Settings) -> Running {
    let file = format!("tests/stacks/{stack}");
    let local = checker_testkit::start(&file, settings, Profile::Dev)
        .await
        .expect("the test stack starts");
    let events = local.emulator.events().subscribe();
    Running { local, events }
}

pub async fn connect(url: &str) -> Ws {
    let (ws, response) = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(url))
        .await
        .expect("the handshake finishes in time")
        .expect("the handshake succeeds");
    assert_eq!(response.status(), 101);
    ws
}

pub async fn send(ws: &mut Ws, text: &str) {
    ws.send(Message::text(text))
        .await
        .expect("the frame is sent");
}

/// The next text frame; fails on anything else or after `WAIT`.
pub async fn next_text(ws: &mut Ws) -> String {
    loop {
        let message = tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("a frame arrives in time")
            .expect("the connection is still open")
            .expect("the frame is valid");
        match message {
            Message::Text(text) => return text.as_str().to_owned(),
            Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("expected a text frame, got {other:?}"),
        }
    }
}

/// Waits for the server's close frame and returns it.
pub async fn next_close(ws: &mut Ws) -> Option<CloseFrame> {
    loop {
        let message = tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("the close arrives in time");
        match message {
            Some(Ok(Message::Close(frame))) => return frame,
            Some(Ok(_)) => continue,
            Some(Err(error)) => panic!("expected a close frame, got the error {error}"),
            None => panic!("the connection ended without a close frame"),
        }
    }
}

/// Asserts that no frame arrives within `quiet`.
pub async fn assert_silent(ws: &mut Ws, quiet: Duration) {
    if let Ok(frame) = tokio::time::timeout(quiet, ws.next()).await {
        panic!("expected no frame, got {frame:?}");
    }
}

/// The API Gateway error frame for `message`, with this connection's id.
pub fn error_frame_pattern(message: &str) -> regex_lite::Regex {
    let pattern = format!(
        r#"^\{{"message": "{message}", "connectionId":"[A-Za-z0-9+/]{{15}}=", "requestId":"[A-Za-z0-9+/]{{15}}="\}}$"#
    );
    regex_lite::Regex::new(&pattern).expect("the pattern is valid")
}

#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    /// Header names in lower case.
    pub headers: BTreeMap<String, String>,
    pub body: String,
}

/// One HTTP/1.1 request over a plain TCP connection, for requests no SDK
/// would send (unsigned, odd paths, other host names).
pub async fn raw_http(
    address: std::net::SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> RawResponse {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = TcpStream::connect(address)
        .await
        .expect("the emulator listens");
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    // The emulator's address, unless the caller names another host.
    if !headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("host"))
    {
        request.push_str(&format!("Host: {address}\r\n"));
    }
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .expect("the request is sent");
    stream.write_all(body).await.expect("the body is sent");
    let mut raw = Vec::new();
    tokio::time::timeout(WAIT, stream.read_to_end(&mut raw))
        .await
        .expect("the response arrives in time")
        .expect("the response is read");
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = raw.split_once("\r\n\r\n").expect("a complete response");
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .expect("a status line");
    let headers = lines
        .filter_map(|line| line.split_once(": "))
        .map(|(name, value)| (name.to_ascii_lowercase(), value.to_owned()))
        .collect();
    RawResponse {
        status,
        headers,
        body: body.to_owned(),
    }
}
