//! The console's feed: a WebSocket at `/@console/feed` that sends the run's
//! history, then every event as it happens, as JSON text frames:
//! `{"kind":"hello","stack":…,"evicted":N}` once, then
//! `{"kind":"events","events":[…]}` batches: the history, then
//! `{"kind":"live"}` once, then each event as it happens. When this page
//! fell behind, `{"kind":"skipped","count":N}` where events are missing.

use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use hyper::body::Incoming;
use hyper::header;
use hyper::upgrade::Upgraded;
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};

use crate::emulator::events::{Bound, Delivery, EventBus, Stamped, Subscription};
use crate::emulator::response::{self, Response};

/// Each page's queue: a page that cannot keep up misses events (and is told
/// how many) instead of making the emulator hold them.
const FEED_BOUND: Bound = Bound {
    events: 8_192,
    bytes: 32 << 20,
};
/// Events per frame: a page opened late gets its history in a few frames.
const BATCH: usize = 512;
/// A page that does not read for this long is dropped.
const SEND_TIMEOUT: Duration = Duration::from_secs(20);
/// The page sends nothing but pings and its close.
const MAX_INCOMING_BYTES: usize = 4 * 1024;

type Socket = WebSocketStream<TokioIo<Upgraded>>;

/// Accepts the page's WebSocket and streams `events` to it, after the `stack`.
pub(super) fn upgrade(
    events: Arc<EventBus>,
    stack: Arc<Value>,
    mut request: Request<Incoming>,
) -> Response {
    let headers = request.headers();
    let version_ok = headers
        .get(header::SEC_WEBSOCKET_VERSION)
        .is_some_and(|version| version == "13");
    let Some(key) = headers
        .get(header::SEC_WEBSOCKET_KEY)
        .filter(|_| version_ok)
        .cloned()
    else {
        return response::text(
            StatusCode::BAD_REQUEST,
            "the console feed is a WebSocket: it needs Sec-WebSocket-Key and Sec-WebSocket-Version: 13",
        );
    };
    let upgraded = hyper::upgrade::on(&mut request);
    tokio::spawn(async move {
        match upgraded.await {
            Ok(upgraded) => run(&events, &stack, upgraded).await,
            Err(error) => tracing::debug!(%error, "the console left during the handshake"),
        }
    });
    response::switching_protocols(&key, Vec::new())
}

async fn run(events: &EventBus, stack: &Value, upgraded: Upgraded) {
    let config = WebSocketConfig::default()
        .max_message_size(Some(MAX_INCOMING_BYTES))
        .max_frame_size(Some(MAX_INCOMING_BYTES));
    let mut socket =
        WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, Some(config)).await;
    let (backlog, mut feed) = events.subscribe_with_history(FEED_BOUND);
    let hello = json!({
        "kind": "hello",
        "stack": stack,
        "evicted": backlog.evicted,
        "history": { "events": Bound::HISTORY.events },
    });
    if send(&mut socket, hello.to_string()).await.is_err() {
        return;
    }
    for chunk in backlog.events.chunks(BATCH) {
        if send(&mut socket, events_frame(chunk)).await.is_err() {
            return;
        }
    }
    if send(&mut socket, json!({ "kind": "live" }).to_string())
        .await
        .is_err()
    {
        return;
    }
    loop {
        tokio::select! {
            delivery = feed.recv_stamped() => {
                let Some(first) = delivery else { break };
                if forward(&mut socket, &mut feed, first).await.is_err() {
                    break;
                }
            }
            incoming = socket.next() => match incoming {
                Some(Ok(Message::Close(_)) | Err(_)) | None => break,
                Some(Ok(_)) => {}
            },
        }
    }
}

/// Sends `first` and whatever else is queued, in batches, in order.
async fn forward(socket: &mut Socket, feed: &mut Subscription, first: Delivery) -> Result<(), ()> {
    let mut batch: Vec<Arc<Stamped>> = Vec::new();
    let mut next = Some(first);
    while let Some(delivery) = next.take() {
        match delivery {
            Delivery::Event(stamped) => batch.push(stamped),
            Delivery::Skipped(count) => {
                if !batch.is_empty() {
                    send(socket, events_frame(&std::mem::take(&mut batch))).await?;
                }
                let frame = json!({ "kind": "skipped", "count": count });
                send(socket, frame.to_string()).await?;
            }
        }
        if batch.len() >= BATCH {
            send(socket, events_frame(&std::mem::take(&mut batch))).await?;
        }
        next = feed.try_recv_stamped();
    }
    if !batch.is_empty() {
        send(socket, events_frame(&batch)).await?;
    }
    Ok(())
}

/// An event as the page gets it: with the report's sentence for the ones
/// that point at a mistake.
#[derive(serde::Serialize)]
struct Shown<'a> {
    #[serde(flatten)]
    stamped: &'a Stamped,
    #[serde(skip_serializing_if = "Option::is_none")]
    explained: Option<String>,
}

fn events_frame(events: &[Arc<Stamped>]) -> String {
    let events: Vec<Shown<'_>> = events
        .iter()
        .map(|stamped| Shown {
            stamped,
            explained: stamped.event.explain(),
        })
        .collect();
    json!({ "kind": "events", "events": events }).to_string()
}

async fn send(socket: &mut Socket, text: String) -> Result<(), ()> {
    match tokio::time::timeout(SEND_TIMEOUT, socket.send(Message::text(text))).await {
        Ok(Ok(())) => Ok(()),
        _ => Err(()),
    }
}
