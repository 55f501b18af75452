//! Nothing lost under load: 10 clients × 20 messages through the whole path
//! (client → gateway → Lambda process → `@connections` → client), each
//! message unique, each echoed exactly once to its sender.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use checker::cargo_build::Profile;
use checker::emulator::Settings;
use checker_testkit::load::{self, Load, Mode};

/// 10 clients × 20 messages through a fresh emulator on the benchmark's stack.
async fn echo_load(mode: Mode) -> load::Outcome {
    let settings = Settings {
        port: 0,
        ..Settings::default()
    };
    let local = checker_testkit::start("benches/echo-http.yml", settings, Profile::Dev)
        .await
        .expect("the benchmark's stack starts");
    let outcome = load::run(
        &local.url(),
        Load {
            clients: 10,
            messages: 20,
            duration: Duration::from_secs(30),
            echo_timeout: Duration::from_secs(20),
            grace: Duration::from_millis(200),
            mode,
        },
    )
    .await;
    local.shutdown().await;
    outcome
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_echo_arrives_once_to_its_sender() {
    let tally = echo_load(Mode::StopAndWait).await.tally;
    assert_eq!(tally.connect_failures, 0, "{tally:?}");
    assert_eq!(tally.sent, 200, "{tally:?}");
    assert_eq!(tally.echoed, 200, "{tally:?}");
    assert_eq!(tally.duplicates, 0, "{tally:?}");
    assert_eq!(tally.misrouted, 0, "{tally:?}");
    assert_eq!(tally.missing, 0, "{tally:?}");
    assert_eq!(tally.unexpected, 0, "{tally:?}");
    assert!(tally.lossless(), "{tally:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipelined_echoes_arrive_once_to_their_sender() {
    let tally = echo_load(Mode::Pipelined(10)).await.tally;
    // Order is not promised (API Gateway invokes the Lambda concurrently);
    // delivery is.
    assert!(tally.lossless(), "{tally:?}");
    assert_eq!(tally.echoed, 200, "{tally:?}");
}
