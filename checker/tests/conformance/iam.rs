//! Every DynamoDB and `@connections` call a Lambda makes is checked against
//! the role of `stacks/iam.yml`, as IAM evaluates it: wildcards, an index as a
//! resource of its own, an explicit Deny over an Allow. The calls are made
//! with the official SDK clients holding a function's own credentials (read
//! from its environment), so the emulator knows them as that function's.

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::AttributeValue;
use checker::emulator::events::Event;

use crate::support;

const CHATS: &str = "iam-dev-chats";
const OPEN: &str = "open-items";
const ROLE: &str = "arn:aws:sts::000000000000:assumed-role/iam-dev-eu-west-1-lambdaRole";
const TABLE_ARN: &str = "arn:aws:dynamodb:eu-west-1:000000000000:table";

/// The credentials of the function behind `route` (`$default`: reader).
async fn credentials_of(ws: &mut support::Ws, route: &str) -> Credentials {
    let mut values = Vec::new();
    for name in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
    ] {
        let body = match route {
            "$default" => format!("env:{name}"),
            other => format!(r#"{{"action":"{other}","command":"env:{name}"}}"#),
        };
        support::send(ws, &body).await;
        values.push(support::next_text(ws).await);
    }
    let [key, secret, token] = <[String; 3]>::try_from(values).expect("three values");
    assert!(key.starts_with("ASIA"), "{key}");
    Credentials::new(key, secret, Some(token), None, "a function's own")
}

fn dynamodb(running: &support::Running, credentials: Credentials) -> aws_sdk_dynamodb::Client {
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("eu-west-1"))
        .credentials_provider(credentials)
        .endpoint_url(format!("http://{}", running.emulator().address()))
        .build();
    aws_sdk_dynamodb::Client::from_conf(config)
}

fn s(text: &str) -> AttributeValue {
    AttributeValue::S(text.to_owned())
}

