//! The handshake: `$connect` decides it; paths; plain HTTP; the CONNECT event.

use std::time::Duration;

use aws_lambda_events::apigw::ApiGatewayWebsocketProxyRequest;
use checker::emulator::events::Event;
use tokio_tungstenite::tungstenite::Error as WsError;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::support;

fn handshake_status(result: Result<impl Sized, WsError>) -> u16 {
    match result {
        Err(WsError::Http(response)) => response.status().as_u16(),
        Err(other) => panic!("expected an HTTP rejection, got {other}"),
        Ok(_) => panic!("expected the handshake to be rejected"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn connect_is_accepted_and_gets_a_connect_event() {
    let mut running = support::start("fixtures.yml").await;
    let url = format!("{}?room=blue&room=red&user=ann", running.url());
    let _ws = support::connect(&url).await;
    let event = running.logged_event("$connect").await;
    let request: ApiGatewayWebsocketProxyRequest =
        serde_json::from_value(event.clone()).expect("the CONNECT event deserializes");
    let context = &request.request_context;
    assert_eq!(context.event_type.as_deref(), Some("CONNECT"));
    assert_eq!(context.message_direction.as_deref(), Some("IN"));
    assert_eq!(context.stage.as_deref(), Some("dev"));
    assert_eq!(context.connected_at, context.request_time_epoch);
    assert_eq!(context.apiid.as_deref().map(str::len), Some(10));
    let id = context.connection_id.clone().expect("a connection id");
    assert_eq!(id.len(), 16, "{id}");
    assert!(id.ends_with('='), "{id}");
    assert_eq!(request.query_string_parameters.first("user"), Some("ann"));
    assert_eq!(
        request.multi_value_query_string_parameters.all("room"),
        Some(vec!["blue", "red"])
    );
    for header in [
        "Host",
        "Sec-WebSocket-Key",
        "Sec-WebSocket-Version",
        "X-Forwarded-For",
        "X-Amzn-Trace-Id",
    ] {
        assert!(
            event["headers"].get(header).is_some(),
            "missing header {header} in {}",
            event["headers"]
        );
        assert!(event["multiValueHeaders"][header].is_array(), "{header}");
    }
    assert!(event.get("body").is_none());
    let time = event["requestContext"]["requestTime"].as_str().unwrap();
    assert!(
        regex_lite::Regex::new(r"^\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} \+0000$")
            .unwrap()
            .is_match(time),
        "{time}"
    );
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn connect_status_becomes_the_handshake_status() {
    let running = support::start("fixtures.yml").await;
    for status in [400, 401, 403, 500] {
        let url = format!("{}?reject={status}", running.url());
        let result = tokio_tungstenite::connect_async(url).await;
        assert_eq!(handshake_status(result), status);
    }
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_connect_lambda_gives_502() {
    let mut running = support::start("fixtures.yml").await;
    for failure in ["error", "panic", "exit"] {
        let url = format!("{}?connect={failure}", running.url());
        let result = tokio_tungstenite::connect_async(url).await;
        assert_eq!(handshake_status(result), 502, "connect={failure}");
        let status = running
            .wait_for(|event| match event {
                Event::ConnectRejected { status, .. } => Some(*status),
                _ => None,
            })
            .await;
        assert_eq!(status, 502);
    }
    // The emulator keeps serving after all three.
    let _ws = support::connect(&running.url()).await;
    running.stop().await;
}

/// `identity.userAgent` is the handshake's `User-Agent`, and absent (not `""`)
/// when the client sends none; both deserialize for a Rust handler.
#[tokio::test(flavor = "multi_thread")]
async fn the_identity_has_a_user_agent_only_when_the_client_sends_one() {
    let mut running = support::start("fixtures.yml").await;
    // tungstenite sends no User-Agent of its own.
    let _anonymous = support::connect(&running.url()).await;
    let event = running.logged_event("$connect").await;
    let identity = &event["requestContext"]["identity"];
    assert_eq!(identity["sourceIp"], "127.0.0.1");
    assert!(identity.get("userAgent").is_none(), "{identity}");
    let request: ApiGatewayWebsocketProxyRequest =
        serde_json::from_value(event.clone()).expect("the event deserializes");
    assert_eq!(request.request_context.identity.user_agent, None);

    let mut request = running.url().into_client_request().unwrap();
    request
        .headers_mut()
        .insert("User-Agent", "wscat/6.0".parse().unwrap());
    let _named = tokio_tungstenite::connect_async(request)
        .await
        .expect("accepted");
    let event = running.logged_event("$connect").await;
    assert_eq!(
        event["requestContext"]["identity"]["userAgent"],
        "wscat/6.0"
    );
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn connect_response_headers_reach_the_client() {
    let running = support::start("fixtures.yml").await;
    let mut request = running.url().into_client_request().unwrap();
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        "chat.v2, chat.v1".parse().unwrap(),
    );
    let (_ws, response) = tokio_tungstenite::connect_async(request)
        .await
        .expect("accepted");
    assert_eq!(response.headers()["sec-websocket-protocol"], "chat.v2");
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn root_and_stage_paths_connect_other_paths_are_forbidden() {
    let running = support::start("fixtures.yml").await;
    let address = running.emulator().address();
    support::connect(&format!("ws://{address}")).await;
    support::connect(&format!("ws://{address}/")).await;
    support::connect(&format!("ws://{address}/dev")).await;
    let result = tokio_tungstenite::connect_async(format!("ws://{address}/prod")).await;
    assert_eq!(handshake_status(result), 403);
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn plain_http_gets_426() {
    let running = support::start("fixtures.yml").await;
    let address = running.emulator().address();
    for path in ["/", "/dev"] {
        let response = support::raw_http(address, "GET", path, &[], b"").await;
        assert_eq!(response.status, 426, "{path}: {response:?}");
    }
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_connect_route_every_connection_is_accepted() {
    let mut running = support::start("echo-only.yml").await;
    let mut ws = support::connect(&running.url()).await;
    support::send(&mut ws, r#"{"action":"echo","text":"hi"}"#).await;
    assert_eq!(
        support::next_text(&mut ws).await,
        r#"{"action":"echo","text":"hi"}"#
    );
    let started = tokio::time::timeout(
        Duration::from_millis(300),
        running.wait_for(|event| match event {
            Event::InvocationStarted { route_key, .. } if route_key == "$connect" => Some(()),
            _ => None,
        }),
    )
    .await;
    assert!(
        started.is_err(),
        "no $connect route, so no $connect invocation"
    );
    running.stop().await;
}
