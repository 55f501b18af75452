//! The checker's local waits read the emulator's events instead of a fixed
//! timer: a client is proven quiet only once the emulator is idle, so the
//! late frame of a slow Lambda is still seen.

use checker::emulator::events::Event;
use checker::session::{QUIET_WAIT, Session};

use super::support;

#[tokio::test]
async fn a_quiet_check_waits_for_a_slow_lambda_and_sees_its_late_frame() {
    let running = support::start("fixtures.yml").await;
    let mut session = Session::local(running.emulator(), None);
    session
        .step("a slow reply")
        .expect("no snapshot to diverge from");
    let mut alice = session.connect("alice").await.expect("alice connects");
    // The two-way reply comes after the fixed wait a deployed stack gets.
    let slow = format!("sleep:{}", QUIET_WAIT.as_millis() * 2);
    session.send(&mut alice, &slow).await;
    session.expect_quiet(&mut alice).await;
    session.expect_quiet(&mut alice).await;
    session.close(alice).await;
    let steps = session.into_transcript().steps;
    assert_eq!(
        steps[0].lines,
        [
            "alice connects: accepted".to_owned(),
            format!("alice sends: {slow}"),
            format!("alice receives: {slow}"),
            "alice receives nothing".to_owned(),
            "alice closes".to_owned(),
        ]
    );
    running.stop().await;
}

#[tokio::test]
async fn the_emulator_counts_a_message_in_flight_until_its_reply_is_written() {
    let mut running = support::start("fixtures.yml").await;
    let hooks = running.emulator().probe();
    let mut ws = support::connect(&running.url()).await;
    support::send(&mut ws, "sleep:300").await;
    running
        .wait_for(|event| match event {
            Event::InvocationStarted { route_key, .. } => (route_key == "$default").then_some(()),
            _ => None,
        })
        .await;
    let mut in_flight = hooks.in_flight();
    assert_eq!(*in_flight.borrow(), 1, "the message being routed");
    assert_eq!(support::next_text(&mut ws).await, "sleep:300");
    // The reply's guard is dropped just after the write the client has seen.
    let settled = tokio::time::timeout(support::WAIT, in_flight.wait_for(|count| *count == 0))
        .await
        .is_ok();
    assert!(settled, "still in flight: {}", *in_flight.borrow());
    running.stop().await;
}
