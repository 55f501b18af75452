//! Exercise 05's chat app in the console: clients from outside the page
//! (one named with `?name=`, as wscat would be, one not) and the page's own,
//! a message's whole way with its fan-out summed up, the invocation's event,
//! a replay and an edited replay that reach the clients.

use fantoccini::Locator;
use serde_json::Value;

use super::*;

fn join(name: &str) -> String {
    format!(r#"{{"action":"joinChat","chatId":"rust","participantId":"{name}"}}"#)
}

fn said(name: &str, text: &str) -> String {
    format!(r#"{{"event":"participantSentMessage","participantId":"{name}","message":"{text}"}}"#)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_console_shows_the_chat_app_live_and_replays_an_invocation() {
    let Some(browser) = launch().await else {
        return;
    };
    let local = chat_app().await;

    // Before the page is opened: bob, as wscat would connect him, and a
    // client with no name, join the chat.
    let mut bob = outside_client(&local, Some("bob")).await;
    send(&mut bob, &join("bob")).await;
    receive(&mut bob, "participantJoinedChat").await;
    let mut nameless = outside_client(&local, None).await;
    send(&mut nameless, &join("someone")).await;
    receive(&mut nameless, "participantJoinedChat").await;

    open_console(&browser, &local).await;
    // The page opened late still shows it: the message, its route, its
    // Lambda, under bob's name.
    card(
        &browser,
        r#""participantId":"bob""#,
        "t.includes('bob sent') && t.includes('route joinChat') && t.includes('λ joinChat')",
    )
    .await;
    let rows = browser
        .wait_until(
            "two connections named",
            r#"const rows = [...document.querySelectorAll('#connections tbody tr')]
                   .map(r => [r.cells[0].textContent, r.cells[0].className]);
               return rows.length === 2 ? rows : null;"#,
        )
        .await
        .unwrap();
    let rows: Vec<(String, String)> = serde_json::from_value(rows).unwrap();
    assert!(
        rows.contains(&("bob".to_owned(), "name".to_owned())),
        "{rows:?}"
    );
    let nickname = rows
        .iter()
        .find(|(_, class)| class == "name nickname")
        .map(|(name, _)| name.clone())
        .unwrap_or_else(|| panic!("the nameless client has a nickname: {rows:?}"));
    let (adjective, animal) = nickname.split_once('-').expect("adjective-animal");
    assert!(!adjective.is_empty() && !animal.is_empty(), "{nickname}");
    card(
        &browser,
        r#""participantId":"someone""#,
        &format!("t.includes('{nickname} sent')"),
    )
    .await;

    open_client(&browser, "alice").await;
    open_client(&browser, "carol").await;
    send_from(&browser, "alice", &join("alice")).await;
    send_from(&browser, "carol", &join("carol")).await;

    // The table's items appear as they are written.
    click(&browser, r#"#tabs button[data-tab="tables"]"#).await;
    let table = browser
        .wait_until(
            "four chat members in the table",
            r#"const block = document.querySelector('.table-block');
               if (!block) return null;
               const text = block.textContent;
               return ['bob', 'someone', 'alice', 'carol'].every(n => text.includes(n)) ? text : null;"#,
        )
        .await
        .unwrap();
    assert!(table.as_str().unwrap().contains("4 items"), "{table}");

    // alice's message reaches everyone, through sendMessage's posts.
    send_from(&browser, "alice", "hello from the page").await;
    let delivered = said("alice", "hello from the page");
    wait_for_received(&browser, "carol", &delivered, 1).await;
    wait_for_received(&browser, "alice", &delivered, 1).await;
    assert_eq!(receive(&mut bob, "hello from the page").await, delivered);

    // Four posts and four frames: summed up in two lines, listed on demand.
    let summed = card(
        &browser,
        "sent hello from the page",
        "t.includes('4 × POST 200') && t.includes('4 clients received')",
    )
    .await;
    assert!(summed.contains(r#"$request.body.action = """#), "{summed}");
    assert!(summed.contains("route $default"), "{summed}");
    assert!(summed.contains("λ sendMessage"), "{summed}");
    assert!(!summed.contains("Nothing came back"), "{summed}");
    let card_selector = r#"#sequences .sequence:has(.expand)"#;
    click(&browser, &format!("{card_selector} .expand")).await;
    let listed = card(
        &browser,
        "sent hello from the page",
        "t.split('@connections POST').length - 1 === 4",
    )
    .await;
    for name in ["alice", "bob", "carol", nickname.as_str()] {
        assert!(
            listed.contains(&format!("@connections POST {name}: 200")),
            "{name}: {listed}"
        );
        assert!(
            listed.contains(&format!("{name} received {delivered}")),
            "{name}: {listed}"
        );
    }

    // The invocation with the event JSON exactly as the Lambda received it.
    click(&browser, r#"#tabs button[data-tab="invocations"]"#).await;
    let request_id = browser
        .wait_until(
            "sendMessage's invocation",
            r#"const card = [...document.querySelectorAll('.invocation')].find(c =>
                   c.querySelector('.fn').textContent === 'sendMessage' &&
                   c.querySelector('.result').textContent.endsWith('ms'));
               return card ? card.dataset.requestId : null;"#,
        )
        .await
        .unwrap();
    let request_id = request_id.as_str().unwrap().to_owned();
    let summaries = browser
        .client
        .execute(
            "return [...document.querySelectorAll('.invocation summary')].map(s => s.textContent)",
            Vec::new(),
        )
        .await
        .unwrap();
    assert!(!summaries.to_string().contains("null"), "{summaries}");
    let invocation = format!(r#".invocation[data-request-id="{request_id}"]"#);
    click(&browser, &format!("{invocation} summary")).await;
    let event = browser
        .wait_until(
            "the event JSON",
            &format!(r#"const e = document.querySelector('{invocation} .event'); return e && e.textContent;"#),
        )
        .await
        .unwrap();
    let event: Value = serde_json::from_str(event.as_str().unwrap()).unwrap();
    assert_eq!(event["body"], "hello from the page");
    assert_eq!(event["requestContext"]["routeKey"], "$default");
    assert_eq!(event["requestContext"]["requestId"], request_id.as_str());
    // Its copy button copies it.
    click(&browser, &format!("{invocation} button.copy")).await;
    browser
        .wait_until(
            "the event copied",
            &format!(r#"return document.querySelector('{invocation} button.copy').textContent === 'Copied';"#),
        )
        .await
        .unwrap();

    // Replay: it says what it does, and sends only when asked; the same
    // event to sendMessage again, which posts again.
    click(&browser, &format!("{invocation} .replay")).await;
    let warning = browser
        .client
        .find(Locator::Css(&format!(
            "{invocation} .replay-editor .warn-text"
        )))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        warning.contains("reaches the clients connected now"),
        "{warning}"
    );
    click(&browser, &format!("{invocation} .replay-confirm")).await;
    let outcome = browser
        .wait_until(
            "the replay's response",
            &format!(r#"const o = document.querySelector('{invocation} .replay-outcome'); return o ? o.textContent : null;"#),
        )
        .await
        .unwrap();
    let response: Value = serde_json::from_str(outcome.as_str().unwrap()).unwrap();
    assert_eq!(response["statusCode"], 200);
    wait_for_received(&browser, "carol", &delivered, 2).await;
    assert_eq!(receive(&mut bob, "hello from the page").await, delivered);

    // An edited replay: the event's body changed on the page reaches the clients.
    let area = browser
        .client
        .find(Locator::Css(&format!("{invocation} .replay-event")))
        .await
        .unwrap();
    let mut edited = event.clone();
    edited["body"] = Value::from("edited on the page");
    area.clear().await.unwrap();
    area.send_keys(&serde_json::to_string(&edited).unwrap())
        .await
        .unwrap();
    click(&browser, &format!("{invocation} .replay-confirm")).await;
    let edited_delivered = said("alice", "edited on the page");
    wait_for_received(&browser, "carol", &edited_delivered, 1).await;
    assert_eq!(
        receive(&mut bob, "edited on the page").await,
        edited_delivered
    );
    card(&browser, "edited)", "t.includes('λ sendMessage')").await;

    browser.close().await;
    local.shutdown().await;
}

/// The README's picture: `scripts/console-screenshot` runs this with
/// `CONSOLE_SCREENSHOT=docs/console.png`. Three clients in the page chat in
/// exercise 05's app with a fourth from outside; the newest invocation is opened.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "makes docs/console.png; run by scripts/console-screenshot"]
async fn screenshot() {
    let output = std::env::var("CONSOLE_SCREENSHOT").expect("CONSOLE_SCREENSHOT names the PNG");
    let browser = launch().await.expect("Chromium is installed");
    let local = chat_app().await;
    open_console(&browser, &local).await;
    let mut dave = outside_client(&local, Some("dave")).await;
    send(&mut dave, &join("dave")).await;
    receive(&mut dave, "participantJoinedChat").await;
    for name in ["carol", "bob", "alice"] {
        open_client(&browser, name).await;
        send_from(&browser, name, &join(name)).await;
    }
    send_from(&browser, "bob", r#"{"action":"pong"}"#).await;
    send_from(&browser, "bob", r#"{"action":"ping"}"#).await;
    for (name, text) in [
        ("alice", "hi all!"),
        ("bob", "hello alice"),
        ("carol", "ready when you are"),
    ] {
        send_from(&browser, name, text).await;
        wait_for_received(&browser, "alice", &said(name, text), 1).await;
    }
    click(&browser, ".invocation summary").await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let png = browser.client.screenshot().await.unwrap();
    std::fs::write(&output, png).unwrap();
    browser.close().await;
    local.shutdown().await;
}
