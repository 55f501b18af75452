//! One open WebSocket connection: reads client frames, writes queued frames,
//! enforces API Gateway's limits and lifetimes, and runs `$disconnect` at the end.

use std::sync::Arc;
use std::time::Duration;

use futures_util::stream::SplitSink;
use futures_util::{SinkExt, StreamExt};
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::error::ProtocolError;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use crate::emulator::connections::{Connection, Frames, Outgoing, Registration};
use crate::emulator::events::Event;
use crate::emulator::{MAX_FRAME_BYTES, MAX_MESSAGE_BYTES, Shared, ids};

/// Each connection's read buffer; it grows for larger frames.
const READ_BUFFER_BYTES: usize = 4 * 1024;
/// How long a closing connection waits for the client's close frame.
const CLOSE_GRACE: Duration = Duration::from_secs(1);
/// What `$disconnect` reports for a client gone without a closing handshake.
pub(super) const VANISHED_CODE: u16 = 1006;
pub(super) const VANISHED_REASON: &str = "Connection closed abnormally";

type Socket = WebSocketStream<TokioIo<Upgraded>>;

/// The close code and reason `$disconnect` reports.
struct Closing {
    code: u16,
    reason: String,
}

pub(super) async fn run(
    shared: Arc<Shared>,
    connection: Arc<Connection>,
    mut frames: Frames,
    registration: Registration,
    upgraded: Upgraded,
    query: String,
) {
    // tungstenite's default 128 KiB read buffer per connection is what held
    // 10,000 idle connections at 1.3 GB; frames are at most 32 KB anyway.
    let config = WebSocketConfig::default()
        .read_buffer_size(READ_BUFFER_BYTES)
        .max_message_size(Some(MAX_MESSAGE_BYTES))
        .max_frame_size(Some(MAX_FRAME_BYTES));
    let socket =
        WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, Some(config)).await;
    connection.mark_open();
    shared.events.emit(Event::Connected {
        connection_id: connection.id.clone(),
        query,
    });

    let lifetime = tokio::time::sleep(shared.settings.max_lifetime);
    tokio::pin!(lifetime);
    let idle = tokio::time::sleep(shared.settings.idle_timeout);
    tokio::pin!(idle);
    // Reading and writing go on side by side, as at API Gateway: a client
    // that reads nothing can still send, and its replies then wait in its
    // bounded queue instead of holding up what it sends.
    let (mut sink, mut stream) = socket.split();
    let end = {
        let mut writing =
            std::pin::pin!(write_queued(&shared, &connection, &mut frames, &mut sink));
        loop {
            tokio::select! {
                frame = stream.next() => match frame {
                    Some(Ok(Message::Text(text))) => {
                        connection.touch();
                        idle.as_mut().reset(tokio::time::Instant::now() + shared.settings.idle_timeout);
                        let text = text.as_str().to_owned();
                        let request_id = ids::request_id();
                        shared.events.emit(Event::FrameIn {
                            connection_id: connection.id.clone(),
                            text: text.clone(),
                            request_id: request_id.clone(),
                        });
                        // API Gateway invokes each message on its own; so does the emulator.
                        let routing = shared.connections.routing();
                        let routed = super::route_message(shared.clone(), connection.clone(), text, request_id);
                        tokio::spawn(async move {
                            routed.await;
                            drop(routing);
                        });
                    }
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => {
                        idle.as_mut().reset(tokio::time::Instant::now() + shared.settings.idle_timeout);
                    }
                    Some(Ok(Message::Binary(_))) => {
                        break End::Close(CloseCode::Unsupported, "Binary frames are not supported".into());
                    }
                    Some(Ok(Message::Close(frame))) => {
                        // tungstenite answers the close frame itself; report what the client sent.
                        let closing = match frame {
                            Some(frame) => Closing { code: frame.code.into(), reason: frame.reason.as_str().to_owned() },
                            None => Closing { code: 1005, reason: "Client-side close frame status not set".into() },
                        };
                        break End::ClientClosed(closing);
                    }
                    Some(Ok(Message::Frame(_))) => {}
                    Some(Err(WsError::Capacity(error))) => {
                        tracing::debug!(%error, connection_id = %connection.id, "frame or message over the limit");
                        break End::Close(CloseCode::Size, "Message too big".into());
                    }
                    Some(Err(error)) => {
                        tracing::debug!(%error, connection_id = %connection.id, "the client broke the protocol");
                        break match violation(&error) {
                            Some((code, reason)) => End::Close(code, reason.into()),
                            None => End::Vanished,
                        };
                    }
                    None => break End::Vanished,
                },
                end = &mut writing => break end,
                () = &mut idle => break End::Close(CloseCode::Away, "Going away".into()),
                () = &mut lifetime => break End::Close(CloseCode::Away, "Going away".into()),
            }
        }
    };
    let closing = match sink.reunite(stream) {
        Ok(mut socket) => match end {
            End::ClientClosed(closing) => {
                drain(&mut socket).await;
                closing
            }
            End::Close(code, reason) => close(&mut socket, code, &reason).await,
            End::Vanished => vanished(),
        },
        // The two halves of one socket: they always fit.
        Err(_) => vanished(),
    };

    drop(registration);
    shared.events.emit(Event::Disconnected {
        connection_id: connection.id.clone(),
        status_code: closing.code,
        reason: closing.reason.clone(),
    });
    super::disconnect(shared, connection, closing.code, closing.reason).await;
}

/// Why the connection's loop ended, and so how it closes.
enum End {
    /// The client sent its close frame (tungstenite answers it).
    ClientClosed(Closing),
    /// The emulator closes with this code and reason.
    Close(CloseCode, String),
    /// The client is gone, or took nothing for the write timeout.
    Vanished,
}

/// Writes the connection's queued frames in order until one cannot be
/// written or a close is asked for (`DeleteConnection`).
async fn write_queued(
    shared: &Shared,
    connection: &Connection,
    frames: &mut Frames,
    sink: &mut SplitSink<Socket, Message>,
) -> End {
    // The frame holds its place in the queue until it is written.
    while let Some((outgoing, request_id, _queued)) = frames.recv().await {
        let (message, text) = match outgoing {
            Outgoing::Text(text) => (Message::text(text.clone()), text),
            Outgoing::Binary(data) => {
                let text = String::from_utf8_lossy(&data).into_owned();
                (Message::binary(data), text)
            }
            Outgoing::Close { code, reason } => return End::Close(CloseCode::from(code), reason),
        };
        if !write(sink, message, shared.settings.write_timeout).await {
            return End::Vanished;
        }
        shared.events.emit(Event::FrameOut {
            connection_id: connection.id.clone(),
            text,
            request_id,
        });
    }
    // The queue's sender lives as long as the connection: nothing more to write.
    std::future::pending().await
}

fn vanished() -> Closing {
    Closing {
        code: VANISHED_CODE,
        reason: VANISHED_REASON.to_owned(),
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
async fn write(sink: &mut SplitSink<Socket, Message>, message: Message, timeout: Duration) -> bool {
    matches!(
        tokio::time::timeout(timeout, sink.send(message)).await,
        Ok(Ok(()))
    )
}

/// Sends a close frame, waits briefly for the client's, and reports the code.
async fn close(socket: &mut Socket, code: CloseCode, reason: &str) -> Closing {
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
