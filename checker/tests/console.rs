//! The live console in a real browser: headless Chromium (through
//! chromedriver) opens the page of a running emulator serving exercise 05's
//! reference solution, the chat app. It sees what an outside client did
//! before it was opened, opens two clients of its own, joins them to a chat,
//! sees the table's items appear, a message delivered and its invocation with
//! the event JSON, and replays that invocation.
//!
//! Skipped, saying why, only where Chromium is not installed; under CI it
//! must run (`checker_testkit::browser::launch`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::Duration;

use checker::emulator::events::Event;
use checker::launch::{Launch, RunningStack};
use checker::workshop::Variant;
use checker_testkit::browser::{self, Browser};
use fantoccini::Locator;
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;

const WAIT: Duration = Duration::from_secs(30);

async fn chat_app() -> RunningStack {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut launch = Launch::new(root.join("solutions/05-chat-rooms/serverless.yml"));
    launch.binary_suffix = Variant::Solution.binary_suffix();
    RunningStack::start(&launch)
        .await
        .expect("exercise 05's solution builds and starts")
}

fn join(name: &str) -> String {
    format!(r#"{{"action":"joinChat","chatId":"rust","participantId":"{name}"}}"#)
}

/// Opens a client named `name` in the page and waits until it is open.
async fn open_client(browser: &Browser, name: &str) {
    let input = browser
        .client
        .find(Locator::Css("#client-name"))
        .await
        .unwrap();
    input.send_keys(name).await.unwrap();
    browser
        .client
        .find(Locator::Css("#client-connect"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait_until(
            &format!("{name} open"),
            &format!(
                r#"const s = document.querySelector('.client[data-name="{name}"] .status');
                   return s && s.textContent === "open";"#
            ),
        )
        .await
        .unwrap();
}

/// Types `text` into client `name`'s box and sends it, as a person would.
async fn send_from(browser: &Browser, name: &str, text: &str) {
    let client = &browser.client;
    let input = client
        .find(Locator::Css(&format!(
            r#".client[data-name="{name}"] .send-text"#
        )))
        .await
        .unwrap();
    input.send_keys(text).await.unwrap();
    client
        .find(Locator::Css(&format!(
            r#".client[data-name="{name}"] .send-button"#
        )))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

/// The frames client `name` shows as received, oldest first.
fn received_script(name: &str) -> String {
    format!(
        r#"return [...document.querySelectorAll('.client[data-name="{name}"] .received li.frame')]
               .map(li => li.textContent).reverse();"#
    )
}

async fn wait_for_received(browser: &Browser, name: &str, frame: &str) -> Vec<String> {
    let script = format!(
        r#"const frames = (function() {{ {} }})();
           return frames.filter(f => f === {}).length > 0 ? frames : null;"#,
        received_script(name),
        serde_json::to_string(frame).unwrap()
    );
    let frames = browser
        .wait_until(&format!("{name} receiving {frame}"), &script)
        .await
        .unwrap();
    serde_json::from_value(frames).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_console_shows_the_chat_app_live_and_replays_an_invocation() {
    let Some(browser) = browser::launch().await.expect("Chromium starts") else {
        return;
    };
    let local = chat_app().await;
    let mut events = local.emulator.events().subscribe();

    // Before the page is opened: an outside client joins the chat.
    let (mut zed, _) = tokio_tungstenite::connect_async(local.url()).await.unwrap();
    zed.send(Message::text(join("zed"))).await.unwrap();
    tokio::time::timeout(WAIT, async {
        while let Some(event) = events.recv().await {
            if matches!(&event, Event::InvocationFinished { function, .. } if function == "joinChat")
            {
                break;
            }
        }
    })
    .await
    .expect("zed's joinChat finished");

    browser.client.goto(&local.console_url()).await.unwrap();
    // The page opened late still shows it: the message, its route, its Lambda.
    browser
        .wait_until(
            "zed's join from the history",
            r#"return [...document.querySelectorAll('.sequence')].some(s =>
                   s.textContent.includes('"participantId":"zed"') &&
                   s.textContent.includes('route joinChat') &&
                   s.textContent.includes('λ joinChat'));"#,
        )
        .await
        .unwrap();

    open_client(&browser, "alice").await;
    open_client(&browser, "bob").await;
    send_from(&browser, "alice", &join("alice")).await;
    send_from(&browser, "bob", &join("bob")).await;

    // The table's items appear as they are written.
    browser
        .client
        .find(Locator::Css(r#"#tabs button[data-tab="tables"]"#))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let table = browser
        .wait_until(
            "three chat members in the table",
            r#"const block = document.querySelector('.table-block');
               if (!block) return null;
               const text = block.textContent;
               return ['zed', 'alice', 'bob'].every(n => text.includes(n)) ? text : null;"#,
        )
        .await
        .unwrap();
    assert!(table.as_str().unwrap().contains("3 items"), "{table}");

    // alice's message reaches bob (and alice), through sendMessage's posts.
    send_from(&browser, "alice", "hello from the page").await;
    let delivered = r#"{"event":"participantSentMessage","participantId":"alice","message":"hello from the page"}"#;
    wait_for_received(&browser, "bob", delivered).await;
    wait_for_received(&browser, "alice", delivered).await;
    let zed_got = tokio::time::timeout(WAIT, async {
        loop {
            match zed.next().await {
                Some(Ok(Message::Text(text))) if text.contains("hello from the page") => {
                    break text.to_string();
                }
                Some(Ok(_)) => {}
                other => panic!("zed's connection ended: {other:?}"),
            }
        }
    })
    .await
    .expect("the outside client got the message too");
    assert_eq!(zed_got, delivered);

    // The message's sequence: route, Lambda, three posts, three deliveries.
    let sequence = browser
        .wait_until(
            "the message's sequence",
            r#"const s = [...document.querySelectorAll('.sequence')].find(s =>
                   s.textContent.includes('sent hello from the page'));
               if (!s) return null;
               const posts = s.textContent.split('@connections POST').length - 1;
               const received = s.textContent.split('received {"event":"participantSentMessage"').length - 1;
               return posts === 3 && received === 3 ? s.textContent : null;"#,
        )
        .await
        .unwrap();
    let sequence = sequence.as_str().unwrap();
    assert!(
        sequence.contains(r#"$request.body.action = """#),
        "{sequence}"
    );
    assert!(sequence.contains("route $default"), "{sequence}");
    assert!(sequence.contains("λ sendMessage"), "{sequence}");

    // The invocation with the event JSON exactly as the Lambda received it.
    browser
        .client
        .find(Locator::Css(r#"#tabs button[data-tab="invocations"]"#))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let found = browser
        .wait_until(
            "sendMessage's invocation and its event",
            r#"const card = [...document.querySelectorAll('.invocation')].find(c =>
                   c.querySelector('.fn').textContent === 'sendMessage' &&
                   c.querySelector('.event').textContent.includes('hello from the page') &&
                   c.querySelector('.result').textContent.endsWith('ms'));
               return card ? [card.dataset.requestId, card.querySelector('.event').textContent] : null;"#,
        )
        .await
        .unwrap();
    let request_id = found[0].as_str().unwrap().to_owned();
    let event: Value = serde_json::from_str(found[1].as_str().unwrap()).unwrap();
    assert_eq!(event["body"], "hello from the page");
    assert_eq!(event["requestContext"]["routeKey"], "$default");
    assert_eq!(event["requestContext"]["requestId"], request_id.as_str());

    // Replay: the same event to sendMessage again; it posts again.
    let card = browser
        .client
        .find(Locator::Css(&format!(
            r#".invocation[data-request-id="{request_id}"]"#
        )))
        .await
        .unwrap();
    card.find(Locator::Css("summary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    card.find(Locator::Css(".replay"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let outcome = browser
        .wait_until(
            "the replay's response",
            &format!(
                r#"const o = document.querySelector('.invocation[data-request-id="{request_id}"] .replay-outcome');
                   return o ? o.textContent : null;"#
            ),
        )
        .await
        .unwrap();
    let response: Value = serde_json::from_str(outcome.as_str().unwrap()).unwrap();
    assert_eq!(response["statusCode"], 200);
    browser
        .wait_until(
            "bob receiving the replayed message",
            &format!(
                r#"const frames = (function() {{ {} }})();
                   return frames.filter(f => f === {}).length === 2 ? frames : null;"#,
                received_script("bob"),
                serde_json::to_string(delivered).unwrap()
            ),
        )
        .await
        .unwrap();

    browser.close().await;
    local.shutdown().await;
}

/// The README's picture: `scripts/console-screenshot` runs this with
/// `CONSOLE_SCREENSHOT=docs/console.png`. Three clients in the page chat in
/// exercise 05's app; the newest invocation is opened.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "makes docs/console.png; run by scripts/console-screenshot"]
async fn screenshot() {
    let output = std::env::var("CONSOLE_SCREENSHOT").expect("CONSOLE_SCREENSHOT names the PNG");
    let browser = browser::launch()
        .await
        .expect("Chromium starts")
        .expect("Chromium is installed");
    let local = chat_app().await;
    browser.client.goto(&local.console_url()).await.unwrap();
    for name in ["carol", "bob", "alice"] {
        open_client(&browser, name).await;
        send_from(&browser, name, &join(name)).await;
    }
    send_from(&browser, "bob", r#"{"action":"ping"}"#).await;
    for (name, text) in [
        ("alice", "hi all!"),
        ("bob", "hello alice"),
        ("carol", "ready when you are"),
    ] {
        send_from(&browser, name, text).await;
        let frame = format!(
            r#"{{"event":"participantSentMessage","participantId":"{name}","message":"{text}"}}"#
        );
        wait_for_received(&browser, "alice", &frame).await;
    }
    let newest = browser
        .client
        .find(Locator::Css(".invocation summary"))
        .await
        .unwrap();
    newest.click().await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let png = browser.client.screenshot().await.unwrap();
    std::fs::write(&output, png).unwrap();
    browser.close().await;
    local.shutdown().await;
}
