//! The `@connections` management API, driven by the official SDK client.

use aws_sdk_apigatewaymanagement::Client;
use aws_sdk_apigatewaymanagement::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_apigatewaymanagement::error::ProvideErrorMetadata;
use aws_sdk_apigatewaymanagement::primitives::Blob;
use checker::emulator::events::Event;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use crate::support;

fn client(running: &support::Running) -> Client {
    let config = aws_sdk_apigatewaymanagement::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("eu-west-1"))
        .credentials_provider(Credentials::new("AKIDTEST", "secret", None, None, "test"))
        .endpoint_url(format!("http://{}/dev", running.emulator().address()))
        .build();
    Client::from_conf(config)
}

/// The connection id, as the Lambda sees it.
async fn connection_id(ws: &mut support::Ws) -> String {
    support::send(ws, "event").await;
    let event: serde_json::Value = serde_json::from_str(&support::next_text(ws).await).unwrap();
    event["requestContext"]["connectionId"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn post_delivers_one_text_frame_to_that_connection_only() {
    let running = support::start("fixtures.yml").await;
    let mut first = support::connect(&running.url()).await;
    let mut second = support::connect(&running.url()).await;
    let first_id = connection_id(&mut first).await;
    let client = client(&running);
    client
        .post_to_connection()
        .connection_id(&first_id)
        .data(Blob::new(r#"{"hello":"wörld"}"#))
        .send()
        .await
        .expect("the post succeeds");
    assert_eq!(support::next_text(&mut first).await, r#"{"hello":"wörld"}"#);
    support::assert_silent(&mut second, std::time::Duration::from_millis(300)).await;
    support::assert_silent(&mut first, std::time::Duration::from_millis(100)).await;
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn get_connection_describes_it() {
    let running = support::start("fixtures.yml").await;
    let mut ws = support::connect(&running.url()).await;
    let id = connection_id(&mut ws).await;
    let output = client(&running)
        .get_connection()
        .connection_id(&id)
        .send()
        .await
        .expect("the connection exists");
    let connected_at = output.connected_at().expect("connectedAt");
    let last_active_at = output.last_active_at().expect("lastActiveAt");
    assert!(last_active_at >= connected_at);
    let identity = output.identity().expect("identity");
    assert_eq!(identity.source_ip(), Some("127.0.0.1"));
    // The client sent no User-Agent: API Gateway leaves `userAgent` out (the
    // SDK, which models it as required, reads that as empty).
    assert_eq!(identity.user_agent(), Some(""));
    let raw = support::raw_http(
        running.emulator().address(),
        "GET",
        &format!("/dev/@connections/{}", percent_encoding::utf8_percent_encode(&id, percent_encoding::NON_ALPHANUMERIC)),
        &[(
            "Authorization",
            "AWS4-HMAC-SHA256 Credential=AKIDTEST/20240120/eu-west-1/execute-api/aws4_request, SignedHeaders=host, Signature=0",
        )],
        b"",
    )
    .await;
    let body: serde_json::Value = serde_json::from_str(&raw.body).unwrap();
    assert_eq!(
        body["identity"],
        serde_json::json!({ "sourceIp": "127.0.0.1" })
    );
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_closes_the_connection_and_runs_disconnect() {
    let mut running = support::start("fixtures.yml").await;
    let mut ws = support::connect(&running.url()).await;
    let id = connection_id(&mut ws).await;
    let client = client(&running);
    client
        .delete_connection()
        .connection_id(&id)
        .send()
        .await
        .expect("deleted");
    let close = support::next_close(&mut ws).await.expect("a close frame");
    assert_eq!(close.code, CloseCode::Normal);
    let event = running.logged_event("$disconnect").await;
    assert_eq!(event["requestContext"]["connectionId"], id.as_str());

    let error = client
        .post_to_connection()
        .connection_id(&id)
        .data(Blob::new("late"))
        .send()
        .await
        .expect_err("the connection is gone");
    assert!(
        error
            .as_service_error()
            .is_some_and(|e| e.is_gone_exception()),
        "{error:?}"
    );
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_ids_are_gone_and_large_posts_too_large() {
    let running = support::start("fixtures.yml").await;
    let mut ws = support::connect(&running.url()).await;
    let id = connection_id(&mut ws).await;
    let client = client(&running);
    for unknown in ["R1kmxc2VNjMCFIA=", "a/b+c="] {
        let error = client
            .post_to_connection()
            .connection_id(unknown)
            .data(Blob::new("x"))
            .send()
            .await;
        let error = error.expect_err("unknown id");
        assert!(
            error
                .as_service_error()
                .is_some_and(|e| e.is_gone_exception()),
            "{error:?}"
        );
        let error = client
            .get_connection()
            .connection_id(unknown)
            .send()
            .await
            .expect_err("unknown id");
        assert!(
            error
                .as_service_error()
                .is_some_and(|e| e.is_gone_exception()),
            "{error:?}"
        );
    }
    // API Gateway sends 410 with no body: the SDK knows the code from the
    // header and has no message.
    let error = client
        .post_to_connection()
        .connection_id("R1kmxc2VNjMCFIA=")
        .data(Blob::new("x"))
        .send()
        .await
        .expect_err("unknown id");
    let service_error = error.as_service_error().expect("a service error");
    assert_eq!(service_error.code(), Some("GoneException"));
    assert_eq!(service_error.message(), None, "{error:?}");
    let raw = support::raw_http(
        running.emulator().address(),
        "POST",
        "/dev/@connections/R1kmxc2VNjMCFIA%3D",
        &[(
            "Authorization",
            "AWS4-HMAC-SHA256 Credential=AKIDTEST/20240120/eu-west-1/execute-api/aws4_request, SignedHeaders=host, Signature=0",
        )],
        b"x",
    )
    .await;
    assert_eq!(raw.status, 410);
    assert_eq!(raw.body, "");
    assert_eq!(raw.headers["x-amzn-errortype"], "GoneException");

    let error = client
        .post_to_connection()
        .connection_id(&id)
        .data(Blob::new(vec![b'x'; 128 * 1024 + 1]))
        .send()
        .await
        .expect_err("too large");
    assert!(
        error
            .as_service_error()
            .is_some_and(|e| e.is_payload_too_large_exception()),
        "{error:?}"
    );
    // Exactly the limit passes.
    client
        .post_to_connection()
        .connection_id(&id)
        .data(Blob::new(vec![b'y'; 128 * 1024]))
        .send()
        .await
        .expect("128 KB is allowed");
    assert_eq!(support::next_text(&mut ws).await.len(), 128 * 1024);
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn unsigned_calls_are_forbidden_encoded_paths_accepted() {
    let running = support::start("fixtures.yml").await;
    let mut ws = support::connect(&running.url()).await;
    let id = connection_id(&mut ws).await;
    let address = running.emulator().address();
    let encoded_id: String =
        percent_encoding::utf8_percent_encode(&id, percent_encoding::NON_ALPHANUMERIC).to_string();

    let unsigned = support::raw_http(
        address,
        "POST",
        &format!("/dev/@connections/{encoded_id}"),
        &[],
        b"hi",
    )
    .await;
    assert_eq!(unsigned.status, 403);
    assert_eq!(
        unsigned.headers.get("x-amzn-errortype").map(String::as_str),
        Some("ForbiddenException")
    );
    let body: serde_json::Value = serde_json::from_str(&unsigned.body).unwrap();
    assert!(body["message"].is_string(), "{body}");
    support::assert_silent(&mut ws, std::time::Duration::from_millis(200)).await;

    // The documentation's curl example writes `%40connections`.
    let signed = [(
        "Authorization",
        "AWS4-HMAC-SHA256 Credential=AKIDTEST/20260101/eu-west-1/execute-api/aws4_request, SignedHeaders=host, Signature=0",
    )];
    let posted = support::raw_http(
        address,
        "POST",
        &format!("/dev/%40connections/{encoded_id}"),
        &signed,
        b"via curl",
    )
    .await;
    assert_eq!(posted.status, 200, "{posted:?}");
    assert_eq!(support::next_text(&mut ws).await, "via curl");

    let wrong_stage = support::raw_http(
        address,
        "POST",
        &format!("/prod/@connections/{encoded_id}"),
        &signed,
        b"x",
    )
    .await;
    assert_eq!(wrong_stage.status, 403);
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn posting_during_connect_is_gone() {
    let mut running = support::start("fixtures.yml").await;
    let url = format!("{}?connect=sleep:1500", running.url());
    let handshake = tokio::spawn(async move { support::connect(&url).await });
    let event = running.logged_event("$connect").await;
    let id = event["requestContext"]["connectionId"]
        .as_str()
        .unwrap()
        .to_owned();
    let error = client(&running)
        .post_to_connection()
        .connection_id(&id)
        .data(Blob::new("too early"))
        .send()
        .await
        .expect_err("the connection is not open yet");
    assert!(
        error
            .as_service_error()
            .is_some_and(|e| e.is_gone_exception()),
        "{error:?}"
    );
    let _ws = handshake.await.unwrap();
    let status = running
        .wait_for(|event| match event {
            Event::Management {
                connection_id,
                status,
                ..
            } if *connection_id == id => Some(*status),
            _ => None,
        })
        .await;
    assert_eq!(status, 410);
    running.stop().await;
}

/// What a client built from the environment alone reaches: the emulator's
/// stand-in for the SDK's regional endpoint, which answers as
/// `https://execute-api.{region}.amazonaws.com` does, knowing no API.
#[tokio::test(flavor = "multi_thread")]
async fn the_regional_endpoint_knows_no_api() {
    let mut running = support::start("fixtures.yml").await;
    let mut ws = support::connect(&running.url()).await;
    let id = connection_id(&mut ws).await;
    let config = aws_sdk_apigatewaymanagement::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("eu-west-1"))
        .credentials_provider(Credentials::new("AKIDTEST", "secret", None, None, "test"))
        .endpoint_url(format!(
            "http://{}/aws-regional-endpoint",
            running.emulator().address()
        ))
        .build();
    let error = Client::from_conf(config)
        .post_to_connection()
        .connection_id(&id)
        .data(Blob::new("lost"))
        .send()
        .await
        .expect_err("the regional endpoint knows no API");
    let service_error = error.as_service_error().expect("a service error");
    assert!(service_error.is_forbidden_exception(), "{error:?}");
    assert_eq!(service_error.message(), Some("Forbidden"));
    let (service, status) = running
        .wait_for(|event| match event {
            Event::RegionalEndpoint {
                service, status, ..
            } => Some((service.clone(), *status)),
            _ => None,
        })
        .await;
    assert_eq!((service.as_str(), status), ("execute-api", 403));
    support::assert_silent(&mut ws, std::time::Duration::from_millis(300)).await;
    running.stop().await;
}
