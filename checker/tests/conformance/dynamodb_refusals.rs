//! What DynamoDB refuses and the local copy must refuse as well, with
//! DynamoDB's words, and the event that tells the report what AWS does and
//! what to change: a Query's filter on its own key, a reserved word, an
//! item over 400 KB; and the 1 MB a Query or Scan page reads.

use checker::emulator::events::Event;

use crate::dynamodb::{CHATS, CONNECTIONS, STACK, client, code_and_message, join, s};
use crate::support;

#[tokio::test(flavor = "multi_thread")]
async fn a_querys_filter_may_not_name_the_key_it_queries() {
    let mut running = support::start(STACK).await;
    let client = client(&running);
    join(&client, "rust", "a=", "ann").await;
    join(&client, "rust", "b=", "bob").await;
    // "Everyone in my chat but me", the obvious and refused way.
    let error = client
        .query()
        .table_name(CHATS)
        .key_condition_expression("ChatId = :chat")
        .filter_expression("ConnectionId <> :me")
        .expression_attribute_values(":chat", s("rust"))
        .expression_attribute_values(":me", s("a="))
        .send()
        .await
        .expect_err("a key attribute in the filter")
        .into_service_error();
    assert_eq!(
        code_and_message(&error),
        (
            "ValidationException".to_owned(),
            "Filter Expression can only contain non-primary key attributes: Primary key \
             attribute: ConnectionId"
                .to_owned()
        )
    );
    let explained = running
        .wait_for(|event| match event {
            Event::DynamoDbRefused { .. } => event.explain(),
            _ => None,
        })
        .await;
    assert!(
        explained
            .contains("AWS answers every such call with ValidationException \"Filter Expression")
            && explained.contains("KeyConditionExpression")
            && explained.contains("in your code after the Query"),
        "{explained}"
    );

    // The index's key is another: ChatId may be filtered there, and a Scan
    // may filter on any attribute.
    let on_index = client
        .query()
        .table_name(CHATS)
        .index_name("ConnectionIdIndex")
        .key_condition_expression("ConnectionId = :me")
        .filter_expression("ChatId = :chat")
        .expression_attribute_values(":chat", s("rust"))
        .expression_attribute_values(":me", s("a="))
        .send()
        .await
        .expect("ChatId is no key of the index");
    assert_eq!(on_index.count(), 1);
    let error = client
        .query()
        .table_name(CHATS)
        .index_name("ConnectionIdIndex")
        .key_condition_expression("ConnectionId = :me")
        .filter_expression("attribute_exists(ConnectionId)")
        .expression_attribute_values(":me", s("a="))
        .send()
        .await
        .expect_err("the index's own key")
        .into_service_error();
    assert!(
        code_and_message(&error)
            .1
            .starts_with("Filter Expression can only contain")
    );
    let scanned = client
        .scan()
        .table_name(CHATS)
        .filter_expression("ConnectionId <> :me")
        .expression_attribute_values(":me", s("a="))
        .send()
        .await
        .expect("a Scan's filter may name the key");
    assert_eq!(scanned.count(), 1);
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_reserved_word_is_refused_unquoted() {
    let mut running = support::start(STACK).await;
    let client = client(&running);
    let error = client
        .scan()
        .table_name(CONNECTIONS)
        .filter_expression("Text = :t")
        .expression_attribute_values(":t", s("hi"))
        .send()
        .await
        .expect_err("TEXT is reserved")
        .into_service_error();
    assert_eq!(
        code_and_message(&error).1,
        "Invalid FilterExpression: Attribute name is a reserved keyword; reserved keyword: Text"
    );
    let explained = running
        .wait_for(|event| match event {
            Event::DynamoDbRefused { .. } => event.explain(),
            _ => None,
        })
        .await;
    assert!(
        explained.contains("#Text") && explained.contains("ExpressionAttributeNames"),
        "{explained}"
    );
    client
        .scan()
        .table_name(CONNECTIONS)
        .filter_expression("#t = :t")
        .expression_attribute_names("#t", "Text")
        .expression_attribute_values(":t", s("hi"))
        .send()
        .await
        .expect("a placeholder is fine");
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn items_hold_400_kb_and_pages_read_1_mb() {
    let running = support::start(STACK).await;
    let client = client(&running);
    let error = client
        .put_item()
        .table_name(CONNECTIONS)
        .item("ConnectionId", s("big"))
        .item("Blob", s(&"x".repeat(400 * 1024)))
        .send()
        .await
        .expect_err("over 400 KB")
        .into_service_error();
    assert_eq!(
        code_and_message(&error).1,
        "Item size has exceeded the maximum allowed size"
    );

    // Twelve items of about 100 KB: a page of ten, then the rest.
    let chunk = "y".repeat(100_000);
    for i in 0..12 {
        client
            .put_item()
            .table_name(CONNECTIONS)
            .item("ConnectionId", s(&format!("c{i:02}")))
            .item("Blob", s(&chunk))
            .send()
            .await
            .expect("stored");
    }
    let error = client
        .update_item()
        .table_name(CONNECTIONS)
        .key("ConnectionId", s("c00"))
        .update_expression("SET More = :more")
        .expression_attribute_values(":more", s(&"z".repeat(310_000)))
        .send()
        .await
        .expect_err("the update makes it too large")
        .into_service_error();
    assert_eq!(
        code_and_message(&error).1,
        "Item size to update has exceeded the maximum allowed size"
    );
    let first = client
        .scan()
        .table_name(CONNECTIONS)
        .send()
        .await
        .expect("a page");
    assert_eq!(first.count(), 10);
    let next = first.last_evaluated_key().expect("more to read").clone();
    let rest = client
        .scan()
        .table_name(CONNECTIONS)
        .set_exclusive_start_key(Some(next))
        .select(aws_sdk_dynamodb::types::Select::Count)
        .send()
        .await
        .expect("the next page");
    assert_eq!(rest.count(), 2);
    assert!(rest.last_evaluated_key().is_none());
    let counted: i32 = client
        .scan()
        .table_name(CONNECTIONS)
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .expect("every page")
        .iter()
        .map(|page| page.count())
        .sum();
    assert_eq!(counted, 12, "the SDK's paginator follows LastEvaluatedKey");
    running.stop().await;
}
