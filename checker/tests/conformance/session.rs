//! The checker's local waits read the emulator's events instead of a fixed
//! timer: a client is proven quiet only once the emulator is idle, so the
//! late frame of a slow Lambda is still seen.

use checker::scenario::{QUIET_WAIT, Session};

use super::support;

#[tokio::test]
async fn a_quiet_check_waits_for_a_slow_lambda_and_sees_its_late_frame() {
    let support::Running { emulator, events } = support::start("fixtures.yml").await;
    let mut session = Session::new(emulator.websocket_url(), Some(events), None);
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
    let (steps, _, _) = session.into_parts();
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
    emulator.shutdown().await;
}
