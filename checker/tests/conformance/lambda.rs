//! Lambdas as child processes: environment, crashes, timeouts, scaling, logs,
//! and code written for AWS reaching the management API unmodified.

use std::time::{Duration, Instant};

use checker::emulator::InvokeError;
use checker::emulator::events::Event;

use crate::support;

#[tokio::test(flavor = "multi_thread")]
async fn the_lambda_environment_is_set_as_on_aws() {
    let running = support::start("fixtures.yml").await;
    let mut ws = support::connect(&running.url()).await;
    let address = running.emulator().address();
    let expected = [
        (
            "AWS_LAMBDA_FUNCTION_NAME",
            "conformance-dev-onDefault".to_owned(),
        ),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256".to_owned()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_owned()),
        ("AWS_REGION", "eu-west-1".to_owned()),
        ("AWS_DEFAULT_REGION", "eu-west-1".to_owned()),
        ("FROM_PROVIDER", "provider-value".to_owned()),
        ("FROM_FUNCTION", "function-value".to_owned()),
        // Every client without an endpoint of its own stays on this machine.
        (
            "AWS_ENDPOINT_URL",
            format!("http://{address}/aws-regional-endpoint"),
        ),
        // Nothing AWS would not set: no endpoint for `@connections`.
        (
            "AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI",
            "<unset>".to_owned(),
        ),
        (
            "SSL_CERT_FILE",
            running.emulator().ca_file().display().to_string(),
        ),
        (
            "AWS_LAMBDA_LOG_GROUP_NAME",
            "/aws/lambda/conformance-dev-onDefault".to_owned(),
        ),
    ];
    for (name, value) in expected {
        support::send(&mut ws, &format!("env:{name}")).await;
        assert_eq!(support::next_text(&mut ws).await, value, "{name}");
    }
    for name in [
        "AWS_LAMBDA_RUNTIME_API",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
    ] {
        support::send(&mut ws, &format!("env:{name}")).await;
        assert_ne!(support::next_text(&mut ws).await, "<unset>", "{name}");
    }
    running.stop().await;
}

async fn pid(ws: &mut support::Ws) -> u32 {
    support::send(ws, "pid").await;
    support::next_text(ws).await.parse().expect("a process id")
}