/// `(code, message)` of a call's service error.
fn refusal<T: std::fmt::Debug, E: ProvideErrorMetadata + std::fmt::Debug, R: std::fmt::Debug>(
    result: Result<T, aws_sdk_dynamodb::error::SdkError<E, R>>,
) -> (String, String) {
    let error = result.expect_err("the call is refused");
    let service = error.as_service_error().expect("a service error");
    (
        service.code().unwrap_or_default().to_owned(),
        service.message().unwrap_or_default().to_owned(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn dynamodb_calls_are_checked_against_the_functions_role() {
    let mut running = support::start("iam.yml").await;
    let mut ws = support::connect(&running.url()).await;
    let reader = dynamodb(&running, credentials_of(&mut ws, "$default").await);

    // Allowed: `dynamodb:Get*` and PutItem on the table, Query on one index.
    reader
        .put_item()
        .table_name(CHATS)
        .item("ChatId", s("rust"))
        .item("ConnectionId", s("a="))
        .item("ParticipantId", s("ann"))
        .send()
        .await
        .expect("PutItem is allowed on the table");
    reader
        .get_item()
        .table_name(CHATS)
        .key("ChatId", s("rust"))
        .key("ConnectionId", s("a="))
        .send()
        .await
        .expect("dynamodb:Get* covers GetItem");
    let by_connection = reader
        .query()
        .table_name(CHATS)
        .index_name("ByConnection")
        .key_condition_expression("ConnectionId = :id")
        .expression_attribute_values(":id", s("a="))
        .send()
        .await
        .expect("Query is allowed on …/index/ByConnection");
    assert_eq!(by_connection.count(), 1);

    // The table's ARN does not cover its other index: an implicit deny, with
    // DynamoDB's exact answer through the official client.
    let (code, message) = refusal(
        reader
            .query()
            .table_name(CHATS)
            .index_name("ByParticipant")
            .key_condition_expression("ParticipantId = :p")
            .expression_attribute_values(":p", s("ann"))
            .send()
            .await,
    );
    assert_eq!(code, "AccessDeniedException");
    assert_eq!(
        message,
        format!(
            "User: {ROLE}/iam-dev-reader is not authorized to perform: dynamodb:Query on \
             resource: {TABLE_ARN}/{CHATS}/index/ByParticipant because no identity-based policy \
             allows the dynamodb:Query action"
        )
    );
    let (code, _) = refusal(reader.scan().table_name(CHATS).send().await);
    assert_eq!(code, "AccessDeniedException", "no statement allows Scan");

    // `dynamodb:*` on `table/open-*`, but the Deny of DeleteItem wins.
    reader
        .put_item()
        .table_name(OPEN)
        .item("Id", s("1"))
        .send()
        .await
        .expect("open-* allows everything");
    reader
        .scan()
        .table_name(OPEN)
        .send()
        .await
        .expect("open-* allows everything");
    let (code, message) = refusal(
        reader
            .delete_item()
            .table_name(OPEN)
            .key("Id", s("1"))
            .send()
            .await,
    );
    assert_eq!(code, "AccessDeniedException");
    assert_eq!(
        message,
        format!(
            "User: {ROLE}/iam-dev-reader is not authorized to perform: dynamodb:DeleteItem on \
             resource: {TABLE_ARN}/{OPEN} with an explicit deny in an identity-based policy"
        )
    );
    let (function, action, resource, deny_at) = running
        .wait_for(|event| match event {
            Event::AccessDenied {
                function,
                action,
                resource,
                deny_at,
                ..
            } if action == "dynamodb:DeleteItem" => Some((
                function.clone(),
                action.clone(),
                resource.clone(),
                deny_at.clone(),
            )),
            _ => None,
        })
        .await;
    assert_eq!(function, "reader");
    assert_eq!(action, "dynamodb:DeleteItem");
    assert_eq!(resource, format!("{TABLE_ARN}/{OPEN}"));
    let deny_at = deny_at.expect("a Deny statement refused it");
    assert!(deny_at.file.ends_with("tests/stacks/iam.yml"));
    assert_eq!(deny_at.line, 29);

    // Each function has keys of its own: the refusal names the other one.
    let other = dynamodb(&running, credentials_of(&mut ws, "other").await);
    let (_, message) = refusal(other.scan().table_name(CHATS).send().await);
    assert!(
        message.starts_with(&format!(
            "User: {ROLE}/iam-other-function is not authorized"
        )),
        "{message}"
    );

    // A client whose keys are not a function's (this test's, a learner's
    // awscli) is not a Lambda: it may do anything.
    let admin = dynamodb(
        &running,
        Credentials::new("AKIDTEST", "secret", None, None, "test"),
    );
    admin
        .scan()
        .table_name(CHATS)
        .send()
        .await
        .expect("the administrator may scan");
    running.stop().await;
}

/// The body as DynamoDB sends it: HTTP 400, Coral's `__type`, the message
/// under `Message`.
#[tokio::test(flavor = "multi_thread")]
async fn batches_need_their_own_action_and_transactions_their_parts() {
    use aws_sdk_dynamodb::types::{
        ConditionCheck, Delete, Put, PutRequest, TransactWriteItem, WriteRequest,
    };
    let running = support::start("iam.yml").await;
    let mut ws = support::connect(&running.url()).await;
    let reader = dynamodb(&running, credentials_of(&mut ws, "$default").await);
    let open_key = || std::collections::HashMap::from([("Id".to_owned(), s("1"))]);
    let put_open = || {
        WriteRequest::builder()
            .put_request(
                PutRequest::builder()
                    .set_item(Some(open_key()))
                    .build()
                    .unwrap(),
            )
            .build()
    };

    // PutItem on the chats table is allowed, BatchWriteItem is not.
    let chat_item = std::collections::HashMap::from([
        ("ChatId".to_owned(), s("rust")),
        ("ConnectionId".to_owned(), s("a=")),
    ]);
    let (code, message) = refusal(
        reader
            .batch_write_item()
            .request_items(OPEN, vec![put_open()])
            .request_items(
                CHATS,
                vec![
                    WriteRequest::builder()
                        .put_request(
                            PutRequest::builder()
                                .set_item(Some(chat_item.clone()))
                                .build()
                                .unwrap(),
                        )
                        .build(),
                ],
            )
            .send()
            .await,
    );
    assert_eq!(code, "AccessDeniedException");
    assert!(
        message.contains(&format!(
            "dynamodb:BatchWriteItem on resource: {TABLE_ARN}/{CHATS}"
        )),
        "{message}"
    );
    reader
        .batch_write_item()
        .request_items(OPEN, vec![put_open()])
        .send()
        .await
        .expect("dynamodb:* on open-* covers BatchWriteItem");
    let (code, _) = refusal(
        reader
            .update_item()
            .table_name(CHATS)
            .set_key(Some(chat_item.clone()))
            .update_expression("SET Seen = :s")
            .expression_attribute_values(":s", s("yes"))
            .send()
            .await,
    );
    assert_eq!(
        code, "AccessDeniedException",
        "no statement allows UpdateItem"
    );

    // A transaction: PutItem on chats and a condition check on open-* are
    // allowed; a Delete falls to the Deny of DeleteItem.
    reader
        .transact_write_items()
        .transact_items(
            TransactWriteItem::builder()
                .put(
                    Put::builder()
                        .table_name(CHATS)
                        .set_item(Some(chat_item))
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .transact_items(
            TransactWriteItem::builder()
                .condition_check(
                    ConditionCheck::builder()
                        .table_name(OPEN)
                        .set_key(Some(open_key()))
                        .condition_expression("attribute_exists(Id)")
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .expect("PutItem and ConditionCheckItem are allowed");
    let (code, message) = refusal(
        reader
            .transact_write_items()
            .transact_items(
                TransactWriteItem::builder()
                    .delete(
                        Delete::builder()
                            .table_name(OPEN)
                            .set_key(Some(open_key()))
                            .build()
                            .unwrap(),
                    )
                    .build(),
            )
            .send()
            .await,
    );
    assert_eq!(code, "AccessDeniedException");
    assert!(
        message.contains("dynamodb:DeleteItem") && message.contains("explicit deny"),
        "{message}"
    );
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_access_denied_body_is_dynamodbs() {
    let running = support::start("iam.yml").await;
    let mut ws = support::connect(&running.url()).await;
    let key = credentials_of(&mut ws, "$default").await;
    let authorization = format!(
        "AWS4-HMAC-SHA256 Credential={}/20240120/eu-west-1/dynamodb/aws4_request, \
         SignedHeaders=host, Signature=0",
        key.access_key_id()
    );
    let response = support::raw_http(
        running.emulator().address(),
        "POST",
        "/",
        &[
            ("X-Amz-Target", "DynamoDB_20120810.Scan"),
            ("Content-Type", "application/x-amz-json-1.0"),
            ("Authorization", &authorization),
        ],
        format!(r#"{{"TableName":"{CHATS}"}}"#).as_bytes(),
    )
    .await;
    assert_eq!(response.status, 400);
    assert_eq!(
        response.headers["x-amzn-errortype"],
        "AccessDeniedException"
    );
    let body: serde_json::Value = serde_json::from_str(&response.body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({
            "__type": "com.amazon.coral.service#AccessDeniedException",
            "Message": format!(
                "User: {ROLE}/iam-dev-reader is not authorized to perform: dynamodb:Scan on \
                 resource: {TABLE_ARN}/{CHATS} because no identity-based policy allows the \
                 dynamodb:Scan action"
            ),
        })
    );
    running.stop().await;
}

/// `execute-api:ManageConnections` on
/// `arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/{METHOD}/@connections/{id}`:
/// Serverless's own grant allows every call, the stack's Deny takes DELETE back.
#[tokio::test(flavor = "multi_thread")]
async fn connections_calls_are_checked_too() {
    use aws_sdk_apigatewaymanagement::primitives::Blob;

    let mut running = support::start("iam.yml").await;
    let mut ws = support::connect(&running.url()).await;
    let credentials = credentials_of(&mut ws, "$default").await;
    support::send(&mut ws, "event").await;
    let event: serde_json::Value =
        serde_json::from_str(&support::next_text(&mut ws).await).unwrap();
    let id = event["requestContext"]["connectionId"]
        .as_str()
        .unwrap()
        .to_owned();
    let api_id = event["requestContext"]["apiId"]
        .as_str()
        .unwrap()
        .to_owned();
    let config = aws_sdk_apigatewaymanagement::Config::builder()
        .behavior_version(aws_sdk_apigatewaymanagement::config::BehaviorVersion::latest())
        .region(aws_sdk_apigatewaymanagement::config::Region::new(
            "eu-west-1",
        ))
        .credentials_provider(credentials)
        .endpoint_url(format!("http://{}/dev", running.emulator().address()))
        .build();
    let client = aws_sdk_apigatewaymanagement::Client::from_conf(config);
    client
        .post_to_connection()
        .connection_id(&id)
        .data(Blob::new("allowed"))
        .send()
        .await
        .expect("Serverless grants @connections to every function");
    assert_eq!(support::next_text(&mut ws).await, "allowed");

    let error = client
        .delete_connection()
        .connection_id(&id)
        .send()
        .await
        .expect_err("the Deny takes DeleteConnection back");
    let service = error.as_service_error().expect("a service error");
    assert!(service.is_forbidden_exception(), "{error:?}");
    assert_eq!(
        aws_sdk_apigatewaymanagement::error::ProvideErrorMetadata::message(service),
        Some(
            format!(
                "User: {ROLE}/iam-dev-reader is not authorized to perform: \
                 execute-api:ManageConnections on resource: \
                 arn:aws:execute-api:eu-west-1:000000000000:{api_id}/dev/DELETE/@connections/{id} \
                 with an explicit deny"
            )
            .as_str()
        )
    );
    running
        .wait_for(|event| match event {
            Event::AccessDenied { action, .. } if action == "execute-api:ManageConnections" => {
                Some(())
            }
            _ => None,
        })
        .await;
    // Refused: the connection is still open.
    support::send(&mut ws, "still here").await;
    assert_eq!(support::next_text(&mut ws).await, "still here");
    running.stop().await;
}
