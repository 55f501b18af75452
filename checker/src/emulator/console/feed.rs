//! The console's feed: a WebSocket at `/@console/feed` that sends the run's
//! history, then every event as it happens, as JSON text frames:
//! `{"kind":"hello","stack":…,"evicted":N}` once, then
//! `{"kind":"events","events":[…]}` batches: the history, then
//! `{"kind":"live"}` once, then each event as it happens. When this page
//! fell behind, `{"kind":"skipped","count":N}` where events are missing.
//!
//! What a page that reads nothing can hold is bounded: its queue (in events
//! and bytes; the events themselves are shared with the history), one frame
//! of at most about `FRAME_BYTES`, for `SEND_TIMEOUT`; and at most
//! `MAX_FEEDS` pages follow the run at once.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
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
    bytes: 4 << 20,
};
/// Events per frame: a page opened late gets its history in a few frames.
const BATCH: usize = 512;
/// Roughly the bytes of events one frame carries (a larger event goes alone):
/// what a page that does not read holds the emulator to.
const FRAME_BYTES: usize = 1 << 20;
/// Pages that may follow the run at once (a class projector, a few tabs);
/// more are refused with 503 until one closes.
const MAX_FEEDS: usize = 16;
/// A page that does not read for this long is dropped.
const SEND_TIMEOUT: Duration = Duration::from_secs(20);
/// The page sends nothing but pings and its close.
const MAX_INCOMING_BYTES: usize = 4 * 1024;

type Socket = WebSocketStream<TokioIo<Upgraded>>;

/// The feeds open now.
#[derive(Debug, Default)]
pub(crate) struct Feeds {
    open: Arc<AtomicUsize>,
}

/// One open feed's place among `MAX_FEEDS`, given back when it ends.
struct Place(Arc<AtomicUsize>);

impl Drop for Place {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Feeds {
    fn take_place(&self) -> Option<Place> {
        self.open
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |open| {
                (open < MAX_FEEDS).then_some(open + 1)
            })
            .ok()
            .map(|_| Place(self.open.clone()))
    }
}

/// Accepts the page's WebSocket and streams `events` to it, after the `stack`.
pub(super) fn upgrade(
    feeds: &Feeds,
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
    let Some(place) = feeds.take_place() else {
        return response::json_message(
            StatusCode::SERVICE_UNAVAILABLE,
            &format!(
                "{MAX_FEEDS} console pages follow this run already: close one and reload \
                 (a page that reads nothing is closed after {} s)",
                SEND_TIMEOUT.as_secs()
            ),
        );
    };
    let upgraded = hyper::upgrade::on(&mut request);
    tokio::spawn(async move {
        let _place = place;
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
    let mut rest = backlog.events.as_slice();
    while !rest.is_empty() {
        let (frame, after) = rest.split_at(frame_length(rest));
        if send(&mut socket, events_frame(frame)).await.is_err() {
            return;
        }
        rest = after;
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
    let mut batch_bytes = 0;
    let mut next = Some(first);
    while let Some(delivery) = next.take() {
        match delivery {
            Delivery::Event(stamped) => {
                batch_bytes += stamped.event.weight();
                batch.push(stamped);
            }
            Delivery::Skipped(count) => {
                if !batch.is_empty() {
                    send(socket, events_frame(&std::mem::take(&mut batch))).await?;
                    batch_bytes = 0;
                }
                let frame = json!({ "kind": "skipped", "count": count });
                send(socket, frame.to_string()).await?;
            }
        }
        if batch.len() >= BATCH || batch_bytes >= FRAME_BYTES {
            send(socket, events_frame(&std::mem::take(&mut batch))).await?;
            batch_bytes = 0;
        }
        next = feed.try_recv_stamped();
    }
    if !batch.is_empty() {
        send(socket, events_frame(&batch)).await?;
    }
    Ok(())
}

/// How many of `events`, from the first, go in one frame: up to `BATCH`
/// and about `FRAME_BYTES`, and at least one.
fn frame_length(events: &[Arc<Stamped>]) -> usize {
    let mut bytes = 0;
    events
        .iter()
        .take(BATCH)
        .take_while(|stamped| {
            let fits = bytes < FRAME_BYTES;
            bytes += stamped.event.weight();
            fits
        })
        .count()
        .max(1)
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
