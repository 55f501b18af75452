//! Exercises 03 to 05 (broadcast, clean exits, chat rooms): stubs fail for
//! their reason, alternatives pass, broken variants get their specific report.

use checker::workshop::Variant;

use crate::support;

const PARTY: &str = "03-websockets-party";
const EXITS: &str = "04-clean-exits";
const CHATS: &str = "05-chat-rooms";

fn snapshot(name: &str, report: &str) {
    support::report_snapshots().bind(|| insta::assert_snapshot!(name.to_owned(), report));
}

async fn failed_step(exercise: &str, file: &str) -> (String, Vec<String>, String) {
    let graded = support::check_variant(exercise, file).await;
    let failure = support::failure(&graded);
    (
        failure.step.clone(),
        failure.received.clone(),
        support::report(&graded),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn stubs_03_to_05_fail_for_their_reason() {
    // 03's first TODO is the role's statement: until then onConnect's
    // PutItem is refused, as on AWS, and every handshake fails.
    let graded = support::check(PARTY, Variant::Stub).await;
    let failure = support::failure(&graded);
    assert_eq!(failure.step, "alice, bob and carol connect");
    assert!(
        failure
            .received
            .contains(&"alice connects: rejected with HTTP 502".to_owned()),
        "{:?}",
        failure.received
    );
    assert!(
        failure.notes.iter().any(|note| note.starts_with(
            "onConnect was refused dynamodb:PutItem on arn:aws:dynamodb:eu-west-1:000000000000:table/rust-ws-03-websockets-party-dev-connections"
        ) && note.contains("grant it under provider.iam.role.statements (stubs/03-websockets-party/serverless.yml:")),
        "{:?}",
        failure.notes
    );
    snapshot("report-stub-03", &support::report(&graded));

    let graded = support::check(EXITS, Variant::Stub).await;
    let failure = support::failure(&graded);
    assert_eq!(failure.step, "carol closes: $disconnect forgets her");
    assert!(
        failure
            .received
            .contains(&"lambda: no $disconnect ran for <carol>".to_owned())
    );
    assert!(
        !failure.tables.is_empty(),
        "a failing report shows the tables"
    );
    let report = support::report(&graded);
    assert!(report.contains("Hint (1 of 3)"), "{report}");

    let graded = support::check(CHATS, Variant::Stub).await;
    let failure = support::failure(&graded);
    assert_eq!(failure.step, "each joins a chat and is told so");
    snapshot("report-stub-05", &support::report(&graded));
}

#[tokio::test(flavor = "multi_thread")]
async fn alternative_solutions_03_to_05_pass() {
    for (exercise, file) in [
        (PARTY, "03-alternative-concurrent.yml"),
        (EXITS, "04-alternative-concurrent-cleanup.yml"),
        (CHATS, "05-alternative-one-function.yml"),
    ] {
        let graded = support::check_variant(exercise, file).await;
        assert!(
            graded.verdict.passed(),
            "{file}:\n{}",
            support::report(&graded)
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn broadcasting_to_the_sender_only_is_caught() {
    let (step, received, report) = failed_step(PARTY, "03-broadcast-to-sender-only.yml").await;
    assert_eq!(step, "alice's message reaches everyone");
    assert!(
        received.contains(&"carol receives nothing".to_owned()),
        "{received:?}"
    );
    snapshot("report-03-sender-only", &report);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_disconnect_cleanup_is_caught() {
    let (step, received, report) = failed_step(EXITS, "04-no-disconnect-cleanup.yml").await;
    assert_eq!(step, "carol closes: $disconnect forgets her");
    assert!(
        received
            .iter()
            .any(|line| line.ends_with("holds <alice>, <bob>, <carol>")),
        "{received:?}"
    );
    assert!(report.contains("Tables"), "{report}");
}

#[tokio::test(flavor = "multi_thread")]
async fn stale_ids_left_in_the_table_are_caught() {
    let (step, received, report) = failed_step(EXITS, "04-no-410-cleanup.yml").await;
    assert_eq!(
        step,
        "a stale id is deleted by the next broadcast, which carries on"
    );
    assert!(
        received
            .iter()
            .any(|line| line.ends_with("holds <alice>, <bob>, <ghost>")),
        "{received:?}"
    );
    snapshot("report-04-no-410-cleanup", &report);
}

/// 03's broadcast kept in 04: the post to a stale id fails with 410 Gone and
/// `?` ends the Lambda with an error whose `Display` is "service error"; the
/// report names it, as the SDK's `DisplayErrorContext` would.
#[tokio::test(flavor = "multi_thread")]
async fn a_gone_error_reads_gone_exception() {
    let graded = support::check_variant(EXITS, "04-gone-fails-the-broadcast.yml").await;
    let failure = support::failure(&graded);
    assert_eq!(
        failure.step,
        "a stale id is deleted by the next broadcast, which carries on"
    );
    assert!(
        failure.lambda_errors.iter().any(|error| error
            == "onMessage ($default): service error: GoneException (410) from POST @connections/<ghost>"),
        "{:?}",
        failure.lambda_errors
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_swallowed_error_is_caught() {
    let (step, received, report) = failed_step(EXITS, "04-swallows-errors.yml").await;
    assert_eq!(
        step,
        "(local) a post that fails for another reason is not swallowed"
    );
    assert!(
        received.contains(&"alice receives nothing".to_owned()),
        "{received:?}"
    );
    snapshot("report-04-swallows-errors", &report);
}

#[tokio::test(flavor = "multi_thread")]
async fn chat_mistakes_are_caught() {
    let (step, received, report) = failed_step(CHATS, "05-wrong-chat.yml").await;
    assert_eq!(step, "a message reaches the sender's chat only");
    assert!(
        received
            .iter()
            .any(|line| line.starts_with("carol receives: {")),
        "{received:?}"
    );
    snapshot("report-05-wrong-chat", &report);

    let (step, received, report) = failed_step(CHATS, "05-no-pong.yml").await;
    assert_eq!(step, "ping answers pong to the sender only");
    assert!(
        received.contains(&"carol receives nothing".to_owned()),
        "{received:?}"
    );
    assert!(
        report.contains("ping (ping) returned a body, but this route sends nothing back: post it"),
        "{report}"
    );
}

/// Calls DynamoDB refuses whatever the data: the check fails as the
/// deployed stack would, and the report says what AWS answers and what to change.
#[tokio::test(flavor = "multi_thread")]
async fn dynamodb_refusals_are_caught_and_explained() {
    let graded = support::check_variant(CHATS, "05-filter-key.yml").await;
    let failure = support::failure(&graded);
    assert_eq!(failure.step, "a message reaches the sender's chat only");
    support::assert_notes_say(
        failure,
        &[
            "sendMessage called dynamodb:Query on rust-ws-05-chat-rooms-dev-chats, which \
             DynamoDB refuses: AWS answers every such call with ValidationException \"Filter \
             Expression can only contain non-primary key attributes: Primary key attribute: \
             ConnectionId\"",
            "put a condition on it in KeyConditionExpression",
            "drop the items you do not want in your code after the Query",
        ],
    );
    snapshot("report-05-filter-key", &support::report(&graded));

    let graded = support::check_variant(CHATS, "05-reserved-word.yml").await;
    let failure = support::failure(&graded);
    assert_eq!(failure.step, "a message reaches the sender's chat only");
    support::assert_notes_say(
        failure,
        &[
            "sendMessage called dynamodb:UpdateItem on rust-ws-05-chat-rooms-dev-chats, which \
             DynamoDB refuses: AWS answers every such call with ValidationException \"Invalid \
             UpdateExpression: Attribute name is a reserved keyword; reserved keyword: Total\"",
            "write a placeholder such as `#Total`",
        ],
    );
    snapshot("report-05-reserved-word", &support::report(&graded));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_route_that_matches_only_in_case_is_named() {
    let (_, _, report) = failed_step(CHATS, "05-route-case.yml").await;
    assert!(
        report
            .contains("a message's action \"joinChat\" matches the route `JoinChat` only in case"),
        "{report}"
    );
}

/// Exercise 03 with no DynamoDB statement: onConnect's PutItem is refused, as
/// on AWS, and the report names the function, the action, the table and where
/// to grant it.
#[tokio::test(flavor = "multi_thread")]
async fn a_role_without_dynamodb_rights_is_caught() {
    let graded = support::check_variant(PARTY, "03-no-dynamodb-rights.yml").await;
    let failure = support::failure(&graded);
    assert_eq!(failure.step, "alice, bob and carol connect");
    assert!(
        failure
            .received
            .contains(&"alice connects: rejected with HTTP 502".to_owned()),
        "{:?}",
        failure.received
    );
    support::assert_notes_say(
        failure,
        &[
            "onConnect was refused dynamodb:PutItem on arn:aws:dynamodb:eu-west-1:000000000000:table/rust-ws-03-websockets-party-dev-connections",
            "no statement of the functions' IAM role allows it",
            "grant it under provider.iam.role.statements (tests/variants/03-no-dynamodb-rights.yml:8:1)",
        ],
    );
    snapshot("report-03-no-dynamodb-rights", &support::report(&graded));
}

/// An Allow of everything with a Deny of Scan: the Deny wins, onMessage
/// cannot read whom to broadcast to, and the report points at the Deny.
#[tokio::test(flavor = "multi_thread")]
async fn a_deny_that_overrides_an_allow_is_caught() {
    let graded = support::check_variant(PARTY, "03-deny-overrides-allow.yml").await;
    let failure = support::failure(&graded);
    assert_eq!(failure.step, "alice's message reaches everyone");
    support::assert_notes_say(
        failure,
        &[
            "onMessage was refused dynamodb:Scan on arn:aws:dynamodb:eu-west-1:000000000000:table/rust-ws-03-websockets-party-dev-connections",
            "the Deny statement at tests/variants/03-deny-overrides-allow.yml:",
            "a Deny wins over every Allow",
        ],
    );
    snapshot("report-03-deny-overrides-allow", &support::report(&graded));
}

/// Exercise 05 whose role grants the table but not its index: sendMessage's
/// Query on the index (the sender's chats) is refused, so no message arrives.
#[tokio::test(flavor = "multi_thread")]
async fn a_role_without_rights_on_the_index_is_caught() {
    let graded = support::check_variant(CHATS, "05-no-index-rights.yml").await;
    let failure = support::failure(&graded);
    assert_eq!(failure.step, "a message reaches the sender's chat only");
    support::assert_notes_say(
        failure,
        &[
            "sendMessage was refused dynamodb:Query on arn:aws:dynamodb:eu-west-1:000000000000:table/rust-ws-05-chat-rooms-dev-chats/index/ConnectionIdIndex",
            "an index is a resource of its own",
        ],
    );
    snapshot("report-05-no-index-rights", &support::report(&graded));
}
