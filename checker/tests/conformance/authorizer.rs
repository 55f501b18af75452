//! `$connect`'s Lambda REQUEST authorizer, driven with a raw WebSocket
//! client: a missing identity is 401 without the authorizer running; its
//! policy allows (the handshake goes on to `$connect`) or denies (403); its
//! failure is 500, "Unauthorized" 401; what it allows the connection with
//! reaches `requestContext.authorizer` of `$connect` and of every later route.

use aws_lambda_events::apigw::ApiGatewayWebsocketProxyRequest;
use checker::emulator::events::Event;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Error as WsError;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::support::{self, Running};

const STACK: &str = "authorizer.yml";

async fn handshake_status(url: &str) -> u16 {
    let result = tokio::time::timeout(support::WAIT, tokio_tungstenite::connect_async(url))
        .await
        .expect("the handshake finishes in time");
    match result {
        Err(WsError::Http(response)) => response.status().as_u16(),
        Err(other) => panic!("expected an HTTP rejection, got {other}"),
        Ok(_) => panic!("expected the handshake to be refused"),
    }
}

/// The functions invoked and the authorizer's refusal, up to the handshake's rejection.
async fn until_rejected(running: &mut Running) -> (Vec<String>, Option<(u16, String)>) {
    let mut invoked = Vec::new();
    let mut refused = None;
    running
        .wait_for(|event| match event {
            Event::InvocationStarted { function, .. } => {
                invoked.push(function.clone());
                None
            }
            Event::AuthorizerRefused { status, reason, .. } => {
                refused = Some((*status, reason.clone()));
                None
            }
            Event::ConnectRejected { .. } => Some(()),
            _ => None,
        })
        .await;
    (invoked, refused)
}

#[tokio::test(flavor = "multi_thread")]
async fn an_allowed_connection_carries_the_authorizer_context_on_every_route() {
    let mut running = support::start(STACK).await;
    let url = format!("{}?token=allow:ann", running.url());
    let mut ws = support::connect(&url).await;

    let authorizer_event = running
        .wait_for(|event| match event {
            Event::Log { line, .. } => line.strip_prefix("authorizer-event ").map(str::to_owned),
            _ => None,
        })
        .await;
    let authorizer_event: Value = serde_json::from_str(&authorizer_event).unwrap();
    assert_eq!(authorizer_event["type"], "REQUEST");
    let method_arn = authorizer_event["methodArn"].as_str().unwrap();
    let api_id = authorizer_event["requestContext"]["apiId"]
        .as_str()
        .unwrap();
    assert_eq!(
        method_arn,
        format!("arn:aws:execute-api:eu-west-1:000000000000:{api_id}/dev/$connect")
    );
    assert_eq!(
        authorizer_event["queryStringParameters"]["token"],
        "allow:ann"
    );
    assert_eq!(authorizer_event["requestContext"]["routeKey"], "$connect");
    assert!(
        authorizer_event["requestContext"]
            .get("authorizer")
            .is_none()
    );

    let expected = json!({ "principalId": "ann", "name": "ann", "admin": "true", "level": "3" });
    let connect = running.logged_event("$connect").await;
    assert_eq!(
        connect["requestContext"]["requestId"], authorizer_event["requestContext"]["requestId"],
        "the authorizer and $connect share the handshake's request id"
    );
    assert_context(&connect, &expected);

    support::send(&mut ws, "event").await;
    let message: Value = serde_json::from_str(&support::next_text(&mut ws).await).unwrap();
    assert_eq!(message["requestContext"]["routeKey"], "$default");
    assert_context(&message, &expected);
    // The authorizer runs once per connection, not per message.
    support::send(&mut ws, "event").await;
    support::next_text(&mut ws).await;

    drop(ws);
    let disconnect = running.logged_event("$disconnect").await;
    assert_context(&disconnect, &expected);
    running.stop().await;
}

/// `requestContext.authorizer` is the principal and the context, every value a
/// text, and a Rust handler reads it.
fn assert_context(event: &Value, expected: &Value) {
    let authorizer = &event["requestContext"]["authorizer"];
    let mut without_latency = authorizer.clone();
    let latency = without_latency
        .as_object_mut()
        .and_then(|fields| fields.remove("integrationLatency"));
    assert!(
        latency.is_some_and(|latency| latency.is_number()),
        "{authorizer}"
    );
    assert_eq!(&without_latency, expected);
    let request: ApiGatewayWebsocketProxyRequest =
        serde_json::from_value(event.clone()).expect("the event deserializes");
    assert_eq!(
        request.request_context.authorizer.fields.get("name"),
        Some(&json!("ann"))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_identity_is_401_without_invoking_the_authorizer() {
    let mut running = support::start(STACK).await;
    for query in ["", "?token=", "?other=allow:ann", "?Token=allow:ann"] {
        let url = format!("{}{query}", running.url());
        assert_eq!(handshake_status(&url).await, 401, "{query}");
        let (invoked, refused) = until_rejected(&mut running).await;
        assert!(invoked.is_empty(), "{query}: {invoked:?}");
        let (status, reason) = refused.expect("the refusal is reported");
        assert_eq!(status, 401);
        assert!(reason.contains("`?token=…`"), "{reason}");
    }
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deny_or_a_policy_for_another_resource_is_403() {
    let mut running = support::start(STACK).await;
    for token in ["deny", "elsewhere"] {
        let url = format!("{}?token={token}", running.url());
        assert_eq!(handshake_status(&url).await, 403, "{token}");
        let (invoked, refused) = until_rejected(&mut running).await;
        assert_eq!(invoked, ["authorize"], "$connect does not run");
        let (status, reason) = refused.expect("the refusal is reported");
        assert_eq!(status, 403);
        assert!(reason.contains("execute-api:Invoke"), "{reason}");
    }
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_authorizer_is_500_and_unauthorized_401() {
    let mut running = support::start(STACK).await;
    for (token, expected) in [("fail", 500), ("nested", 500), ("unauthorized", 401)] {
        let url = format!("{}?token={token}", running.url());
        assert_eq!(handshake_status(&url).await, expected, "{token}");
        let (invoked, refused) = until_rejected(&mut running).await;
        assert_eq!(invoked, ["authorize"], "{token}");
        let (status, reason) = refused.expect("the refusal is reported");
        assert_eq!(status, expected);
        assert!(
            reason.contains("the $connect authorizer authorize"),
            "{reason}"
        );
    }
    // The emulator keeps serving, and the header form is not read for a query source.
    let mut request = running.url().into_client_request().unwrap();
    request
        .headers_mut()
        .insert("Auth", "allow:ann".parse().unwrap());
    let result = tokio_tungstenite::connect_async(request).await;
    assert!(matches!(result, Err(WsError::Http(ref response)) if response.status() == 401));
    let _ws = support::connect(&format!("{}?token=allow:ann", running.url())).await;
    running.stop().await;
}
