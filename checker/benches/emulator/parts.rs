//! Where the full path's time goes: the `@connections` leg alone (the harness
//! posts, a client receives), and the Lambda leg alone (a two-way route: the
//! Lambda's return value is the reply, no `@connections`).

use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::{Request, header};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;

use checker_testkit::load::{self, Outcome};

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

/// PostToConnection over one kept-alive HTTP/1.1 connection (hyper's client),
/// signed in form as the SDK signs: the emulator checks the scheme, not the signature.
struct Poster {
    sender: SendRequest<Full<Bytes>>,
    host: String,
    path: String,
}

const SIGNATURE: &str = "AWS4-HMAC-SHA256 Credential=AKIDBENCH/20260101/us-east-1/execute-api/aws4_request, SignedHeaders=host, Signature=0";

impl Poster {
    async fn connect(address: std::net::SocketAddr, stage: &str, id: &str) -> anyhow::Result<Self> {
        let stream = TcpStream::connect(address).await?;
        stream.set_nodelay(true)?;
        let (sender, connection) = http1::handshake(TokioIo::new(stream)).await?;
        // Ends when the sender is dropped.
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(Self {
            sender,
            host: address.to_string(),
            path: format!("/{stage}/@connections/{id}"),
        })
    }

    /// Posts `body`; returns the response's status and body.
    async fn post(&mut self, body: &str) -> anyhow::Result<(u16, String)> {
        let request = Request::post(&self.path)
            .header(header::HOST, &self.host)
            .header(header::AUTHORIZATION, SIGNATURE)
            .header(header::CONTENT_TYPE, "application/octet-stream")
            .body(Full::new(Bytes::copy_from_slice(body.as_bytes())))?;
        self.sender.ready().await?;
        let response = self.sender.send_request(request).await?;
        let status = response.status().as_u16();
        let answer = response.into_body().collect().await?.to_bytes();
        Ok((status, String::from_utf8_lossy(&answer).into_owned()))
    }
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
