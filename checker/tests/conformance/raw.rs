//! Raw TCP clients, for what no well-behaved client sends: handshakes left
//! half done, malformed frames, requests that never finish.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support;

/// A SigV4-looking header: the emulator checks its presence only.
pub const SIGNED: (&str, &str) = (
    "Authorization",
    "AWS4-HMAC-SHA256 Credential=AKIDTEST/20240101/eu-west-1/execute-api/aws4_request, SignedHeaders=host, Signature=0",
);

/// A WebSocket opening handshake for `path`, with `extra` header lines.
pub fn upgrade_request(address: SocketAddr, path: &str, extra: &str) -> String {
    format!(
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n{extra}\r\n"
    )
}

pub async fn connect(address: SocketAddr) -> TcpStream {
    TcpStream::connect(address)
        .await
        .expect("the emulator listens")
}

/// Sends a handshake for `path` and reads the response's head; returns the
/// stream and the head.
pub async fn handshake(address: SocketAddr, path: &str, extra: &str) -> (TcpStream, String) {
    let mut stream = connect(address).await;
    stream
        .write_all(upgrade_request(address, path, extra).as_bytes())
        .await
        .expect("the request is sent");
    let head = read_head(&mut stream).await;
    (stream, head)
}

/// Reads up to the end of a response's head, byte by byte (nothing after it is consumed).
pub async fn read_head(stream: &mut TcpStream) -> String {
    let mut head = Vec::new();
    tokio::time::timeout(support::WAIT, async {
        while !head.ends_with(b"\r\n\r\n") {
            let mut byte = [0_u8; 1];
            match stream.read(&mut byte).await {
                Ok(1) => head.push(byte[0]),
                _ => break,
            }
        }
    })
    .await
    .expect("the response arrives in time");
    String::from_utf8_lossy(&head).into_owned()
}

/// The status code of a response head.
pub fn status(head: &str) -> u16 {
    head.split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not a response: {head:?}"))
}

/// One client frame with a payload under 126 bytes: `first` is the FIN,
/// RSV and opcode byte; `masked` as clients must (RFC 6455 §5.3).
pub fn frame(first: u8, payload: &[u8], masked: bool) -> Vec<u8> {
    let length = u8::try_from(payload.len()).expect("a short payload");
    assert!(length < 126);
    let mut bytes = vec![first];
    if masked {
        let mask = [0x37, 0xfa, 0x21, 0x3d];
        bytes.push(0x80 | length);
        bytes.extend(mask);
        bytes.extend(
            payload
                .iter()
                .enumerate()
                .map(|(index, byte)| byte ^ mask[index % 4]),
        );
    } else {
        bytes.push(length);
        bytes.extend(payload);
    }
    bytes
}

/// Reads server frames until a close frame; its code and reason.
pub async fn read_close(stream: &mut TcpStream) -> (u16, String) {
    tokio::time::timeout(support::WAIT, async {
        loop {
            let mut header = [0_u8; 2];
            stream
                .read_exact(&mut header)
                .await
                .expect("a frame before the connection ends");
            let length = match header[1] & 0x7f {
                126 => {
                    let mut extended = [0_u8; 2];
                    stream.read_exact(&mut extended).await.expect("a length");
                    usize::from(u16::from_be_bytes(extended))
                }
                127 => panic!("unexpectedly long frame"),
                short => usize::from(short),
            };
            let mut payload = vec![0_u8; length];
            stream.read_exact(&mut payload).await.expect("a payload");
            if header[0] & 0x0f == 0x8 {
                let code = u16::from_be_bytes([payload[0], payload[1]]);
                return (code, String::from_utf8_lossy(&payload[2..]).into_owned());
            }
        }
    })
    .await
    .expect("a close frame arrives in time")
}

/// Whether the server ends the connection within `within` (end of file or
/// reset), reading and discarding anything it sends first.
pub async fn closed_within(stream: &mut TcpStream, within: Duration) -> bool {
    tokio::time::timeout(within, async {
        let mut sink = [0_u8; 1024];
        loop {
            match stream.read(&mut sink).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await
    .is_ok()
}

/// `/dev/@connections/{id}`, the id percent-encoded as the SDK does (ids hold `+`, `/` and `=`).
pub fn connection_path(id: &str) -> String {
    let id = percent_encoding::utf8_percent_encode(id, percent_encoding::NON_ALPHANUMERIC);
    format!("/dev/@connections/{id}")
}
