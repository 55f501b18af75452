//! The frozen sandbox: a Lambda process that asked for its next event and has
//! none is stopped (its whole process group) until the next invocation is
//! handed to it, as Lambda freezes its execution environment. Work a handler
//! leaves running therefore runs late, at a later invocation, or never.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use checker::emulator::events::Event;

use crate::support;

/// The state letter of `/proc/{pid}/stat` (`S` sleeping, `T` stopped, `Z` zombie…).
fn state(pid: u32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(") ")?.1.chars().next()
}

/// Waits until the process is stopped; fails after `support::WAIT`.
async fn until_frozen(pid: u32) {
    let deadline = Instant::now() + support::WAIT;
    while state(pid) != Some('T') {
        assert!(
            Instant::now() < deadline,
            "process {pid} was not frozen (state {:?})",
            state(pid)
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn pid(ws: &mut support::Ws) -> u32 {
    support::send(ws, "pid").await;
    support::next_text(ws).await.parse().expect("a process id")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_process_waiting_for_its_next_event_is_frozen_and_thawed_for_the_next() {
    let running = support::start_one_process_each("fixtures.yml").await;
    let mut ws = support::connect(&running.url()).await;
    let first = pid(&mut ws).await;
    until_frozen(first).await;
    // Handing it the next invocation thaws it: the same warm process answers.
    assert_eq!(pid(&mut ws).await, first);
    until_frozen(first).await;
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn work_left_running_after_returning_runs_at_the_next_invocation() {
    let running = support::start_one_process_each("fixtures.yml").await;
    let mut ws = support::connect(&running.url()).await;
    let process = pid(&mut ws).await;
    support::send(&mut ws, "spawn:late").await;
    assert_eq!(support::next_text(&mut ws).await, "spawn:late");
    until_frozen(process).await;
    // The spawned task's post waits in the frozen process…
    support::assert_silent(&mut ws, Duration::from_millis(600)).await;
    // …until the next invocation thaws it, and runs while that one runs (a
    // second here, for the post's TLS handshake in a dev-profile build).
    support::send(&mut ws, "sleep:1000").await;
    let frames: BTreeSet<String> = [
        support::next_text(&mut ws).await,
        support::next_text(&mut ws).await,
    ]
    .into();
    assert_eq!(
        frames,
        BTreeSet::from(["late".to_owned(), "sleep:1000".to_owned()])
    );
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn work_left_running_is_named_when_the_process_is_released() {
    let running = support::start_one_process_each("fixtures.yml").await;
    let mut ws = support::connect(&running.url()).await;
    let process = pid(&mut ws).await;
    support::send(&mut ws, "spawn:left").await;
    assert_eq!(support::next_text(&mut ws).await, "spawn:left");
    until_frozen(process).await;
    let leftover = running.emulator().probe().release_frozen().await;
    let [
        Event::AfterReturn {
            function,
            call,
            request_id,
        },
    ] = leftover.as_slice()
    else {
        panic!("one call after returning: {leftover:?}");
    };
    assert_eq!(function, "onDefault");
    assert!(call.starts_with("POST @connections/"), "{call}");
    assert!(
        request_id.is_some(),
        "named after the invocation that left it"
    );
    assert_eq!(support::next_text(&mut ws).await, "left");
    assert_ne!(state(process), Some('T'), "released for good");
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn shutdown_ends_frozen_processes() {
    let running = support::start_one_process_each("fixtures.yml").await;
    let mut ws = support::connect(&running.url()).await;
    let process = pid(&mut ws).await;
    until_frozen(process).await;
    running.stop().await;
    let deadline = Instant::now() + support::WAIT;
    while !matches!(state(process), None | Some('Z')) {
        assert!(
            Instant::now() < deadline,
            "the frozen process {process} outlived the emulator (state {:?})",
            state(process)
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
