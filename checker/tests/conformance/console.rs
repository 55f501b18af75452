//! The console's safety rules, with real clients: only its own origin and
//! its own host names may read its feed or replay; the feed starts with the
//! stack and the run's history; a replay invokes the function again with the
//! stored event.

use checker::emulator::events::Event;
use futures_util::StreamExt;
use serde_json::Value;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderName;

use crate::support;

async fn feed_with(
    running: &support::Running,
    headers: &[(&str, &str)],
) -> Result<support::Ws, u16> {
    let url = format!("ws://{}/@console/feed", running.emulator().address());
    let mut request = url.into_client_request().unwrap();
    for (name, value) in headers {
        request.headers_mut().insert(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            value.parse().unwrap(),
        );
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok((ws, _)) => Ok(ws),
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            Err(response.status().as_u16())
        }
        Err(other) => panic!("unexpected handshake error: {other}"),
    }
}

async fn next_json(ws: &mut support::Ws) -> Value {
    let text = support::next_text(ws).await;
    serde_json::from_str(&text).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_feed_answers_its_own_origin_with_the_stack_and_the_history() {
    let mut running = support::start("fixtures.yml").await;
    let mut client = support::connect(&running.url()).await;
    support::send(&mut client, "before the console").await;
    support::next_text(&mut client).await;
    running
        .wait_for(|event| matches!(event, Event::InvocationFinished { .. }).then_some(()))
        .await;

    let own = format!("http://{}", running.emulator().address());
    let mut feed = feed_with(&running, &[("origin", &own)])
        .await
        .expect("the console's own origin is let in");
    let hello = next_json(&mut feed).await;
    assert_eq!(hello["kind"], "hello");
    assert_eq!(hello["stack"]["service"], "conformance");
    assert_eq!(hello["evicted"], 0);
    let history = next_json(&mut feed).await;
    assert_eq!(history["kind"], "events");
    let events = history["events"].as_array().unwrap();
    assert!(
        events
            .iter()
            .any(|event| event["type"] == "frame_in" && event["text"] == "before the console"),
        "the history holds the message sent before: {history}"
    );
    let seqs: Vec<u64> = events.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert!(
        seqs.windows(2).all(|pair| pair[1] == pair[0] + 1),
        "{seqs:?}"
    );

    // The history ends; then live, from the next event on: nothing missed,
    // nothing repeated.
    assert_eq!(next_json(&mut feed).await["kind"], "live");
    support::send(&mut client, "after").await;
    let mut live = Vec::new();
    while !live
        .iter()
        .any(|event: &Value| event["type"] == "frame_in" && event["text"] == "after")
    {
        let frame = next_json(&mut feed).await;
        assert_eq!(frame["kind"], "events", "{frame}");
        live.extend(frame["events"].as_array().unwrap().iter().cloned());
    }
    let live_seqs: Vec<u64> = live.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert_eq!(live_seqs[0], seqs.last().unwrap() + 1, "{live_seqs:?}");
    assert!(
        live_seqs.windows(2).all(|pair| pair[1] == pair[0] + 1),
        "{live_seqs:?}"
    );

    // The feed ends with the emulator.
    running.stop().await;
    let ended = tokio::time::timeout(support::WAIT, async {
        while let Some(Ok(_)) = feed.next().await {}
    })
    .await;
    assert!(ended.is_ok(), "the feed outlived the emulator");
}

#[tokio::test(flavor = "multi_thread")]
async fn other_origins_and_rebound_host_names_are_refused() {
    let running = support::start("fixtures.yml").await;
    let port = running.emulator().address().port();
    for origin in [
        "http://evil.example",
        "null",
        &format!("http://127.0.0.1:{}", port + 1),
    ] {
        assert_eq!(
            feed_with(&running, &[("origin", origin)]).await.err(),
            Some(403),
            "{origin}"
        );
    }
    // DNS rebinding: a site's name pointed at 127.0.0.1.
    let address = running.emulator().address();
    let rebound = support::raw_http(
        address,
        "GET",
        "/@console/api/stack",
        &[("Host", &format!("evil.example:{port}"))],
        b"",
    )
    .await;
    assert_eq!(rebound.status, 403, "{}", rebound.body);

    // A replay from another page, or as a form would post it.
    let body = br#"{"request_id":"x"}"#;
    let foreign = support::raw_http(
        address,
        "POST",
        "/@console/api/replay",
        &[
            ("Origin", "http://evil.example"),
            ("Content-Type", "application/json"),
        ],
        body,
    )
    .await;
    assert_eq!(foreign.status, 403, "{}", foreign.body);
    let form = support::raw_http(
        address,
        "POST",
        "/@console/api/replay",
        &[("Content-Type", "text/plain")],
        body,
    )
    .await;
    assert_eq!(form.status, 403, "{}", form.body);
    let page = support::raw_http(address, "GET", "/@console/", &[], b"").await;
    assert_eq!(page.status, 200);
    let policy = &page.headers["content-security-policy"];
    assert!(policy.contains("default-src 'self'"), "{policy}");
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_replay_sends_the_stored_event_to_the_function_again() {
    let mut running = support::start("fixtures.yml").await;
    let mut client = support::connect(&running.url()).await;
    support::send(&mut client, "replay me").await;
    assert_eq!(support::next_text(&mut client).await, "replay me");
    let (request_id, payload) = running
        .wait_for(|event| match event {
            Event::InvocationStarted {
                request_id,
                payload,
                route_key,
                ..
            } if route_key == "$default" => Some((request_id.clone(), payload.clone())),
            _ => None,
        })
        .await;
    let address = running.emulator().address();
    let own = format!("http://{address}");
    let answer = support::raw_http(
        address,
        "POST",
        "/@console/api/replay",
        &[("Origin", &own), ("Content-Type", "application/json")],
        format!(r#"{{"request_id":"{request_id}"}}"#).as_bytes(),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let answer: Value = serde_json::from_str(&answer.body).unwrap();
    assert_eq!(answer["replay_of"], request_id.as_str());
    assert_eq!(answer["function"], "onDefault");
    let response: Value =
        serde_json::from_str(answer["outcome"]["response"].as_str().unwrap()).unwrap();
    assert_eq!(response["body"], "replay me");
    // The replay is an invocation like any other, with the same event.
    let replayed = answer["request_id"].as_str().unwrap().to_owned();
    let again = running
        .wait_for(|event| match event {
            Event::InvocationStarted {
                request_id,
                payload,
                ..
            } if *request_id == replayed => Some(payload.clone()),
            _ => None,
        })
        .await;
    assert_eq!(again, payload, "the stored event, byte for byte");
    // Its response goes back to the page, not to the client.
    support::assert_silent(&mut client, std::time::Duration::from_millis(300)).await;

    // Edited on the page: the function gets the edited event.
    let mut edited: Value = serde_json::from_str(&payload).unwrap();
    edited["body"] = Value::from("edited");
    let answer = support::raw_http(
        address,
        "POST",
        "/@console/api/replay",
        &[("Content-Type", "application/json")],
        serde_json::json!({ "request_id": request_id, "event": edited })
            .to_string()
            .as_bytes(),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let answer: Value = serde_json::from_str(&answer.body).unwrap();
    assert_eq!(answer["edited"], true);
    let response: Value =
        serde_json::from_str(answer["outcome"]["response"].as_str().unwrap()).unwrap();
    assert_eq!(response["body"], "edited");
    let not_an_object = support::raw_http(
        address,
        "POST",
        "/@console/api/replay",
        &[("Content-Type", "application/json")],
        format!(r#"{{"request_id":"{request_id}","event":[1,2]}}"#).as_bytes(),
    )
    .await;
    assert_eq!(not_an_object.status, 400, "{}", not_an_object.body);
    assert!(
        not_an_object.body.contains("must be a JSON object"),
        "{}",
        not_an_object.body
    );

    let missing = support::raw_http(
        address,
        "POST",
        "/@console/api/replay",
        &[("Content-Type", "application/json")],
        br#"{"request_id":"no-such-request"}"#,
    )
    .await;
    assert_eq!(missing.status, 404, "{}", missing.body);
    assert!(
        missing.body.contains("no invocation no-such-request"),
        "{}",
        missing.body
    );
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_page_and_its_files_are_served_from_the_binary() {
    let running = support::start("fixtures.yml").await;
    let address = running.emulator().address();
    let redirect = support::raw_http(address, "GET", "/@console", &[], b"").await;
    assert_eq!(redirect.status, 308);
    assert_eq!(redirect.headers["location"], "/@console/");
    for (path, kind) in [
        ("/@console/", "text/html"),
        ("/@console/console.js", "text/javascript"),
        ("/@console/messages.js", "text/javascript"),
        ("/@console/silence.js", "text/javascript"),
        ("/@console/console.css", "text/css"),
        ("/@console/favicon.svg", "image/svg+xml"),
    ] {
        let response = support::raw_http(address, "GET", path, &[], b"").await;
        assert_eq!(response.status, 200, "{path}");
        assert!(response.headers["content-type"].starts_with(kind), "{path}");
    }
    let stack = support::raw_http(address, "GET", "/@console/api/stack", &[], b"").await;
    let stack: Value = serde_json::from_str(&stack.body).unwrap();
    assert_eq!(
        stack,
        running.local.stack.reading(),
        "what `checker stack --json` prints"
    );
    let missing = support::raw_http(address, "GET", "/@console/nothing.js", &[], b"").await;
    assert_eq!(missing.status, 404, "{}", missing.body);
    // Outside /@console/ the API keeps API Gateway's answer.
    let other = support::raw_http(address, "GET", "/console/", &[], b"").await;
    assert_eq!(other.status, 403);
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_closed_connections_connect_is_not_replayed() {
    let mut running = support::start("fixtures.yml").await;
    let address = running.emulator().address();
    let replay = |request_id: String| async move {
        let body = format!(r#"{{"request_id":"{request_id}"}}"#);
        support::raw_http(
            address,
            "POST",
            "/@console/api/replay",
            &[("Content-Type", "application/json")],
            body.as_bytes(),
        )
        .await
    };
    let mut client = support::connect(&running.url()).await;
    let (request_id, connection_id) = running
        .wait_for(|event| match event {
            Event::InvocationStarted {
                request_id,
                route_key,
                connection_id,
                ..
            } if route_key == "$connect" => Some((request_id.clone(), connection_id.clone())),
            _ => None,
        })
        .await;
    // Open: the replay runs (what it writes goes with the connection's $disconnect).
    let open = replay(request_id.clone()).await;
    assert_eq!(open.status, 200, "{}", open.body);
    client.close(None).await.unwrap();
    running
        .wait_for(|event| match event {
            Event::Disconnected {
                connection_id: id, ..
            } if *id == connection_id => Some(()),
            _ => None,
        })
        .await;
    let closed = replay(request_id).await;
    assert_eq!(closed.status, 409, "{}", closed.body);
    assert!(closed.body.contains("is closed"), "{}", closed.body);
    let mut other = support::connect(&running.url()).await;
    support::send(&mut other, "still served").await;
    assert_eq!(support::next_text(&mut other).await, "still served");
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_tables_view_is_a_page_of_a_big_table_and_getitems_are_served_while_it_refreshes() {
    use crate::dynamodb::{CONNECTIONS, STACK, client, s};
    let running = support::start(STACK).await;
    let address = running.emulator().address();
    // 5,000 items, written 25 to a batch.
    for batch in 0..200 {
        let puts: Vec<String> = (0..25)
            .map(|n| {
                format!(
                    r#"{{"PutRequest":{{"Item":{{"ConnectionId":{{"S":"c{:05}"}},"Name":{{"S":"someone"}}}}}}}}"#,
                    batch * 25 + n
                )
            })
            .collect();
        let body = format!(
            r#"{{"RequestItems":{{"{CONNECTIONS}":[{}]}}}}"#,
            puts.join(",")
        );
        let headers = [
            ("X-Amz-Target", "DynamoDB_20120810.BatchWriteItem"),
            ("Content-Type", "application/x-amz-json-1.0"),
            crate::raw::SIGNED,
        ];
        let written = support::raw_http(address, "POST", "/", &headers, body.as_bytes()).await;
        assert_eq!(written.status, 200, "{}", written.body);
    }
    let page = move || async move {
        let page = support::raw_http(address, "GET", "/@console/api/tables", &[], b"").await;
        assert_eq!(page.status, 200, "{}", page.body);
        page.body
    };
    let body = page().await;
    // 500 items of 5,000: about 40 KB, not the table.
    assert!(body.len() < 100_000, "a page of {} bytes", body.len());
    let tables: Value = serde_json::from_str(&body).unwrap();
    let connections = tables
        .as_array()
        .unwrap()
        .iter()
        .find(|table| table["name"] == CONNECTIONS)
        .expect("the connections table");
    assert_eq!(connections["count"], 5_000);
    let items = connections["items"].as_array().unwrap();
    assert_eq!(items.len(), 500);
    assert_eq!(items[0]["ConnectionId"]["S"], "c00000");
    assert_eq!(items[499]["ConnectionId"]["S"], "c00499");
    // A console refreshing the view without pause, and GetItems beside it.
    let refreshing = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let still = refreshing.clone();
    let console = tokio::spawn(async move {
        let mut pages = 0_usize;
        while still.load(std::sync::atomic::Ordering::Relaxed) {
            page().await;
            pages += 1;
        }
        pages
    });
    let dynamodb = client(&running);
    for n in (0..5_000).step_by(50) {
        let id = format!("c{n:05}");
        let got = dynamodb
            .get_item()
            .table_name(CONNECTIONS)
            .key("ConnectionId", s(&id))
            .send()
            .await
            .expect("a GetItem is answered while the view refreshes");
        assert_eq!(
            got.item().and_then(|item| item.get("ConnectionId")),
            Some(&s(&id))
        );
    }
    refreshing.store(false, std::sync::atomic::Ordering::Relaxed);
    assert!(console.await.unwrap() > 0, "the view was not refreshed");
    running.stop().await;
}
