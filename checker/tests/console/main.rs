//! The live console in a real browser: headless Chromium (through
//! chromedriver) opens the page of a running emulator and uses it as a
//! person would, by mouse and by keyboard.
//!
//! Skipped, saying why, only where Chromium is not installed; under CI it
//! must run (`checker_testkit::browser::launch`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod authorizer;
mod chat;
mod layout;
mod room;
mod silence;

use std::path::Path;
use std::time::Duration;

use checker::cargo_build::Profile;
use checker::emulator::Settings;
use checker::launch::{Launch, RunningStack};
use checker::workshop::Variant;
use checker_testkit::browser::{self, Browser};
use fantoccini::Locator;
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

pub const WAIT: Duration = Duration::from_secs(30);

pub type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Exercise 05's reference solution, the chat app.
pub async fn chat_app() -> RunningStack {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut launch = Launch::new(root.join("solutions/05-chat-rooms/serverless.yml"));
    launch.binary_suffix = Variant::Solution.binary_suffix();
    RunningStack::start(&launch)
        .await
        .expect("exercise 05's solution builds and starts")
}

/// A test stack of `tests/stacks/` on the fixture Lambdas, on `port` (0: any).
pub async fn test_stack(file: &str, port: u16) -> RunningStack {
    let settings = Settings {
        port,
        ..Settings::default()
    };
    checker_testkit::start(&format!("tests/stacks/{file}"), settings, Profile::Dev)
        .await
        .expect("the test stack starts")
}

/// Chromium, or `None` (the test returns) where it is not installed.
pub async fn launch() -> Option<Browser> {
    browser::launch().await.expect("Chromium starts")
}

/// Opens the console of `local` and waits until its feed is live.
pub async fn open_console(browser: &Browser, local: &RunningStack) {
    browser.client.goto(&local.console_url()).await.unwrap();
    browser
        .wait_until(
            "the feed live",
            r#"return document.querySelector('#feed-status').textContent.startsWith('live');"#,
        )
        .await
        .unwrap();
}

/// A client from outside the page (wscat, a test), named with `?name=` when given.
pub async fn outside_client(local: &RunningStack, name: Option<&str>) -> Ws {
    let url = match name {
        Some(name) => format!("{}?name={name}", local.url()),
        None => local.url(),
    };
    let (ws, _) = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(url))
        .await
        .expect("the handshake finishes in time")
        .expect("the handshake succeeds");
    ws
}

pub async fn send(ws: &mut Ws, text: &str) {
    ws.send(Message::text(text)).await.unwrap();
}

/// The next text frame `ws` receives that contains `part`.
pub async fn receive(ws: &mut Ws, part: &str) -> String {
    tokio::time::timeout(WAIT, async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Text(text))) if text.contains(part) => break text.to_string(),
                Some(Ok(_)) => {}
                other => panic!("the connection ended before a frame with {part}: {other:?}"),
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no frame with {part} arrived"))
}

/// A JavaScript string literal of `text`.
pub fn js(text: &str) -> String {
    serde_json::to_string(text).unwrap()
}

/// The text of the message card whose text contains `part`, once `ready`
/// (a JavaScript expression on the card's text `t`) holds.
pub async fn card(browser: &Browser, part: &str, ready: &str) -> String {
    let script = format!(
        r#"const c = [...document.querySelectorAll('#sequences .sequence')]
               .find(c => c.textContent.includes({part}));
           if (!c) return null;
           const t = c.textContent;
           return ({ready}) ? t : null;"#,
        part = js(part)
    );
    match browser
        .wait_until(&format!("the card of {part}"), &script)
        .await
    {
        Ok(text) => text.as_str().unwrap().to_owned(),
        Err(error) => panic!(
            "no card of {part} where {ready}: {error}\nthe cards:\n{:#?}",
            cards(browser).await
        ),
    }
}

/// The texts of the message cards shown, newest first.
pub async fn cards(browser: &Browser) -> Vec<String> {
    let value = browser
        .client
        .execute(
            "return [...document.querySelectorAll('#sequences .sequence')].map(c => c.textContent)",
            Vec::new(),
        )
        .await
        .unwrap();
    serde_json::from_value(value).unwrap()
}

/// Clicks the element, waiting for it first: what a click before it makes
/// (a card's replay button, added on the card's `toggle` event) can come a
/// task later.
pub async fn click(browser: &Browser, selector: &str) {
    browser
        .client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(selector))
        .await
        .unwrap_or_else(|error| panic!("no {selector} on the page: {error}"))
        .click()
        .await
        .unwrap();
}

/// Opens a client named `name` in the page and waits until it is open.
pub async fn open_client(browser: &Browser, name: &str) {
    let input = browser
        .client
        .find(Locator::Css("#client-name"))
        .await
        .unwrap();
    input.send_keys(name).await.unwrap();
    click(browser, "#client-connect").await;
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
pub async fn send_from(browser: &Browser, name: &str, text: &str) {
    let input = browser
        .client
        .find(Locator::Css(&format!(
            r#".client[data-name="{name}"] .send-text"#
        )))
        .await
        .unwrap();
    input.send_keys(text).await.unwrap();
    click(
        browser,
        &format!(r#".client[data-name="{name}"] .send-button"#),
    )
    .await;
}

/// The frames client `name` shows as received, oldest first.
pub fn received_script(name: &str) -> String {
    format!(
        r#"return [...document.querySelectorAll('.client[data-name="{name}"] .received li.frame')]
               .map(li => li.textContent).reverse();"#
    )
}

/// Waits until the page's client `name` has received `frame` `times` times.
pub async fn wait_for_received(browser: &Browser, name: &str, frame: &str, times: usize) {
    let script = format!(
        r#"const frames = (function() {{ {} }})();
           return frames.filter(f => f === {}).length === {times};"#,
        received_script(name),
        js(frame)
    );
    browser
        .wait_until(&format!("{name} receiving {frame} {times} times"), &script)
        .await
        .unwrap();
}

/// Chooses the option labelled `label` of the `<select>` at `selector`, by clicking it.
pub async fn choose(browser: &Browser, selector: &str, label: &str) {
    browser
        .client
        .find(Locator::Css(selector))
        .await
        .unwrap()
        .select_by_label(label)
        .await
        .unwrap_or_else(|error| panic!("{selector} has no option {label}: {error}"));
}