fn alive(pid: u32) -> bool {
    // A killed child that is not reaped yet is a zombie: count it as gone.
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|stat| !stat.split(") ").nth(1).unwrap_or_default().starts_with('Z'))
        .unwrap_or(false)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_crashed_process_is_replaced_and_a_warm_one_reused() {
    let running = support::start_one_process_each("fixtures.yml").await;
    let mut ws = support::connect(&running.url()).await;
    let first = pid(&mut ws).await;
    assert_eq!(
        pid(&mut ws).await,
        first,
        "a warm process serves invocation after invocation"
    );
    support::send(&mut ws, "exit").await;
    let frame = support::next_text(&mut ws).await;
    assert!(
        support::error_frame_pattern("Internal server error").is_match(&frame),
        "{frame}"
    );
    let second = pid(&mut ws).await;
    assert_ne!(second, first, "a new process took over");
    // A panic is caught by lambda_runtime: the process lives on.
    support::send(&mut ws, "panic").await;
    support::next_text(&mut ws).await;
    assert_eq!(pid(&mut ws).await, second);
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_process_that_answered_last_takes_the_next_invocation() {
    let running = support::start("fixtures.yml").await;
    let mut ws = support::connect(&running.url()).await;
    pid(&mut ws).await; // warm
    // Three at once: the pool grows to three processes.
    for _ in 0..3 {
        support::send(&mut ws, "sleep:700").await;
    }
    for _ in 0..3 {
        support::next_text(&mut ws).await;
    }
    // One after another, each goes to the warmest process: the one that just
    // answered, not each idle one in turn.
    let warmest = pid(&mut ws).await;
    for _ in 0..5 {
        assert_eq!(pid(&mut ws).await, warmest);
    }
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_process_past_its_deadline_is_killed_and_replaced() {
    // The process asked for its id is the one that hangs.
    let mut running = support::start_one_process_each("fixtures.yml").await;
    let mut ws = support::connect(&running.url()).await;
    let hung = pid(&mut ws).await;
    let started = Instant::now();
    support::send(&mut ws, "hang").await;
    let frame = support::next_text(&mut ws).await;
    assert!(
        support::error_frame_pattern("Internal server error").is_match(&frame),
        "{frame}"
    );
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(2),
        "the 2 s timeout was honoured, not cut short: {waited:?}"
    );
    let error = running
        .wait_for(|event| match event {
            Event::InvocationFinished {
                outcome: Err(error),
                ..
            } => Some(error.clone()),
            _ => None,
        })
        .await;
    assert_eq!(error, InvokeError::TimedOut(Duration::from_secs(2)));
    assert_eq!(error.to_string(), "Task timed out after 2.00 seconds");
    assert!(!alive(hung), "the hung process {hung} was killed");
    assert_ne!(pid(&mut ws).await, hung);
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn slow_invocations_run_side_by_side() {
    let running = support::start("fixtures.yml").await;
    let mut ws = support::connect(&running.url()).await;
    pid(&mut ws).await; // warm
    let started = Instant::now();
    support::send(&mut ws, "sleep:1500").await;
    support::send(&mut ws, "sleep:1500").await;
    support::next_text(&mut ws).await;
    support::next_text(&mut ws).await;
    let elapsed = started.elapsed();
    assert!(
        elapsed < Duration::from_millis(2900),
        "two 1.5 s invocations took {elapsed:?}: they ran one after the other"
    );
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn lambda_output_is_streamed_with_the_function_name() {
    let mut running = support::start("fixtures.yml").await;
    let mut ws = support::connect(&running.url()).await;
    support::send(&mut ws, "log me").await;
    let request = running
        .wait_for(|event| match event {
            Event::FrameIn {
                text, request_id, ..
            } if text == "log me" => Some(request_id.clone()),
            _ => None,
        })
        .await;
    let (function, line, invocation) = running
        .wait_for(|event| match event {
            Event::Log {
                function,
                line,
                request_id,
            } if line.contains("log me") && !line.starts_with("event ") => {
                Some((function.clone(), line.clone(), request_id.clone()))
            }
            _ => None,
        })
        .await;
    assert_eq!(function, "onDefault");
    assert_eq!(
        invocation,
        Some(request),
        "the line is the message's invocation's"
    );
    assert_eq!(line, "fixture-lambda $default: log me");
    support::send(&mut ws, "panic").await;
    let panic_line = running
        .wait_for(|event| match event {
            Event::Log { function, line, .. }
                if function == "onDefault" && line.contains("panicked") =>
            {
                Some(line.clone())
            }
            _ => None,
        })
        .await;
    assert!(
        panic_line.contains("fixture asked to panic") || panic_line.contains("panicked"),
        "{panic_line}"
    );
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn aws_style_handlers_echo_through_the_event_endpoint_over_tls() {
    let running = support::start("endpoints.yml").await;
    let mut ws = support::connect(&running.url()).await;
    let body = r#"{"action":"fromEvent","text":"über 🚀"}"#;
    support::send(&mut ws, body).await;
    assert_eq!(support::next_text(&mut ws).await, body);
    // Control: without the emulator's CA the https endpoint from the event is
    // refused, so the passing case above really went through TLS trust.
    support::send(&mut ws, r#"{"action":"untrusted"}"#).await;
    let frame = support::next_text(&mut ws).await;
    assert!(
        support::error_frame_pattern("Internal server error").is_match(&frame),
        "{frame}"
    );
    running.stop().await;
}

/// A management client built from the environment alone goes to the SDK's
/// regional endpoint, which knows no API: on AWS every post fails with 403
/// ForbiddenException. Here too, without leaving the machine, and the call is
/// reported with the function that made it.
#[tokio::test(flavor = "multi_thread")]
async fn a_client_from_the_environment_alone_fails_as_on_aws() {
    let mut running = support::start("endpoints.yml").await;
    let mut ws = support::connect(&running.url()).await;
    support::send(&mut ws, r#"{"action":"fromEnv","text":"hello"}"#).await;
    let frame = support::next_text(&mut ws).await;
    assert!(
        support::error_frame_pattern("Internal server error").is_match(&frame),
        "the post failed, so the Lambda did: {frame}"
    );
    let (function, service, region, method, path, status, request_id) = running
        .wait_for(|event| match event {
            Event::RegionalEndpoint {
                function,
                service,
                region,
                method,
                path,
                status,
                request_id,
            } => Some((
                function.clone(),
                service.clone(),
                region.clone(),
                method.clone(),
                path.clone(),
                *status,
                request_id.clone(),
            )),
            _ => None,
        })
        .await;
    assert_eq!(function.as_deref(), Some("fromEnv"));
    assert_eq!(
        (service.as_str(), region.as_str()),
        ("execute-api", "us-east-1")
    );
    assert_eq!((method.as_str(), status), ("POST", 403));
    assert!(path.starts_with("/@connections/"), "{path}");
    assert!(request_id.is_some(), "the call is the invocation's");
    // The post's error failed the invocation, as it would on AWS.
    running
        .wait_for(|event| match event {
            Event::InvocationFinished {
                function,
                outcome: Err(_),
                ..
            } if function == "fromEnv" => Some(()),
            _ => None,
        })
        .await;
    running.stop().await;
}
