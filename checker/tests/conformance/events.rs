//! The event stream tells one message's whole way: the frame in, the route
//! and the selection expression's value, the invocation with the exact
//! event JSON, the `@connections` call its Lambda made and the frame out,
//! each naming the message's request id; the Forbidden frame of an
//! unrouted message names it too. The console is built on this.

use checker::emulator::events::Event;

use crate::support;

/// The next `Routed` event: its request, the selection value and the route that took it.
async fn routed(running: &mut support::Running) -> (String, String, Option<String>) {
    running
        .wait_for(|event| match event {
            Event::Routed {
                request_id,
                selection,
                route_key,
                ..
            } => Some((request_id.clone(), selection.clone(), route_key.clone())),
            _ => None,
        })
        .await
}

#[tokio::test(flavor = "multi_thread")]
async fn every_leg_of_a_message_names_its_request() {
    let mut running = support::start("fixtures.yml").await;
    let mut ws = support::connect(&running.url()).await;
    let body = r#"{"action":"echo","text":"hi"}"#;
    support::send(&mut ws, body).await;
    assert_eq!(support::next_text(&mut ws).await, body);

    let request = running
        .wait_for(|event| match event {
            Event::FrameIn {
                text, request_id, ..
            } if text == body => Some(request_id.clone()),
            _ => None,
        })
        .await;
    let routed = routed(&mut running).await;
    assert_eq!(
        routed,
        (request.clone(), "echo".into(), Some("echo".into()))
    );
    let payload = running
        .wait_for(|event| match event {
            Event::InvocationStarted {
                request_id,
                payload,
                function,
                ..
            } if *request_id == request => {
                assert_eq!(function, "echo");
                Some(payload.clone())
            }
            _ => None,
        })
        .await;
    let event: serde_json::Value = serde_json::from_str(&payload).unwrap();
    assert_eq!(event["body"], body);
    assert_eq!(event["requestContext"]["requestId"], request.as_str());

    // The post, the frame out and the invocation's end race each other
    // (the socket's task writes the frame while the Lambda still runs), so
    // they are collected in whatever order they come.
    let (mut post, mut out, mut finished) = (None, None, None);
    while post.is_none() || out.is_none() || finished.is_none() {
        let event = running
            .wait_for(|event| match event {
                Event::Management { .. } | Event::FrameOut { .. } => Some(event.clone()),
                Event::InvocationFinished { request_id, .. } if *request_id == request => {
                    Some(event.clone())
                }
                _ => None,
            })
            .await;
        match event {
            Event::Management {
                method,
                status,
                request_id,
                ..
            } => post = Some((method, status, request_id)),
            Event::FrameOut {
                text, request_id, ..
            } => out = Some((text, request_id)),
            Event::InvocationFinished { outcome, .. } => finished = Some(outcome),
            _ => unreachable!("only the three kinds are waited for"),
        }
    }
    assert_eq!(
        post,
        Some(("POST".into(), 200, Some(request.clone()))),
        "the post is known to come from the echo's invocation"
    );
    assert_eq!(out, Some((body.to_owned(), Some(request.clone()))));
    let finished = finished.expect("the loop ends once the invocation has");
    let response: serde_json::Value =
        serde_json::from_str(&finished.expect("the echo succeeds")).unwrap();
    assert_eq!(response["statusCode"], 200);
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unrouted_message_and_its_forbidden_frame_name_the_request() {
    let mut running = support::start("echo-only.yml").await;
    let mut ws = support::connect(&running.url()).await;
    support::send(&mut ws, r#"{"action":"unknown"}"#).await;
    let frame = support::next_text(&mut ws).await;
    let routed = routed(&mut running).await;
    let (request, selection, route_key) = routed;
    assert_eq!((selection.as_str(), route_key), ("unknown", None));
    assert!(frame.contains(&request), "{frame}");
    let out = running
        .wait_for(|event| match event {
            Event::FrameOut { request_id, .. } => Some(request_id.clone()),
            _ => None,
        })
        .await;
    assert_eq!(out, Some(request));
    running.stop().await;
}
