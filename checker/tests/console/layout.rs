//! The page at 800 px wide and by keyboard alone: nothing cut off, every
//! action reachable by Tab with its focus visible, and usable from there.

use fantoccini::key::Key;

use super::*;

/// Resizes the window until the page's viewport is `width` px wide.
async fn viewport_width(browser: &Browser, width: u32) {
    let mut outer = width;
    for _ in 0..3 {
        browser.client.set_window_size(outer, 900).await.unwrap();
        let inner = browser
            .client
            .execute("return window.innerWidth", Vec::new())
            .await
            .unwrap()
            .as_u64()
            .unwrap();
        if inner == u64::from(width) {
            return;
        }
        outer = outer + width - u32::try_from(inner).unwrap();
    }
    panic!("cannot make the viewport {width} px wide");
}

/// Elements that stick out of the viewport or of their panel, and panels
/// that scroll sideways: what "cut off" means here.
const CUT_OFF: &str = r#"
    const width = window.innerWidth;
    const problems = [];
    if (document.documentElement.scrollWidth > width) problems.push(`the page is ${document.documentElement.scrollWidth} px wide`);
    for (const box of document.querySelectorAll('.panel, #sequences, header, #message-tools')) {
        if (box.scrollWidth > box.clientWidth + 1) problems.push(`#${box.id || box.className} scrolls sideways: ${box.scrollWidth} > ${box.clientWidth}`);
    }
    for (const node of document.querySelectorAll('body *')) {
        if (node.closest('pre, .scroll-x, .offscreen, .hidden')) continue;
        const rect = node.getBoundingClientRect();
        if (rect.width === 0) continue;
        if (rect.right > width + 0.5 || rect.left < -0.5) problems.push(`${node.tagName}.${node.className} spans ${rect.left}..${rect.right}`);
    }
    // A status or a time is never broken over two lines.
    for (const node of document.querySelectorAll('.leg .time, .invocation .result, .badge')) {
        const lines = new Set([...node.getClientRects()].map(r => Math.round(r.top)));
        if (lines.size > 1) problems.push(`"${node.textContent}" is broken over ${lines.size} lines`);
    }
    return problems;
"#;

#[tokio::test(flavor = "multi_thread")]
async fn at_800_px_nothing_is_cut_off_and_every_action_is_reachable_by_tab() {
    let Some(browser) = launch().await else {
        return;
    };
    let local = test_stack("fixtures.yml", 0).await;
    viewport_width(&browser, 800).await;
    open_console(&browser, &local).await;
    open_client(&browser, "alice-with-a-rather-long-name").await;
    let mut learner = outside_client(&local, Some("learner")).await;
    send(&mut learner, "hello").await;
    receive(&mut learner, "hello").await;
    send(&mut learner, "error").await;
    receive(&mut learner, "Internal server error").await;
    let long = format!("a-long-message-without-spaces-{}", "x".repeat(300));
    send(&mut learner, &long).await;
    receive(&mut learner, &long).await;
    card(&browser, "learner sent error", "t.includes('failed')").await;
    card(&browser, "a-long-message", "t.includes('learner received')").await;
    // An invocation opened, its replay editor shown, the legend open.
    click(&browser, ".invocation summary").await;
    click(&browser, ".invocation .replay").await;
    click(&browser, "#legend summary").await;

    let problems = browser.client.execute(CUT_OFF, Vec::new()).await.unwrap();
    assert_eq!(problems, serde_json::json!([]), "at 800 px");

    // Tab from the top of the page through all of it.
    let actions = browser
        .client
        .execute(
            r#"const all = [...document.querySelectorAll('a[href], button, input, select, textarea, summary, [tabindex]')]
                   .filter(e => e.tabIndex >= 0 && !e.disabled && e.getClientRects().length > 0
                       && getComputedStyle(e).visibility !== 'hidden');
               all.forEach((e, i) => e.dataset.action = i);
               document.activeElement.blur();
               return all.map(e => `${e.tagName.toLowerCase()}.${e.className} ${e.textContent.slice(0, 30)}`);"#,
            Vec::new(),
        )
        .await
        .unwrap();
    let actions: Vec<String> = serde_json::from_value(actions).unwrap();
    assert!(actions.len() > 20, "{actions:#?}");
    let mut reached = vec![false; actions.len()];
    let mut unseen_focus = Vec::new();
    let mut lambda_reached = false;
    for _ in 0..actions.len() + 10 {
        browser
            .client
            .active_element()
            .await
            .unwrap()
            .send_keys(&Key::Tab.to_string())
            .await
            .unwrap();
        let focused = browser
            .client
            .execute(
                r#"const e = document.activeElement;
                   const style = getComputedStyle(e);
                   const visible = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
                   return [e.dataset.action ?? null, visible, e.textContent.slice(0, 30)];"#,
                Vec::new(),
            )
            .await
            .unwrap();
        let Some(index) = focused[0]
            .as_str()
            .and_then(|index| index.parse::<usize>().ok())
        else {
            continue;
        };
        reached[index] = true;
        if focused[1] != true {
            unseen_focus.push(actions[index].clone());
        }
        // The keyboard opens a card's invocation, as a click does.
        if !lambda_reached
            && focused[2]
                .as_str()
                .is_some_and(|text| text.starts_with("λ onDefault"))
        {
            lambda_reached = true;
        }
    }
    let missed: Vec<&String> = actions
        .iter()
        .zip(&reached)
        .filter(|(_, reached)| !**reached)
        .map(|(action, _)| action)
        .collect();
    assert!(missed.is_empty(), "not reachable by Tab: {missed:#?}");
    assert!(
        unseen_focus.is_empty(),
        "focus not visible on: {unseen_focus:#?}"
    );
    assert!(lambda_reached, "no λ link reached");

    // By keyboard alone: Enter on a card's λ opens its invocation.
    let opened_before = browser
        .client
        .execute(
            "return document.querySelectorAll('.invocation[open]').length",
            Vec::new(),
        )
        .await
        .unwrap();
    browser
        .client
        .execute(
            r#"[...document.querySelectorAll('#sequences button.link')]
                   .find(b => b.textContent === 'λ onDefault' && b.closest('.sequence').textContent.includes('sent error')).focus();"#,
            Vec::new(),
        )
        .await
        .unwrap();
    browser
        .client
        .active_element()
        .await
        .unwrap()
        .send_keys(&Key::Enter.to_string())
        .await
        .unwrap();
    let opened = browser
        .wait_until(
            "the invocation opened by Enter",
            &format!(
                "return document.querySelectorAll('.invocation[open]').length > {opened_before} \
                 && document.activeElement.tagName === 'SUMMARY'"
            ),
        )
        .await
        .unwrap();
    assert_eq!(opened, true);

    browser.close().await;
    local.shutdown().await;
}
