//! Route selection, two-way routes, API Gateway's error frames, and the MESSAGE event.

use std::time::Duration;

use aws_lambda_events::apigw::ApiGatewayWebsocketProxyRequest;
use checker::emulator::events::Event;

use crate::support;

#[tokio::test(flavor = "multi_thread")]
async fn messages_route_by_the_selection_expression_with_default_fallback() {
    let mut running = support::start("fixtures.yml").await;
    let mut ws = support::connect(&running.url()).await;
    let cases = [
        (r#"{"action":"oneWay","n":1}"#, "oneWay"),
        (r#"{"action":"echo","n":2}"#, "echo"),
        (r#"{"action":"ECHO"}"#, "$default"),
        (r#"{"action":5}"#, "$default"),
        ("not json", "$default"),
        (r#"{"other":"field"}"#, "$default"),
        (r#"{"action":"$connect"}"#, "$default"),
    ];
    for (body, expected_route) in cases {
        support::send(&mut ws, body).await;
        let route = running
            .wait_for(|event| match event {
                Event::InvocationStarted { route_key, .. } if route_key != "$connect" => {
                    Some(route_key.clone())
                }
                _ => None,
            })
            .await;
        assert_eq!(route, expected_route, "{body}");
        // Let the invocation finish so the next one is not mistaken for it.
        running
            .wait_for(|event| matches!(event, Event::InvocationFinished { .. }).then_some(()))
            .await;
    }
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_two_way_route_replies_with_the_body_a_one_way_route_does_not() {
    let mut running = support::start("fixtures.yml").await;
    let mut ws = support::connect(&running.url()).await;
    support::send(&mut ws, "héllo, 世界 👋").await;
    assert_eq!(support::next_text(&mut ws).await, "héllo, 世界 👋");

    support::send(&mut ws, r#"{"action":"oneWay"}"#).await;
    running
        .wait_for(|event| match event {
            Event::InvocationFinished {
                function,
                outcome: Ok(_),
                ..
            } if function == "oneWay" => Some(()),
            _ => None,
        })
        .await;
    support::assert_silent(&mut ws, Duration::from_millis(300)).await;

    // A handler that returns JSON null sends nothing back either.
    support::send(&mut ws, "null").await;
    support::assert_silent(&mut ws, Duration::from_millis(500)).await;
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn no_matching_route_and_no_default_gets_the_forbidden_frame() {
    let running = support::start("echo-only.yml").await;
    let mut ws = support::connect(&running.url()).await;
    support::send(&mut ws, r#"{"action":"unknown"}"#).await;
    let frame = support::next_text(&mut ws).await;
    assert!(
        support::error_frame_pattern("Forbidden").is_match(&frame),
        "{frame}"
    );
    // The connection stays open.
    support::send(&mut ws, r#"{"action":"echo"}"#).await;
    assert_eq!(support::next_text(&mut ws).await, r#"{"action":"echo"}"#);
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_lambda_gets_the_internal_server_error_frame() {
    let running = support::start("fixtures.yml").await;
    let mut ws = support::connect(&running.url()).await;
    for failure in ["error", "panic", "exit"] {
        support::send(&mut ws, failure).await;
        let frame = support::next_text(&mut ws).await;
        assert!(
            support::error_frame_pattern("Internal server error").is_match(&frame),
            "{failure}: {frame}"
        );
    }
    support::send(&mut ws, "still here").await;
    assert_eq!(support::next_text(&mut ws).await, "still here");
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_message_event_has_what_aws_sends() {
    let running = support::start("fixtures.yml").await;
    let mut ws = support::connect(&running.url()).await;
    support::send(&mut ws, "event").await;
    let raw: serde_json::Value = serde_json::from_str(&support::next_text(&mut ws).await).unwrap();
    let request: ApiGatewayWebsocketProxyRequest =
        serde_json::from_value(raw.clone()).expect("the MESSAGE event deserializes");
    let context = &request.request_context;
    assert_eq!(context.event_type.as_deref(), Some("MESSAGE"));
    assert_eq!(context.route_key.as_deref(), Some("$default"));
    assert_eq!(request.body.as_deref(), Some("event"));
    assert!(context.message_id.is_some());
    assert!(context.request_time_epoch >= context.connected_at);
    assert_eq!(raw["isBase64Encoded"], false);
    assert!(
        raw.get("headers").is_none(),
        "MESSAGE events carry no headers"
    );
    let domain = context.domain_name.clone().unwrap();
    assert_eq!(domain, running.emulator().address().to_string());
    running.stop().await;
}
