//! A `$connect` authorizer's leg in the handshake's card: its invocation
//! before `$connect`'s, and why it refused a client.

use super::*;

#[tokio::test(flavor = "multi_thread")]
async fn the_authorizer_is_a_leg_of_the_handshake() {
    let Some(browser) = launch().await else {
        return;
    };
    let local = test_stack("authorizer.yml", 0).await;
    open_console(&browser, &local).await;
    let _ann =
        tokio_tungstenite::connect_async(format!("{}?name=ann&token=allow:ann", local.url()))
            .await
            .expect("ann is let in");
    let refused =
        tokio_tungstenite::connect_async(format!("{}?name=mal&token=deny", local.url())).await;
    assert!(refused.is_err(), "mal is refused");

    let allowed = card(
        &browser,
        "ann connects",
        "t.includes('λ authorizer authorize → answered') && t.includes('λ onConnect → 200')",
    )
    .await;
    assert!(
        allowed.find("λ authorizer authorize") < allowed.find("λ onConnect"),
        "{allowed}"
    );
    let denied = card(
        &browser,
        "mal connects",
        "t.includes('handshake answered 403')",
    )
    .await;
    assert!(
        denied.contains("λ authorizer authorize → answered"),
        "{denied}"
    );
    assert!(denied.contains("denies execute-api:Invoke"), "{denied}");
    assert!(!denied.contains("λ onConnect"), "{denied}");
    local.shutdown().await;
}
