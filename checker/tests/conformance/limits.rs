//! Frame and message limits, binary frames, lifetimes, and `$disconnect`.

use std::time::Duration;

use aws_lambda_events::apigw::ApiGatewayWebsocketProxyRequest;
use checker::emulator::Settings;
use futures_util::SinkExt;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{CloseCode, Data, OpCode};

use crate::support;

/// Sends `text` split into frames of `chunk` bytes.
async fn send_fragmented(ws: &mut support::Ws, text: &[u8], chunk: usize) {
    let pieces: Vec<&[u8]> = text.chunks(chunk).collect();
    for (index, piece) in pieces.iter().enumerate() {
        let opcode = if index == 0 {
            Data::Text
        } else {
            Data::Continue
        };
        let last = index + 1 == pieces.len();
        let frame = Frame::message(piece.to_vec(), OpCode::Data(opcode), last);
        ws.send(Message::Frame(frame))
            .await
            .expect("the frame is sent");
    }
}

async fn disconnect_event(running: &mut support::Running) -> (u64, String) {
    let event = running.logged_event("$disconnect").await;
    let request: ApiGatewayWebsocketProxyRequest =
        serde_json::from_value(event.clone()).expect("the DISCONNECT event deserializes");
    assert_eq!(
        request.request_context.event_type.as_deref(),
        Some("DISCONNECT")
    );
    for header in ["Host", "x-api-key", "X-Forwarded-For", "x-restapi"] {
        assert!(event["headers"].get(header).is_some(), "{header}");
    }
    (
        event["requestContext"]["disconnectStatusCode"]
            .as_u64()
            .unwrap(),
        event["requestContext"]["disconnectReason"]
            .as_str()
            .unwrap()
            .to_owned(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_frame_over_32_kb_closes_with_1009() {
    let mut running = support::start("fixtures.yml").await;
    let mut ws = support::connect(&running.url()).await;
    let just_fits = "a".repeat(32 * 1024);
    support::send(&mut ws, &just_fits).await;
    assert_eq!(support::next_text(&mut ws).await.len(), 32 * 1024);
    support::send(&mut ws, &"b".repeat(32 * 1024 + 1)).await;
    let close = support::next_close(&mut ws).await.expect("a close frame");
    assert_eq!(close.code, CloseCode::Size);
    assert_eq!(disconnect_event(&mut running).await.0, 1009);
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_message_over_128_kb_closes_with_1009_one_up_to_it_passes() {
    let running = support::start("fixtures.yml").await;
    let mut ws = support::connect(&running.url()).await;
    let fits = vec![b'c'; 128 * 1024];
    send_fragmented(&mut ws, &fits, 32 * 1024).await;
    assert_eq!(support::next_text(&mut ws).await.len(), 128 * 1024);
    let too_big = vec![b'd'; 128 * 1024 + 1];
    send_fragmented(&mut ws, &too_big, 32 * 1024).await;
    let close = support::next_close(&mut ws).await.expect("a close frame");
    assert_eq!(close.code, CloseCode::Size);
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_binary_frame_closes_with_1003() {
    let mut running = support::start("fixtures.yml").await;
    let mut ws = support::connect(&running.url()).await;
    ws.send(Message::binary(vec![1, 2, 3])).await.unwrap();
    let close = support::next_close(&mut ws).await.expect("a close frame");
    assert_eq!(close.code, CloseCode::Unsupported);
    assert_eq!(disconnect_event(&mut running).await.0, 1003);
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn disconnect_reports_the_clients_close_code_and_reason() {
    let mut running = support::start("fixtures.yml").await;
    let mut ws = support::connect(&running.url()).await;
    let frame = CloseFrame {
        code: CloseCode::Away,
        reason: "tab closed".into(),
    };
    ws.close(Some(frame)).await.unwrap();
    assert_eq!(
        disconnect_event(&mut running).await,
        (1001, "tab closed".to_owned())
    );

    let mut ws = support::connect(&running.url()).await;
    ws.send(Message::Close(None)).await.unwrap();
    assert_eq!(
        disconnect_event(&mut running).await,
        (1005, "Client-side close frame status not set".to_owned())
    );

    // A client that vanishes without a close frame.
    let ws = support::connect(&running.url()).await;
    drop(ws);
    assert_eq!(disconnect_event(&mut running).await.0, 1006);
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn idle_and_maximum_lifetimes_close_the_connection() {
    let idle = Settings {
        port: 0,
        idle_timeout: Duration::from_millis(600),
        ..Settings::default()
    };
    let mut running = support::start_with("fixtures.yml", idle).await;
    let mut ws = support::connect(&running.url()).await;
    // Activity keeps it open past the idle timeout...
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(300)).await;
        support::send(&mut ws, "ping").await;
        assert_eq!(support::next_text(&mut ws).await, "ping");
    }
    // ...silence closes it.
    let close = support::next_close(&mut ws).await.expect("a close frame");
    assert_eq!(close.code, CloseCode::Away);
    assert_eq!(disconnect_event(&mut running).await.0, 1001);
    running.stop().await;

    let lifetime = Settings {
        port: 0,
        max_lifetime: Duration::from_millis(800),
        ..Settings::default()
    };
    let mut running = support::start_with("fixtures.yml", lifetime).await;
    let mut ws = support::connect(&running.url()).await;
    let started = std::time::Instant::now();
    let close = support::next_close(&mut ws).await.expect("a close frame");
    assert_eq!(close.code, CloseCode::Away);
    assert!(started.elapsed() >= Duration::from_millis(700));
    assert_eq!(disconnect_event(&mut running).await.0, 1001);
    running.stop().await;
}
