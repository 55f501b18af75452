//! Requests to the local DynamoDB that would take a recursive parser down:
//! expressions deeply nested or over DynamoDB's limits, JSON nested past any
//! sense; batches and transactions far past their limits. Each gets
//! DynamoDB's error, and the next request is served.

use aws_sdk_dynamodb::types::AttributeValue;

use crate::dynamodb::{self, CONNECTIONS, STACK, code_and_message, s};
use crate::{raw, support};

/// The error a Scan of the connections table with this filter gets.
async fn scan_error(client: &aws_sdk_dynamodb::Client, filter: &str) -> (String, String) {
    let error = client
        .scan()
        .table_name(CONNECTIONS)
        .filter_expression(filter)
        .expression_attribute_values(":v", s("x"))
        .send()
        .await
        .expect_err("the filter is refused");
    code_and_message(error.as_service_error().expect("a service error"))
}

async fn still_serves(client: &aws_sdk_dynamodb::Client) {
    let scanned = client
        .scan()
        .table_name(CONNECTIONS)
        .filter_expression("(Nickname = :v) AND NOT (Name2 = :v)")
        .expression_attribute_values(":v", s("x"))
        .send()
        .await
        .expect("an ordinary scan is served");
    assert_eq!(scanned.count(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn expressions_past_dynamodbs_limits_get_validation_errors() {
    let running = support::start(STACK).await;
    let client = dynamodb::client(&running);
    client
        .put_item()
        .table_name(CONNECTIONS)
        .item("ConnectionId", s("abc="))
        .item("Nickname", AttributeValue::S("x".into()))
        .send()
        .await
        .expect("stored");

    // 1,000 nested parentheses: 2 KB, one operator.
    let nested = format!("{}Nickname = :v{}", "(".repeat(1000), ")".repeat(1000));
    let (code, message) = scan_error(&client, &nested).await;
    assert_eq!(code, "ValidationException");
    assert!(
        message.starts_with("Invalid FilterExpression: The expression nests parentheses 1000 deep"),
        "{message}"
    );

    // 1,000 NOTs: 4 KB, 1,001 operators.
    let nots = format!("{}Nickname = :v", "NOT ".repeat(1000));
    assert!(nots.len() <= 4096);
    let (code, message) = scan_error(&client, &nots).await;
    assert_eq!(code, "ValidationException");
    assert_eq!(
        message,
        "Invalid FilterExpression: The expression contains too many operators; operator count: 1001"
    );

    let long = format!("Nickname = :v OR {} = :v", "a".repeat(4096));
    let (code, message) = scan_error(&client, &long).await;
    assert_eq!(code, "ValidationException");
    assert_eq!(
        message,
        format!(
            "Invalid FilterExpression: Expression size has exceeded the maximum allowed size; \
             expression size: {}",
            long.len()
        )
    );
    still_serves(&client).await;
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn json_nested_past_the_parsers_limit_is_refused() {
    let running = support::start(STACK).await;
    let headers = [
        ("X-Amz-Target", "DynamoDB_20120810.Scan"),
        ("Content-Type", "application/x-amz-json-1.0"),
        raw::SIGNED,
    ];
    let body = format!(
        r#"{{"TableName":"{CONNECTIONS}","ExclusiveStartKey":{}{}}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let response = support::raw_http(
        running.emulator().address(),
        "POST",
        "/",
        &headers,
        body.as_bytes(),
    )
    .await;
    assert_eq!(response.status, 400, "{response:?}");
    assert_eq!(
        response.headers["x-amzn-errortype"],
        "SerializationException"
    );
    assert!(
        response.body.contains("recursion limit"),
        "{}",
        response.body
    );
    let client = dynamodb::client(&running);
    client
        .put_item()
        .table_name(CONNECTIONS)
        .item("ConnectionId", s("abc="))
        .item("Nickname", s("x"))
        .send()
        .await
        .expect("stored");
    still_serves(&client).await;
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn batches_and_transactions_far_past_their_limits_are_refused() {
    let running = support::start(STACK).await;
    let address = running.emulator().address();
    let send = |operation: &'static str, body: String| async move {
        let target = format!("DynamoDB_20120810.{operation}");
        let headers = [
            ("X-Amz-Target", target.as_str()),
            ("Content-Type", "application/x-amz-json-1.0"),
            raw::SIGNED,
        ];
        support::raw_http(address, "POST", "/", &headers, body.as_bytes()).await
    };
    // 100,000 tables in one batch (a few MB): refused by DynamoDB's count.
    let tables: Vec<String> = (0..100_000)
        .map(|i| {
            format!(r#""t{i}":[{{"DeleteRequest":{{"Key":{{"ConnectionId":{{"S":"x"}}}}}}}}]"#)
        })
        .collect();
    let response = send(
        "BatchWriteItem",
        format!(r#"{{"RequestItems":{{{}}}}}"#, tables.join(",")),
    )
    .await;
    assert_eq!(response.status, 400, "{response:?}");
    assert!(
        response
            .body
            .contains("Too many items requested for the BatchWriteItem call"),
        "{}",
        response.body
    );
    // 50,000 actions in one transaction.
    let put = format!(
        r#"{{"Put":{{"TableName":"{CONNECTIONS}","Item":{{"ConnectionId":{{"S":"x"}}}}}}}}"#
    );
    let actions = vec![put; 50_000].join(",");
    let response = send(
        "TransactWriteItems",
        format!(r#"{{"TransactItems":[{actions}]}}"#),
    )
    .await;
    assert_eq!(response.status, 400, "{response:?}");
    assert!(
        response
            .body
            .contains("Member must have length less than or equal to 100"),
        "{}",
        response.body
    );
    // An update expression of 4 KB of nested functions.
    let nested = format!(
        "SET a = {}:v{}",
        "list_append(".repeat(300),
        ", :v)".repeat(300)
    );
    let client = dynamodb::client(&running);
    let error = client
        .update_item()
        .table_name(CONNECTIONS)
        .key("ConnectionId", s("abc="))
        .update_expression(nested)
        .expression_attribute_values(":v", AttributeValue::L(Vec::new()))
        .send()
        .await
        .expect_err("too deep")
        .into_service_error();
    assert_eq!(code_and_message(&error).0, "ValidationException");
    client
        .put_item()
        .table_name(CONNECTIONS)
        .item("ConnectionId", s("abc="))
        .item("Nickname", s("x"))
        .send()
        .await
        .expect("stored");
    still_serves(&client).await;
    running.stop().await;
}
