//! Requests to the local DynamoDB that would take a recursive parser down:
//! expressions deeply nested or over DynamoDB's limits, JSON nested past any
//! sense; batches and transactions far past their limits; requests whose
//! trees would cost many times their size, alone and eight at once. Each
//! gets DynamoDB's error, and the next request is served.

use aws_sdk_dynamodb::types::AttributeValue;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::dynamodb::{self, CONNECTIONS, STACK, code_and_message, s};
use crate::hostile_bounds::{Serving, address, rss_mib};
use crate::process::serve;
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

/// An ordinary item is stored, and found by an ordinary Scan.
async fn still_serves(client: &aws_sdk_dynamodb::Client) {
    client
        .put_item()
        .table_name(CONNECTIONS)
        .item("ConnectionId", s("abc="))
        .item("Nickname", s("x"))
        .send()
        .await
        .expect("stored");
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
    still_serves(&client).await;
    running.stop().await;
}

/// A raw DynamoDB call of `operation` with `body`.
async fn post(at: std::net::SocketAddr, operation: &str, body: &[u8]) -> support::RawResponse {
    let target = format!("DynamoDB_20120810.{operation}");
    let headers = [
        ("X-Amz-Target", target.as_str()),
        ("Content-Type", "application/x-amz-json-1.0"),
        raw::SIGNED,
    ];
    support::raw_http(at, "POST", "/", &headers, body).await
}

/// `requests` sent at once, answered, with the peak resident memory meanwhile (MiB).
async fn at_once(
    pid: u32,
    at: std::net::SocketAddr,
    operation: &'static str,
    body: &Arc<Vec<u8>>,
    requests: usize,
) -> (Vec<support::RawResponse>, u64) {
    let done = Arc::new(AtomicBool::new(false));
    let sampling = done.clone();
    let sampler = std::thread::spawn(move || {
        let mut peak = 0;
        while !sampling.load(Ordering::Relaxed) {
            peak = peak.max(rss_mib(pid));
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        peak.max(rss_mib(pid))
    });
    let sent: Vec<_> = (0..requests)
        .map(|_| {
            let body = body.clone();
            tokio::spawn(async move { post(at, operation, &body).await })
        })
        .collect();
    let mut answers = Vec::new();
    for request in sent {
        answers.push(request.await.unwrap());
    }
    done.store(true, Ordering::Relaxed);
    (answers, sampler.join().unwrap())
}

/// Waits until the memory is back within `bound` MiB of `start`; what it is then.
async fn settled(pid: u32, start: u64, bound: u64) -> u64 {
    let deadline = std::time::Instant::now() + support::WAIT;
    loop {
        let now = rss_mib(pid);
        if now <= start + bound || std::time::Instant::now() > deadline {
            return now;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn requests_whose_trees_cost_many_times_their_size_are_bounded_in_memory() {
    let config = support::stacks_dir().join(STACK);
    let (child, url) = tokio::task::spawn_blocking(move || {
        serve(&["--port", "0", "--config", config.to_str().unwrap()])
    })
    .await
    .unwrap();
    let child = Serving(Some(child));
    let (pid, at) = (child.pid(), address(&url));
    let start = rss_mib(pid);
    // 12 MB: a Scan with 500,000 values, one of them used. As a tree of
    // `serde_json::Value`s it was 400 MB, kept by the allocator after.
    let values: Vec<String> = (0..500_000)
        .map(|n| format!(r#"":v{n}":{{"S":"x"}}"#))
        .collect();
    let scan = Arc::new(
        format!(
            r#"{{"TableName":"{CONNECTIONS}","FilterExpression":"Nickname = :v0",
            "ExpressionAttributeValues":{{{}}}}}"#,
            values.join(",")
        )
        .into_bytes(),
    );
    drop(values);
    for requests in [1, 8] {
        let (answers, peak) = at_once(pid, at, "Scan", &scan, requests).await;
        for answer in answers {
            let head = answer.body.get(..200).unwrap_or(&answer.body);
            assert_eq!(answer.status, 400, "{head}");
            assert!(
                answer.body.contains(
                    "Value provided in ExpressionAttributeValues unused in expressions: keys: \
                     {:v1, :v10, :v100, :v1000, :v10000, :v100000, :v100001, "
                ),
                "{head}"
            );
        }
        // The bodies themselves (12 MB each, read whole) are what remains.
        let bound = if requests == 1 { 80 } else { 250 };
        assert!(
            peak < start + bound,
            "{requests} at once: RSS went from {start} MiB to {peak} MiB"
        );
        let after = settled(pid, start, 40).await;
        assert!(
            after <= start + 40,
            "{requests} at once: RSS stayed at {after} MiB from {start} MiB"
        );
    }
    // An item of 200,000 attributes (5 MB, 150 MB as a tree), four at once:
    // refused for its size once parsed, the trees built one at a time.
    let attributes: Vec<String> = (0..200_000)
        .map(|n| format!(r#""a{n}":{{"S":"x"}}"#))
        .collect();
    let put = Arc::new(
        format!(
            r#"{{"TableName":"{CONNECTIONS}","Item":{{"ConnectionId":{{"S":"big"}},{}}}}}"#,
            attributes.join(",")
        )
        .into_bytes(),
    );
    drop(attributes);
    let (answers, peak) = at_once(pid, at, "PutItem", &put, 4).await;
    let mut too_large = 0;
    for answer in answers {
        assert_eq!(answer.status, 400, "{}", answer.body);
        // The wait for its share of memory may outlast its time on a busy machine.
        let throttled = answer
            .body
            .contains("ProvisionedThroughputExceededException");
        too_large += usize::from(answer.body.contains("Item size has exceeded"));
        assert!(
            throttled || answer.body.contains("Item size has exceeded"),
            "{}",
            answer.body
        );
    }
    assert!(too_large > 0, "every PutItem was throttled");
    assert!(
        peak < start + 300,
        "4 large items at once: RSS went from {start} MiB to {peak} MiB"
    );
    let after = settled(pid, start, 40).await;
    assert!(
        after <= start + 40,
        "RSS stayed at {after} MiB from {start} MiB"
    );
    // An ordinary request is served, with the official client.
    still_serves(&dynamodb::client_at(at)).await;
    child.stop();
}
