//! A named WebSocket client whose every observation can be written down.

use std::fmt;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long a handshake may take, `$connect` Lambda included.
const HANDSHAKE_WAIT: Duration = Duration::from_secs(15);

pub struct Client {
    name: String,
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

/// What one wait on a client produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Observed {
    Text(String),
    Binary(usize),
    Closed { code: u16, reason: String },
    Nothing,
    Lost(String),
}

impl fmt::Display for Observed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Text(text) => write!(f, "receives: {text}"),
            Self::Binary(length) => write!(f, "receives a binary frame of {length} bytes"),
            Self::Closed { code, reason } if reason.is_empty() => {
                write!(f, "is disconnected with code {code}")
            }
            Self::Closed { code, reason } => {
                write!(f, "is disconnected with code {code} ({reason})")
            }
            Self::Nothing => write!(f, "receives nothing"),
            Self::Lost(error) => write!(f, "loses its connection: {error}"),
        }
    }
}

/// Why a handshake did not open a connection, as a transcript says it.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    #[error("no answer within {} s", HANDSHAKE_WAIT.as_secs())]
    Silent,
    /// `$connect` (or the gateway) answered with this HTTP status.
    #[error("rejected with HTTP {0}")]
    Status(u16),
    #[error("fails: {0}")]
    Failed(WsError),
}

impl Client {
    /// Connects, or says why the handshake failed.
    pub async fn connect(url: &str, name: &str) -> Result<Self, Refused> {
        let connected =
            tokio::time::timeout(HANDSHAKE_WAIT, tokio_tungstenite::connect_async(url)).await;
        match connected {
            Err(_) => Err(Refused::Silent),
            Ok(Err(WsError::Http(response))) => Err(Refused::Status(response.status().as_u16())),
            Ok(Err(error)) => Err(Refused::Failed(error)),
            Ok(Ok((socket, _))) => Ok(Self {
                name: name.to_owned(),
                socket,
            }),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub async fn send(&mut self, text: &str) -> Result<(), WsError> {
        self.socket.send(Message::text(text)).await
    }

    /// The next frame within `wait`, skipping pings and pongs.
    pub async fn receive(&mut self, wait: Duration) -> Observed {
        self.receive_until(tokio::time::Instant::now() + wait).await
    }

    /// The next frame before `deadline`, skipping pings and pongs. A frame
    /// already received is returned even when the deadline has passed.
    pub async fn receive_until(&mut self, deadline: tokio::time::Instant) -> Observed {
        loop {
            let Ok(next) = tokio::time::timeout_at(deadline, self.socket.next()).await else {
                return Observed::Nothing;
            };
            return match next {
                Some(Ok(Message::Text(text))) => Observed::Text(text.as_str().to_owned()),
                Some(Ok(Message::Binary(data))) => Observed::Binary(data.len()),
                Some(Ok(Message::Close(frame))) => match frame {
                    Some(frame) => Observed::Closed {
                        code: frame.code.into(),
                        reason: frame.reason.as_str().to_owned(),
                    },
                    None => Observed::Closed {
                        code: 1005,
                        reason: String::new(),
                    },
                },
                Some(Ok(_)) => continue,
                Some(Err(error)) => Observed::Lost(error.to_string()),
                None => Observed::Lost("the connection ended".to_owned()),
            };
        }
    }

    /// Closes with a normal close frame; a connection already gone is fine.
    pub async fn close(&mut self) {
        let _ = tokio::time::timeout(Duration::from_secs(2), self.socket.close(None)).await;
    }
}
