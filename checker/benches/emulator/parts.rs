//! Where the full path's time goes: the `@connections` leg alone (the harness
//! posts, a client receives), and the Lambda leg alone (a two-way route: the
//! Lambda's return value is the reply, no `@connections`).

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;

use crate::load::{self, Outcome};

/// The connection id of `ws`, asked of fixture-lambda (`event` replies the event).
async fn connection_id(ws: &mut load::Ws) -> anyhow::Result<String> {
    ws.send(Message::text("event")).await?;
    loop {
        let message = tokio::time::timeout(Duration::from_secs(20), ws.next())
            .await?
            .ok_or_else(|| anyhow::anyhow!("closed"))??;
        if let Message::Text(text) = message {
            let event: serde_json::Value = serde_json::from_str(text.as_str())?;
            return event["requestContext"]["connectionId"]
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| anyhow::anyhow!("no connection id in {text}"));
        }
    }
}

/// PostToConnection by hand over one kept-alive plain HTTP connection, as the
/// SDK does (signed in form: the emulator checks the scheme, not the signature).
struct Poster {
    stream: TcpStream,
    host: String,
    path: String,
    buffer: Vec<u8>,
}

impl Poster {
    async fn connect(address: std::net::SocketAddr, stage: &str, id: &str) -> anyhow::Result<Self> {
        let stream = TcpStream::connect(address).await?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream,
            host: address.to_string(),
            path: format!("/{stage}/@connections/{id}"),
            buffer: Vec::new(),
        })
    }

    /// Posts `body`; returns the response's status and body.
    async fn post(&mut self, body: &str) -> anyhow::Result<(u16, String)> {
        let request = format!(
            "POST {} HTTP/1.1\r\nhost: {}\r\nauthorization: AWS4-HMAC-SHA256 Credential=AKIDBENCH/20260101/us-east-1/execute-api/aws4_request, SignedHeaders=host, Signature=0\r\ncontent-type: application/octet-stream\r\ncontent-length: {}\r\n\r\n{}",
            self.path,
            self.host,
            body.len(),
            body
        );
        self.stream.write_all(request.as_bytes()).await?;
        // Read the head, then the body its content-length announces.
        loop {
            if let Some(end) = find(&self.buffer, b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&self.buffer[..end]).to_string();
                let status: u16 = head
                    .split_whitespace()
                    .nth(1)
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(0);
                let length: usize = head
                    .lines()
                    .find_map(|line| {
                        let (name, value) = line.split_once(':')?;
                        name.eq_ignore_ascii_case("content-length")
                            .then(|| value.trim().parse().ok())?
                    })
                    .unwrap_or(0);
                while self.buffer.len() < end + 4 + length {
                    self.read_more().await?;
                }
                let answer =
                    String::from_utf8_lossy(&self.buffer[end + 4..end + 4 + length]).to_string();
                self.buffer.drain(..end + 4 + length);
                return Ok((status, answer));
            }
            self.read_more().await?;
        }
    }

    async fn read_more(&mut self) -> anyhow::Result<()> {
        let mut chunk = [0_u8; 4096];
        let read = self.stream.read(&mut chunk).await?;
        anyhow::ensure!(read > 0, "the management connection closed");
        self.buffer.extend_from_slice(&chunk[..read]);
        Ok(())
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

/// Posts `count` messages to one client's connection, each after the previous
/// one arrived; returns post → frame round trips.
pub async fn connections_leg(
    url: &str,
    address: std::net::SocketAddr,
    stage: &str,
    count: usize,
) -> anyhow::Result<Outcome> {
    let mut ws = load::connect_many(url, 1, 1)
        .await
        .pop()
        .flatten()
        .ok_or_else(|| anyhow::anyhow!("cannot connect"))?;
    let id = connection_id(&mut ws).await?;
    let mut poster = Poster::connect(address, stage, &id).await?;
    let mut outcome = Outcome::default();
    outcome.tally.clients = 1;
    let began = Instant::now();
    for seq in 0..count {
        let body = load::body(0, seq);
        let sent_at = Instant::now();
        let (status, answer) = poster.post(&body).await?;
        anyhow::ensure!(
            status == 200,
            "PostToConnection answered {status}: {answer}"
        );
        outcome.tally.sent += 1;
        loop {
            let message = tokio::time::timeout(Duration::from_secs(10), ws.next())
                .await?
                .ok_or_else(|| anyhow::anyhow!("closed"))??;
            outcome.tally.received += 1;
            if message.to_text().ok() == Some(body.as_str()) {
                outcome.tally.echoed += 1;
                outcome.latencies.push(sent_at.elapsed());
                break;
            }
            outcome.tally.unexpected += 1;
        }
    }
    outcome.elapsed = began.elapsed();
    let _ = ws.close(None).await;
    Ok(outcome)
}
