//! The WebSocket under a connection: API Gateway's frame limits, what each
//! thing the client sends means for the connection, writing the queued
//! frames, and closing as RFC 6455 asks. The connection's loop
//! ([`super::connection`]) drives these.

use std::time::Duration;

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::error::ProtocolError;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use super::api::{MAX_FRAME_BYTES, MAX_MESSAGE_BYTES};
use crate::emulator::connections::{Connection, Frames, Outgoing};
use crate::emulator::events::{Event, EventBus};

/// Each connection's read buffer; it grows for larger frames.
const READ_BUFFER_BYTES: usize = 4 * 1024;
/// How long a closing connection waits for the client's close frame.
const CLOSE_GRACE: Duration = Duration::from_secs(1);
/// What `$disconnect` reports for a client gone without a closing handshake.
const VANISHED_CODE: u16 = 1006;
const VANISHED_REASON: &str = "Connection closed abnormally";

pub(super) type Socket = WebSocketStream<TokioIo<Upgraded>>;
pub(super) type Sink = SplitSink<Socket, Message>;
pub(super) type Stream = SplitStream<Socket>;

/// The close code and reason `$disconnect` reports.
pub(super) struct Closing {
    pub(super) code: u16,
    pub(super) reason: String,
}

impl Closing {
    /// A client gone without a closing handshake.
    pub(super) fn vanished() -> Self {
        Self {
            code: VANISHED_CODE,
            reason: VANISHED_REASON.to_owned(),
        }
    }
}

/// Why the connection's loop ended, and so how it closes.
pub(super) enum End {
    /// The client sent its close frame (tungstenite answers it).
    ClientClosed(Closing),
    /// The emulator closes with this code and reason.
    Close(CloseCode, String),
    /// The client is gone, or took nothing for the write timeout.
    Vanished,
}

impl End {
    /// API Gateway's close for an idle or too old connection.
    pub(super) fn going_away() -> Self {
        End::Close(CloseCode::Away, "Going away".into())
    }
}

/// What one read from the client means.
pub(super) enum Read {
    /// A message to route.
    Text(String),
    /// A ping or a pong: the client is there.
    Alive,
    /// Nothing for the connection (a raw frame).
    Nothing,
    End(End),
}

/// The socket over the upgraded connection, with API Gateway's limits.
pub(super) async fn open(upgraded: Upgraded) -> Socket {
    // tungstenite's default 128 KiB read buffer per connection is what held
    // 10,000 idle connections at 1.3 GB; frames are at most 32 KB anyway.
    let config = WebSocketConfig::default()
        .read_buffer_size(READ_BUFFER_BYTES)
        .max_message_size(Some(MAX_MESSAGE_BYTES))
        .max_frame_size(Some(MAX_FRAME_BYTES));
    WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, Some(config)).await
}

/// What the client's next frame (or the lack of one) means.
pub(super) fn read(frame: Option<Result<Message, WsError>>, connection_id: &str) -> Read {
    match frame {
        Some(Ok(Message::Text(text))) => Read::Text(text.as_str().to_owned()),
        Some(Ok(Message::Ping(_) | Message::Pong(_))) => Read::Alive,
        Some(Ok(Message::Binary(_))) => Read::End(End::Close(
            CloseCode::Unsupported,
            "Binary frames are not supported".into(),
        )),
        Some(Ok(Message::Close(frame))) => {
            // tungstenite answers the close frame itself; report what the client sent.
            let closing = match frame {
                Some(frame) => Closing {
                    code: frame.code.into(),
                    reason: frame.reason.as_str().to_owned(),
                },
                None => Closing {
                    code: 1005,
                    reason: "Client-side close frame status not set".into(),
                },
            };
            Read::End(End::ClientClosed(closing))
        }
        Some(Ok(Message::Frame(_))) => Read::Nothing,
        Some(Err(WsError::Capacity(error))) => {
            tracing::debug!(%error, %connection_id, "frame or message over the limit");
            Read::End(End::Close(CloseCode::Size, "Message too big".into()))
        }
        Some(Err(error)) => {
            tracing::debug!(%error, %connection_id, "the client broke the protocol");
            Read::End(match violation(&error) {
                Some((code, reason)) => End::Close(code, reason.into()),
                None => End::Vanished,
            })
        }
        None => Read::End(End::Vanished),
    }
}

