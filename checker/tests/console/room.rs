//! A busy room: filters, search, pause, the "new messages" mark; the
//! history marker when the run outgrew the history; a restart of `serve`.

use super::*;

/// The shown cards all satisfy `keep`, and there is at least one.
async fn only(browser: &Browser, what: &str, keep: impl Fn(&str) -> bool) -> Vec<String> {
    let mut shown = Vec::new();
    for _ in 0..50 {
        shown = cards(browser).await;
        if !shown.is_empty() && shown.iter().all(|card| keep(card)) {
            return shown;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the list does not show only {what}: {shown:#?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn filters_search_pause_and_the_new_messages_mark_work() {
    let Some(browser) = launch().await else {
        return;
    };
    let local = test_stack("fixtures.yml", 0).await;
    open_console(&browser, &local).await;
    let mut alice = outside_client(&local, Some("alice")).await;
    let mut bob = outside_client(&local, Some("bob")).await;
    send(&mut alice, "hello").await;
    receive(&mut alice, "hello").await;
    send(&mut alice, "error").await;
    receive(&mut alice, "Internal server error").await;
    send(&mut alice, r#"{"action":"oneWay","command":"one way"}"#).await;
    send(&mut bob, "bob says hi").await;
    receive(&mut bob, "bob says hi").await;
    card(&browser, "one way", "t.includes('oneWay returned a body')").await;
    assert_eq!(
        cards(&browser).await.len(),
        6,
        "two connects, four messages"
    );

    choose(&browser, "#filter-client", "bob").await;
    only(&browser, "bob's", |card| card.starts_with("●bob ")).await;
    choose(&browser, "#filter-client", "every client").await;

    choose(&browser, "#filter-route", "oneWay").await;
    let one_way = only(&browser, "the oneWay route", |card| {
        card.contains("→ route oneWay")
    })
    .await;
    assert_eq!(one_way.len(), 1, "{one_way:#?}");
    choose(&browser, "#filter-route", "every route").await;

    choose(&browser, "#filter-function", "onDefault").await;
    let default = only(&browser, "onDefault's", |card| card.contains("λ onDefault")).await;
    assert_eq!(default.len(), 3, "{default:#?}");
    choose(&browser, "#filter-function", "every function").await;

    click(&browser, "#filter-failures").await;
    let failures = only(&browser, "failures", |card| {
        card.contains("alice sent error")
    })
    .await;
    assert_eq!(failures.len(), 1, "{failures:#?}");
    click(&browser, "#filter-failures").await;

    let search = browser
        .client
        .find(fantoccini::Locator::Css("#filter-text"))
        .await
        .unwrap();
    search.send_keys("SAYS").await.unwrap();
    only(&browser, "the search's", |card| {
        card.contains("bob says hi")
    })
    .await;
    search.clear().await.unwrap();
    search.send_keys(" ").await.unwrap(); // clear() fires no input event
    browser
        .wait_until(
            "every card again",
            "return document.querySelectorAll('#sequences .sequence').length === 6",
        )
        .await
        .unwrap();

    // Paused, the list holds still and counts what arrives.
    click(&browser, "#pause").await;
    for index in 1..=2 {
        send(&mut alice, &format!("while paused {index}")).await;
        receive(&mut alice, &format!("while paused {index}")).await;
    }
    browser
        .wait_until(
            "the count of what arrived",
            r#"return document.querySelector('#pause').textContent === 'Resume (2 new)';"#,
        )
        .await
        .unwrap();
    assert!(
        cards(&browser)
            .await
            .iter()
            .all(|card| !card.contains("while paused")),
        "paused, yet the list changed"
    );
    click(&browser, "#pause").await;
    card(&browser, "while paused 2", "true").await;
    card(&browser, "while paused 1", "true").await;

    // Scrolled down, the view stays put and a mark counts what came on top.
    for index in 0..40 {
        send(&mut alice, &format!("filler {index}")).await;
        receive(&mut alice, &format!("filler {index}")).await;
    }
    card(&browser, "sent filler 39", "true").await;
    browser
        .client
        .execute(
            "const l = document.querySelector('#sequences'); l.scrollTop = l.scrollHeight;",
            Vec::new(),
        )
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    send(&mut alice, "while scrolled").await;
    receive(&mut alice, "while scrolled").await;
    browser
        .wait_until(
            "the new-messages mark",
            r#"const m = document.querySelector('#new-messages');
               return !m.classList.contains('hidden') && m.textContent === '↑ 1 new message'
                   && document.querySelector('#sequences').scrollTop > 100;"#,
        )
        .await
        .unwrap();
    click(&browser, "#new-messages").await;
    browser
        .wait_until(
            "the list back at the top",
            r#"return document.querySelector('#sequences').scrollTop === 0
                   && document.querySelector('#new-messages').classList.contains('hidden');"#,
        )
        .await
        .unwrap();

    browser.close().await;
    local.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_history_marker_stays_when_cards_are_trimmed() {
    let Some(browser) = launch().await else {
        return;
    };
    let local = test_stack("fixtures.yml", 0).await;
    // More events than the history keeps (50,000): Lambdas that print a lot.
    while local.emulator.events().stats().evicted == 0 {
        let mut floods = Vec::new();
        for _ in 0..6 {
            let mut ws = outside_client(&local, None).await;
            floods.push(tokio::spawn(async move {
                send(&mut ws, "flood-lines:9000").await;
                receive(&mut ws, "flooded").await;
            }));
        }
        for flood in floods {
            flood.await.unwrap();
        }
    }
    open_console(&browser, &local).await;
    let marker = r#"const m = document.querySelector('#sequences .marker.history');
                    return m && m.textContent;"#;
    let text = browser
        .wait_until("the history marker", marker)
        .await
        .unwrap();
    assert!(
        text.as_str()
            .unwrap()
            .contains("older events are no longer kept"),
        "{text}"
    );
    // More cards than the list shows (200): the oldest go, the marker stays.
    let mut ws = outside_client(&local, Some("busy")).await;
    for index in 0..230 {
        send(&mut ws, &format!("message {index}")).await;
        receive(&mut ws, &format!("message {index}")).await;
    }
    card(&browser, "busy sent message 229", "true").await;
    browser
        .wait_until(
            "200 cards",
            "return document.querySelectorAll('#sequences .sequence').length === 200",
        )
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let last = browser
        .client
        .execute(
            "return document.querySelector('#sequences').lastElementChild.className",
            Vec::new(),
        )
        .await
        .unwrap();
    assert_eq!(last, "marker history", "the marker is the list's last item");

    browser.close().await;
    local.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_restart_of_serve_clears_connections() {
    let Some(browser) = launch().await else {
        return;
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let local = test_stack("fixtures.yml", port).await;
    open_console(&browser, &local).await;
    let _bob = outside_client(&local, Some("bob")).await;
    browser
        .wait_until(
            "bob open",
            r#"return [...document.querySelectorAll('#connections tbody tr')]
                   .some(r => r.textContent.includes('bob') && r.textContent.includes('open'));"#,
        )
        .await
        .unwrap();
    local.shutdown().await;
    browser
        .wait_until(
            "the feed down",
            "return document.querySelector('#feed-status').textContent.startsWith('disconnected')",
        )
        .await
        .unwrap();

    let local = test_stack("fixtures.yml", port).await;
    browser
        .wait_until(
            "the feed live again",
            r#"return document.querySelector('#feed-status').textContent === 'live';"#,
        )
        .await
        .unwrap();
    // Nothing has connected to the new run: Connections is empty.
    let rows = browser
        .client
        .execute(
            r#"return [document.querySelectorAll('#connections tbody tr').length,
                       document.querySelector('#connection-count').textContent];"#,
            Vec::new(),
        )
        .await
        .unwrap();
    assert_eq!(rows, serde_json::json!([0, "0 open"]));
    // The new run's clients: two asking for one name are told apart.
    let _bob = outside_client(&local, Some("bob")).await;
    let _another_bob = outside_client(&local, Some("bob")).await;
    browser
        .wait_until(
            "bob and bob 2",
            r#"const names = [...document.querySelectorAll('#connections tbody tr')]
                   .map(r => r.cells[0].textContent).sort().join(',');
               return names === 'bob,bob 2';"#,
        )
        .await
        .unwrap();

    browser.close().await;
    local.shutdown().await;
}
