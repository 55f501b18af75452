//! "Why did nothing come back?": each way a message can get no answer, on
//! the fixture Lambdas, and the sentence its card shows for it.

use super::*;

/// The card holding `part`, once its explanation is there; returns it.
async fn silence(browser: &Browser, part: &str) -> String {
    card(browser, part, "t.includes('Nothing came back')").await
}

#[tokio::test(flavor = "multi_thread")]
async fn each_silence_shows_its_explanation() {
    let Some(browser) = launch().await else {
        return;
    };
    let local = test_stack("fixtures.yml", 0).await;
    open_console(&browser, &local).await;
    let mut learner = outside_client(&local, Some("learner")).await;

    // An answer is not a silence: a two-way reply.
    send(&mut learner, "hello").await;
    receive(&mut learner, "hello").await;
    let answered = card(
        &browser,
        "learner sent hello",
        "t.includes('learner received hello')",
    )
    .await;
    assert!(!answered.contains("Nothing came back"), "{answered}");

    // Fell to $default, whose function returned nothing, while a route of a
    // similar name exists.
    send(&mut learner, r#"{"action":"onway","command":"null"}"#).await;
    let near = silence(&browser, r#"{"action":"onway""#).await;
    assert!(
        near.contains(r#""onway" is not a route, so the message went to $default; the route oneWay has a similar name"#),
        "{near}"
    );
    assert!(
        near.contains("onDefault returned no body and made no @connections call"),
        "{near}"
    );

    // A one-way route whose function made no @connections call.
    send(&mut learner, r#"{"action":"oneWay","command":"null"}"#).await;
    let no_call = silence(&browser, r#"{"action":"oneWay","command":"null"}"#).await;
    assert!(
        no_call.contains("oneWay made no @connections call, and oneWay is a one-way route: its response is not sent to the client"),
        "{no_call}"
    );

    // A two-way reply on a one-way route: dropped.
    send(
        &mut learner,
        r#"{"action":"oneWay","command":"quiet please"}"#,
    )
    .await;
    let dropped = silence(&browser, "quiet please").await;
    assert!(
        dropped.contains(
            "oneWay returned a body, but oneWay is a one-way route: API Gateway drops it"
        ),
        "{dropped}"
    );

    // The function failed; then one that times out (the stack's timeout is 2 s).
    send(&mut learner, "error").await;
    receive(&mut learner, "Internal server error").await;
    let failed = silence(&browser, "learner sent error").await;
    assert!(
        failed.contains("onDefault failed, so API Gateway answered Internal server error instead"),
        "{failed}"
    );
    send(&mut learner, "hang").await;
    receive(&mut learner, "Internal server error").await;
    let timed_out = silence(&browser, "learner sent hang").await;
    assert!(
        timed_out
            .contains("onDefault timed out (after 2.00 seconds, its timeout in serverless.yml)"),
        "{timed_out}"
    );

    // A post to a connection that is gone: the client that sent to the echo
    // route leaves at once, before its echo is posted back.
    let mut leaving = outside_client(&local, Some("leaving")).await;
    send(&mut leaving, r#"{"action":"echo","text":"anyone there?"}"#).await;
    leaving.close(None).await.unwrap();
    drop(leaving);
    let gone = silence(&browser, "anyone there?").await;
    assert!(
        gone.contains("echo posted to leaving, a connection that is gone (410 Gone)"),
        "{gone}"
    );
    assert!(
        gone.contains("@connections POST leaving: 410 Gone"),
        "{gone}"
    );
    local.shutdown().await;

    // No route and no $default: Forbidden, and nothing invoked.
    let local = test_stack("echo-only.yml", 0).await;
    open_console(&browser, &local).await;
    let mut learner = outside_client(&local, Some("learner")).await;
    send(&mut learner, r#"{"action":"ecko"}"#).await;
    receive(&mut learner, "Forbidden").await;
    let forbidden = silence(&browser, r#"{"action":"ecko"}"#).await;
    assert!(
        forbidden.contains(r#"No route matches "ecko" (the route echo has a similar name; route keys match exactly) and the API has no $default route, so API Gateway invoked no function and answered Forbidden"#),
        "{forbidden}"
    );

    browser.close().await;
    local.shutdown().await;
}