/// Writes the connection's queued frames in order until one cannot be
/// written within `timeout` or a close is asked for (`DeleteConnection`).
pub(super) async fn write_queued(
    events: &EventBus,
    connection: &Connection,
    frames: &mut Frames,
    sink: &mut Sink,
    timeout: Duration,
) -> End {
    // The frame holds its place in the queue until it is written.
    while let Some((outgoing, request_id, queued)) = frames.recv().await {
        let (message, text) = match outgoing {
            Outgoing::Text(text) => (Message::text(text.clone()), text),
            Outgoing::Binary(data) => {
                let text = String::from_utf8_lossy(&data).into_owned();
                (Message::binary(data), text)
            }
            Outgoing::Close { code, reason } => return End::Close(CloseCode::from(code), reason),
        };
        if !write(sink, message, timeout).await {
            return End::Vanished;
        }
        // Written: its place is free before the event is told.
        drop(queued);
        events.emit(Event::FrameOut {
            connection_id: connection.id.clone(),
            text,
            request_id,
        });
    }
    // The queue's sender lives as long as the connection: nothing more to write.
    std::future::pending().await
}

/// Closes the socket as `end` asks; the code and reason `$disconnect` reports.
pub(super) async fn close(sink: Sink, stream: Stream, end: End) -> Closing {
    let Ok(mut socket) = sink.reunite(stream) else {
        // The two halves of one socket: they always fit.
        return Closing::vanished();
    };
    match end {
        End::ClientClosed(closing) => {
            drain(&mut socket).await;
            closing
        }
        End::Close(code, reason) => close_with(&mut socket, code, &reason).await,
        End::Vanished => Closing::vanished(),
    }
}

/// The close RFC 6455 asks for when a client breaks the protocol (§7.4.1):
/// 1007 for text that is not UTF-8, 1002 for a malformed frame. `None` for a
/// connection that simply ended.
fn violation(error: &WsError) -> Option<(CloseCode, &'static str)> {
    match error {
        WsError::Utf8(_) => Some((CloseCode::Invalid, "Invalid frame payload data")),
        WsError::Protocol(
            ProtocolError::ResetWithoutClosingHandshake
            | ProtocolError::SendAfterClosing
            | ProtocolError::ReceivedAfterClosing,
        ) => None,
        WsError::Protocol(_) => Some((CloseCode::Protocol, "Protocol error")),
        _ => None,
    }
}

/// Writes one frame; false when the client is gone or has read nothing for
/// `timeout` (its buffers full): the connection then ends as vanished.
async fn write(sink: &mut Sink, message: Message, timeout: Duration) -> bool {
    matches!(
        tokio::time::timeout(timeout, sink.send(message)).await,
        Ok(Ok(()))
    )
}

/// Sends a close frame, waits briefly for the client's, and reports the code.
async fn close_with(socket: &mut Socket, code: CloseCode, reason: &str) -> Closing {
    let frame = CloseFrame {
        code,
        reason: reason.to_owned().into(),
    };
    // The client may already be gone, or read nothing; the connection ends either way.
    let _ = tokio::time::timeout(CLOSE_GRACE, socket.send(Message::Close(Some(frame)))).await;
    drain(socket).await;
    Closing {
        code: code.into(),
        reason: reason.to_owned(),
    }
}

/// Reads until the closing handshake completes or the grace period ends.
async fn drain(socket: &mut Socket) {
    let _ = tokio::time::timeout(CLOSE_GRACE, async {
        while let Some(Ok(_)) = socket.next().await {}
    })
    .await;
}
