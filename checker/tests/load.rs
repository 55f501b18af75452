//! Nothing lost under load: 10 clients × 20 messages through the whole path
//! (client → gateway → Lambda process → `@connections` → client), each
//! message unique, each echoed exactly once to its sender.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../benches/emulator/load.rs"]
mod load;
#[allow(dead_code)]
#[path = "conformance/support.rs"]
mod support;

use std::time::Duration;

use load::{Load, Mode};

/// 10 clients × 20 messages through a fresh emulator on the benchmark's stack.
async fn echo_load(mode: Mode) -> load::Outcome {
    let running = support::start_with(
        "../../benches/echo-env.yml",
        checker::emulator::Settings {
            port: 0,
            ..checker::emulator::Settings::default()
        },
    )
    .await;
    let outcome = load::run(
        &running.url(),
        Load {
            clients: 10,
            messages: 20,
            duration: Duration::from_secs(30),
            echo_timeout: support::WAIT,
            grace: Duration::from_millis(200),
            mode,
        },
    )
    .await;
    running.stop().await;
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
