//! Correct solutions written differently pass; each kind of broken solution
//! gets its own, specific report.

use checker::grade::Verdict;

use crate::support;

const ECHO: &str = "02-there-and-back-again";

async fn assert_passes(exercise: &str, file: &str) {
    let graded = support::check_variant(exercise, file).await;
    assert!(
        graded.verdict.passed(),
        "{file}:\n{}",
        support::report(&graded)
    );
}

/// Whether the client got API Gateway's frame for a failed Lambda.
fn sent_internal_server_error(failure: &checker::grade::Failure) -> bool {
    failure
        .received
        .iter()
        .any(|line| line.contains(r#"{"message": "Internal server error""#))
}

fn snapshot(name: &str, report: &str) {
    support::report_snapshots().bind(|| insta::assert_snapshot!(name.to_owned(), report));
}

#[tokio::test(flavor = "multi_thread")]
async fn alternative_solutions_pass() {
    assert_passes("01-connect", "01-alternative.yml").await;
    assert_passes(ECHO, "02-alternative-two-way.yml").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_panicking_handler_shows_its_panic() {
    let graded = support::check_variant(ECHO, "02-panic.yml").await;
    let failure = support::failure(&graded);
    assert_eq!(failure.step, "alice's message comes back to alice only");
    assert!(
        sent_internal_server_error(failure),
        "{:?}",
        failure.received
    );
    assert!(!failure.lambda_errors.is_empty());
    let report = support::report(&graded);
    assert!(report.contains("panicked"), "{report}");
    snapshot("report-02-panic", &report);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hanging_handler_times_out() {
    let graded = support::check_variant(ECHO, "02-hang.yml").await;
    let failure = support::failure(&graded);
    assert!(
        sent_internal_server_error(failure),
        "{:?}",
        failure.received
    );
    assert_eq!(
        failure.lambda_errors.len(),
        1,
        "{:?}",
        failure.lambda_errors
    );
    assert!(failure.lambda_errors[0].ends_with("Task timed out after 2.00 seconds"));
    snapshot("report-02-hang", &support::report(&graded));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_handler_returning_an_error_shows_it() {
    let graded = support::check_variant(ECHO, "02-error.yml").await;
    let failure = support::failure(&graded);
    assert!(
        sent_internal_server_error(failure),
        "{:?}",
        failure.received
    );
    assert!(
        failure.lambda_errors[0].starts_with("onMessage ($default): "),
        "{:?}",
        failure.lambda_errors
    );
    snapshot("report-02-error", &support::report(&graded));
}

/// On AWS nothing sets an endpoint for `@connections`: a client built from
/// the environment alone posts to the SDK's regional endpoint, which knows no
/// API. The report says so and how to build the client.
#[tokio::test(flavor = "multi_thread")]
async fn a_management_client_from_the_environment_alone_is_caught() {
    let graded = support::check_variant(ECHO, "02-env-client.yml").await;
    let failure = support::failure(&graded);
    assert_eq!(failure.step, "alice's message comes back to alice only");
    assert!(
        sent_internal_server_error(failure),
        "{:?}",
        failure.received
    );
    support::assert_notes_say(
        failure,
        &[
            "onMessage called @connections (POST /@connections/{connectionId}) through the SDK's regional endpoint https://execute-api.eu-west-1.amazonaws.com",
            "403 ForbiddenException",
            ".endpoint_url(format!(\"https://{domain_name}/{stage}\"))",
        ],
    );
    snapshot("report-02-env-client", &support::report(&graded));
}

/// A post from a task the handler spawns and does not await: Lambda freezes
/// the process once the runtime asks for the next event, so the post is made
/// late or never; the report names the function and says to await it.
#[tokio::test(flavor = "multi_thread")]
async fn a_post_left_running_after_returning_is_caught() {
    let graded = support::check_variant(ECHO, "02-spawned-post.yml").await;
    let failure = support::failure(&graded);
    assert_eq!(failure.step, "alice's message comes back to alice only");
    support::assert_notes_say(
        failure,
        &[
            "onMessage did work after its handler had returned (POST @connections/<alice>)",
            "await it before returning",
        ],
    );
    // The spawned post races the freeze, as on AWS. Made before the process
    // is stopped at its next `/next`, it arrives during the step and shows as
    // work after return; made after, it arrives only when the check thaws the
    // process. Both fail; the snapshot is of the second, the common one.
    let received = &failure.received;
    if received.contains(&"alice receives: hello from alice".to_owned()) {
        assert!(
            received
                .iter()
                .any(|line| line.contains("onMessage did work after its handler returned")),
            "{received:?}"
        );
    } else {
        snapshot("report-02-spawned-post", &support::report(&graded));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn echoing_to_the_wrong_connection_is_caught() {
    let graded = support::check_variant(ECHO, "02-wrong-connection.yml").await;
    let failure = support::failure(&graded);
    assert_eq!(failure.step, "bob's message comes back to bob only");
    assert!(
        failure
            .received
            .contains(&"alice receives: hello from bob".to_owned()),
        "{:?}",
        failure.received
    );
    snapshot("report-02-wrong-connection", &support::report(&graded));
}

#[tokio::test(flavor = "multi_thread")]
async fn echoing_twice_is_caught() {
    let graded = support::check_variant(ECHO, "02-double-echo.yml").await;
    let failure = support::failure(&graded);
    assert!(
        failure
            .received
            .iter()
            .any(|line| line == "alice receives: hello from alice"
                || line == "bob receives: hello from bob"),
        "{:?}",
        failure
    );
    snapshot("report-02-double-echo", &support::report(&graded));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_route_missing_from_the_yaml_gets_forbidden() {
    for file in ["02-missing-route.yml", "02-route-typo.yml"] {
        let graded = support::check_variant(ECHO, file).await;
        let failure = support::failure(&graded);
        assert_eq!(
            failure.step, "alice's message comes back to alice only",
            "{file}"
        );
        assert!(
            failure
                .received
                .iter()
                .any(|line| line.contains(r#""message": "Forbidden""#)),
            "{file}"
        );
    }
    let graded = support::check_variant(ECHO, "02-missing-route.yml").await;
    snapshot("report-02-missing-route", &support::report(&graded));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_compile_error_is_reported_as_cargo_prints_it() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
    write(
        "Cargo.toml",
        "[package]\nname = \"broken\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[[bin]]\nname = \"broken-on-message\"\npath = \"main.rs\"\n\n[workspace]\n",
    );
    write("main.rs", "fn main() {\n    let echo: String = 42;\n}\n");
    write(
        "serverless.yml",
        "service: broken\nprovider:\n  name: aws\n  runtime: provided.al2023\nfunctions:\n  onMessage:\n    handler: bootstrap\n    package:\n      artifact: target/lambda/broken-on-message.zip\n    events:\n      - websocket: $default\n",
    );
    let graded = support::check_file(ECHO, &dir.path().join("serverless.yml")).await;
    let Verdict::BuildFailed { diagnostics } = &graded.verdict else {
        panic!("expected a build failure, got {:?}", graded.verdict);
    };
    let plain = anstream::adapter::strip_str(diagnostics).to_string();
    assert!(plain.contains("error[E0308]: mismatched types"), "{plain}");
    assert!(plain.contains("main.rs:2:24"), "{plain}");
    let report = support::report(&graded);
    assert!(report.contains("The Lambdas do not compile"), "{report}");
}

#[tokio::test(flavor = "multi_thread")]
async fn typos_in_serverless_yml_are_named_with_their_place() {
    // Inside the workspace, so cargo finds it; under the git-ignored target/
    // wherever CARGO_TARGET_DIR points.
    let scratch = support::root().join("target").join("selfcheck");
    std::fs::create_dir_all(&scratch).unwrap();
    let dir = tempfile::tempdir_in(scratch).unwrap();
    let solution = std::fs::read_to_string(
        support::root()
            .join("solutions")
            .join(ECHO)
            .join("serverless.yml"),
    )
    .unwrap();

    let route_typo = solution.replacen("websocket: $default", "websocket: $defualt", 1);
    assert_ne!(
        route_typo, solution,
        "the solution binds $default in short form"
    );
    std::fs::write(dir.path().join("serverless.yml"), route_typo).unwrap();
    let graded = support::check_file(ECHO, &dir.path().join("serverless.yml")).await;
    let Verdict::Broken { message } = &graded.verdict else {
        panic!("expected a configuration error, got {:?}", graded.verdict);
    };
    assert!(message.contains("serverless.yml:"), "{message}");
    assert!(message.contains("$defualt"), "{message}");

    let artifact_typo = solution.replacen("ex02-on-message.zip", "ex02-on-mesage.zip", 1);
    assert_ne!(artifact_typo, solution);
    std::fs::write(dir.path().join("serverless.yml"), artifact_typo).unwrap();
    let graded = support::check_file(ECHO, &dir.path().join("serverless.yml")).await;
    let report = support::report(&graded);
    assert!(report.contains("ex02-on-mesage"), "{report}");
    assert!(!graded.verdict.passed());
}

/// What CloudFormation or IAM would refuse or grant otherwise on AWS stops
/// the check, naming the cause and the fix. (These variants sit in
/// `variants/refused/`, out of the packaging check's way: Serverless packages
/// them, CloudFormation or IAM fails them later.)
#[tokio::test(flavor = "multi_thread")]
async fn what_aws_would_refuse_stops_the_check() {
    for (exercise, file, expected) in [
        (
            "03-websockets-party",
            "refused/03-literal-account.yml",
            [
                "writes the account `000000000000` in its ARN",
                "${AWS::AccountId}",
            ],
        ),
        (
            "05-chat-rooms",
            "refused/05-no-billing-mode.yml",
            [
                "no `BillingMode` (so PROVISIONED",
                "`BillingMode: PAY_PER_REQUEST`",
            ],
        ),
    ] {
        let graded = support::check_variant(exercise, file).await;
        let Verdict::Broken { message } = &graded.verdict else {
            panic!(
                "{file}: expected a configuration error, got {:?}",
                graded.verdict
            );
        };
        let name = file.trim_start_matches("refused/");
        assert!(message.contains(&format!("{name}:")), "{message}");
        for text in expected {
            assert!(message.contains(text), "{file}: {text}\n{message}");
        }
    }
}

/// `events:` indented under `package:`: Serverless would deploy the function
/// without routes, with only a warning; the checker refuses the file and says
/// where `events:` belongs. (In `variants/refused/`, out of the packaging
/// check's way, which fails any file the checker refuses.)
#[tokio::test(flavor = "multi_thread")]
async fn events_under_package_are_named() {
    let graded = support::check_variant(ECHO, "refused/02-events-under-package.yml").await;
    let Verdict::Broken { message } = &graded.verdict else {
        panic!("expected the file refused, got {:?}", graded.verdict);
    };
    assert!(
        message.contains(
            "02-events-under-package.yml:31:7: `events:` sits under `package:` of function \"onMessage\""
        ),
        "{message}"
    );
    assert!(message.contains("2 space(s) to the left"), "{message}");
}

/// `- websocket: default`: a custom route no message of the scenario takes;
/// the report says `$default` was meant.
#[tokio::test(flavor = "multi_thread")]
async fn a_route_without_its_dollar_is_named() {
    let graded = support::check_variant(ECHO, "02-route-without-dollar.yml").await;
    let failure = support::failure(&graded);
    assert_eq!(failure.step, "alice's message comes back to alice only");
    support::assert_notes_say(
        failure,
        &[
            "the route `default` of function \"onMessage\" has no `$`, so it is a custom route",
            "is `$default`, with the `$`",
        ],
    );
}

/// `let _ = ….send();`: no compiler warning, nothing posted; the report
/// names the line and says to await it.
#[tokio::test(flavor = "multi_thread")]
async fn a_dropped_send_is_named() {
    let graded = support::check_variant(ECHO, "02-dropped-send.yml").await;
    let failure = support::failure(&graded);
    assert_eq!(failure.step, "alice's message comes back to alice only");
    support::assert_notes_say(
        failure,
        &[
            "src/bin/variant-02-dropped-send.rs:22: `let _ = ….send();` drops the request unsent",
            "write `.send().await?;`",
        ],
    );
}
