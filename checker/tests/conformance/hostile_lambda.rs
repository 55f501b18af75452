//! What a Lambda (a learner's broken code) can do to the emulator: write
//! without end, start processes that outlive it, and what another local
//! process can do to a Lambda's Runtime API.

use std::time::Duration;

use checker::emulator::InvokeError;
use checker::emulator::events::Event;
use tokio::io::AsyncWriteExt;

use crate::process::running as alive;
use crate::{raw, support};

/// The longest log line kept, and what replaces the rest.
const MAX_LINE: usize = 256 * 1024;

async fn still_serves(running: &support::Running) {
    let mut ws = support::connect(&running.url()).await;
    support::send(&mut ws, "served").await;
    assert_eq!(support::next_text(&mut ws).await, "served");
}

/// The next log line of `function` that `matches`.
async fn log_line(running: &mut support::Running, matches: impl Fn(&str) -> bool) -> String {
    running
        .wait_for(|event| match event {
            Event::Log { line, .. } if matches(line) => Some(line.clone()),
            _ => None,
        })
        .await
}

async fn wait_gone(pid: u32) {
    let deadline = tokio::time::Instant::now() + support::WAIT;
    while alive(pid) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "process {pid} outlived its Lambda"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_line_without_end_is_cut_and_said_so() {
    let mut running = support::start("fixtures.yml").await;
    let mut ws = support::connect(&running.url()).await;
    support::send(&mut ws, &format!("flood:{}", 16 * MAX_LINE)).await;
    let line = log_line(&mut running, |line| line.starts_with("xxx")).await;
    let suffix = format!(" … [line cut at {MAX_LINE} bytes]");
    assert!(line.ends_with(&suffix), "{}", &line[line.len() - 60..]);
    assert_eq!(line.len(), MAX_LINE + suffix.len());
    log_line(&mut running, |line| line == "flood done").await;
    assert_eq!(support::next_text(&mut ws).await, "flooded");
    still_serves(&running).await;
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn output_past_the_rate_limit_is_dropped_and_counted() {
    let mut running = support::start("fixtures.yml").await;
    let mut ws = support::connect(&running.url()).await;
    let lines = 30_000;
    support::send(&mut ws, &format!("flood-lines:{lines}")).await;
    assert_eq!(support::next_text(&mut ws).await, "flooded");
    let mut kept = 0;
    let dropped = running
        .wait_for(|event| match event {
            Event::Log { line, .. } if line.starts_with("yyy") => {
                kept += 1;
                None
            }
            Event::Log { line, .. } => line
                .strip_prefix("[checker] ")?
                .split_once(" lines of output dropped")?
                .0
                .parse::<usize>()
                .ok(),
            _ => None,
        })
        .await;
    assert!(dropped > 0);
    // Kept lines after the count, if the window rolled mid-flood, are counted too.
    kept += std::iter::from_fn(|| running.events.try_recv())
        .filter(|event| matches!(event, Event::Log { line, .. } if line.starts_with("yyy")))
        .count();
    assert!(kept + dropped <= lines, "{kept} kept, {dropped} dropped");
    assert!(kept < lines, "nothing was dropped");
    still_serves(&running).await;
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn processes_a_lambda_starts_end_with_it_on_timeout_and_shutdown() {
    let mut running = support::start("fixtures.yml").await;
    let mut ws = support::connect(&running.url()).await;
    // The invocation times out (2 s): its process group is killed.
    support::send(&mut ws, "grandchild:hang").await;
    let line = log_line(&mut running, |line| line.starts_with("grandchild ")).await;
    let pid: u32 = line["grandchild ".len()..].parse().unwrap();
    assert!(alive(pid));
    let frame = support::next_text(&mut ws).await;
    assert!(
        support::error_frame_pattern("Internal server error").is_match(&frame),
        "{frame}"
    );
    wait_gone(pid).await;

    // The emulator's shutdown kills the group of a healthy process too.
    support::send(&mut ws, "grandchild").await;
    let pid: u32 = support::next_text(&mut ws).await.parse().unwrap();
    assert!(alive(pid));
    still_serves(&running).await;
    running.stop().await;
    wait_gone(pid).await;
}

/// Starts a process out of the Lambda's group (`grandchild:setsid…`) and returns its pid.
async fn start_in_own_session(ws: &mut support::Ws, message: &str) -> u32 {
    support::send(ws, message).await;
    let pid: u32 = support::next_text(ws).await.parse().unwrap();
    assert!(alive(pid), "{message}: {pid} is not running");
    pid
}

async fn internal_server_error(ws: &mut support::Ws) {
    let frame = support::next_text(ws).await;
    assert!(
        support::error_frame_pattern("Internal server error").is_match(&frame),
        "{frame}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn processes_a_lambda_starts_in_a_session_of_their_own_end_with_it() {
    // The process that starts them is the one that hangs or exits.
    let running = support::start_one_process_each("fixtures.yml").await;
    let mut ws = support::connect(&running.url()).await;
    // On a timeout: an orphan in a session of its own (found by the
    // Lambda's environment), and a child in a session of its own with an
    // empty environment (found by its parent link). The warm process that
    // started them gets the hanging invocation.
    let orphan = start_in_own_session(&mut ws, "grandchild:setsid").await;
    let bare = start_in_own_session(&mut ws, "grandchild:setsid-noenv").await;
    support::send(&mut ws, "hang").await;
    internal_server_error(&mut ws).await;
    wait_gone(orphan).await;
    wait_gone(bare).await;

    // On a crash.
    let orphan = start_in_own_session(&mut ws, "grandchild:setsid").await;
    support::send(&mut ws, "exit").await;
    internal_server_error(&mut ws).await;
    wait_gone(orphan).await;

    // On the emulator's shutdown.
    let orphan = start_in_own_session(&mut ws, "grandchild:setsid").await;
    let bare = start_in_own_session(&mut ws, "grandchild:setsid-noenv").await;
    still_serves(&running).await;
    running.stop().await;
    wait_gone(orphan).await;
    wait_gone(bare).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn another_process_cannot_use_a_lambdas_runtime_api() {
    let running = support::start("fixtures.yml").await;
    let mut ws = support::connect(&running.url()).await;
    support::send(&mut ws, "env:AWS_LAMBDA_RUNTIME_API").await;
    let endpoint = support::next_text(&mut ws).await;
    let (address, secret) = endpoint
        .strip_prefix("http://")
        .and_then(|rest| rest.split_once('/'))
        .unwrap_or_else(|| panic!("not http://HOST:PORT/SECRET: {endpoint}"));
    assert_eq!(secret.len(), 32, "{endpoint}");
    let address = address.parse().unwrap();
    let wrong = "0".repeat(32);
    for (method, path) in [
        ("GET", "/2018-06-01/runtime/invocation/next".to_owned()),
        (
            "GET",
            format!("/{wrong}/2018-06-01/runtime/invocation/next"),
        ),
        (
            "POST",
            "/2018-06-01/runtime/invocation/x/response".to_owned(),
        ),
    ] {
        let mut stream = raw::connect(address).await;
        let request =
            format!("{method} {path} HTTP/1.1\r\nHost: {address}\r\nContent-Length: 0\r\n\r\n");
        stream.write_all(request.as_bytes()).await.unwrap();
        let head = raw::read_head(&mut stream).await;
        assert_eq!(raw::status(&head), 403, "{method} {path}: {head}");
    }
    // No event was taken: the Lambda still answers.
    support::send(&mut ws, "mine").await;
    assert_eq!(support::next_text(&mut ws).await, "mine");
    still_serves(&running).await;
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn invocations_past_the_waiting_bound_are_throttled() {
    let settings = checker::emulator::Settings {
        port: 0,
        max_concurrency: 1,
        ..checker::emulator::Settings::default()
    };
    let mut running = support::start_with("fixtures.yml", settings).await;
    let mut ws = support::connect(&running.url()).await;
    // The only process hangs (2 s timeout) while 2,000 wait and 50 more come.
    support::send(&mut ws, "hang").await;
    running
        .wait_for(|event| match event {
            Event::InvocationStarted { route_key, .. } if route_key == "$default" => Some(()),
            _ => None,
        })
        .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    for n in 0..2_050 {
        support::send(&mut ws, &format!("m{n}")).await;
    }
    let throttled = running
        .wait_for({
            let mut throttled = 0;
            move |event| match event {
                Event::InvocationFinished {
                    outcome: Err(error @ InvokeError::Throttled(_)),
                    ..
                } => {
                    assert!(
                        error
                            .to_string()
                            .starts_with("TooManyRequestsException: Rate Exceeded."),
                        "{error}"
                    );
                    throttled += 1;
                    (throttled == 50).then_some(throttled)
                }
                _ => None,
            }
        })
        .await;
    assert_eq!(throttled, 50);
    let error_frame = support::error_frame_pattern("Internal server error");
    let mut errors = 0;
    let mut replies = 0;
    while replies < 2_000 {
        let frame = support::next_text(&mut ws).await;
        if error_frame.is_match(&frame) {
            errors += 1;
        } else {
            replies += 1;
        }
    }
    // The hung invocation and the 50 throttled ones.
    assert_eq!(errors, 51);
    still_serves(&running).await;
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_response_over_6_mb_fails_as_on_lambda() {
    let mut running = support::start("fixtures.yml").await;
    let mut ws = support::connect(&running.url()).await;
    support::send(&mut ws, "big:6291556").await;
    let error = running
        .wait_for(|event| match event {
            Event::InvocationFinished {
                outcome: Err(error),
                ..
            } => Some(error.to_string()),
            _ => None,
        })
        .await;
    assert_eq!(
        error,
        "Function.ResponseSizeTooLarge: Response payload size exceeded maximum allowed payload \
         size (6291556 bytes)."
    );
    let frame = support::next_text(&mut ws).await;
    assert!(
        support::error_frame_pattern("Internal server error").is_match(&frame),
        "{frame}"
    );
    // Just under the limit (the JSON around the body counts too) passes.
    support::send(&mut ws, &format!("big:{}", 6 * 1024 * 1024 - 1024)).await;
    assert_eq!(
        support::next_text(&mut ws).await.len(),
        6 * 1024 * 1024 - 1024
    );
    still_serves(&running).await;
    running.stop().await;
}
