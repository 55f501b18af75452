//! The physical floor: a plain tokio-tungstenite echo server on loopback.

use std::net::SocketAddr;

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

pub struct Floor {
    pub address: SocketAddr,
    server: JoinHandle<()>,
}

impl Floor {
    pub async fn start() -> std::io::Result<Self> {
        Self::start_with(None).await
    }

    /// With this WebSocket configuration (`None`: tungstenite's default, as the emulator's).
    pub async fn start_with(config: Option<WebSocketConfig>) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let server = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let _ = stream.set_nodelay(true);
                tokio::spawn(async move {
                    let accepted = tokio_tungstenite::accept_async_with_config(stream, config);
                    let Ok(mut ws) = accepted.await else {
                        return;
                    };
                    while let Some(Ok(message)) = ws.next().await {
                        if message.is_close() {
                            return;
                        }
                        let echo = message.is_text() || message.is_binary();
                        if echo && ws.send(message).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        Ok(Self { address, server })
    }

    pub fn url(&self) -> String {
        format!("ws://{}/", self.address)
    }

    pub fn stop(self) {
        self.server.abort();
    }
}
