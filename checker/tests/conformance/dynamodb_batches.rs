//! BatchWriteItem, BatchGetItem and TransactWriteItems on the local
//! DynamoDB through the official SDK: what they write and read, their
//! limits, and a transaction's all or nothing.

use std::collections::HashMap;

use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, Delete, KeysAndAttributes, Put, PutRequest,
    ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update, WriteRequest,
};

use crate::dynamodb::{CHATS, CONNECTIONS, Item, STACK, client, code_and_message, join, s};
use crate::support;

fn connection(id: &str) -> Item {
    HashMap::from([("ConnectionId".to_owned(), s(id))])
}

fn put(item: Item) -> WriteRequest {
    WriteRequest::builder()
        .put_request(
            PutRequest::builder()
                .set_item(Some(item))
                .build()
                .expect("an item"),
        )
        .build()
}

fn delete(key: Item) -> WriteRequest {
    WriteRequest::builder()
        .delete_request(
            aws_sdk_dynamodb::types::DeleteRequest::builder()
                .set_key(Some(key))
                .build()
                .expect("a key"),
        )
        .build()
}

fn chat_key(chat: &str, connection: &str) -> Item {
    HashMap::from([
        ("ChatId".to_owned(), s(chat)),
        ("ConnectionId".to_owned(), s(connection)),
    ])
}

#[tokio::test(flavor = "multi_thread")]
async fn batches_write_and_read_over_tables() {
    let running = support::start(STACK).await;
    let client = client(&running);
    join(&client, "rust", "old=", "ann").await;
    let written = client
        .batch_write_item()
        .request_items(
            CONNECTIONS,
            (0..20)
                .map(|i| put(connection(&format!("c{i:02}"))))
                .collect(),
        )
        .request_items(
            CHATS,
            vec![
                put(chat_key("rust", "c00")),
                delete(chat_key("rust", "old=")),
            ],
        )
        .send()
        .await
        .expect("25 requests in all");
    assert_eq!(
        written.unprocessed_items().map(HashMap::len),
        Some(0),
        "everything is processed"
    );
    let scanned = client
        .scan()
        .table_name(CONNECTIONS)
        .send()
        .await
        .expect("read");
    assert_eq!(scanned.count(), 20);

    let read = client
        .batch_get_item()
        .request_items(
            CONNECTIONS,
            KeysAndAttributes::builder()
                .keys(connection("c03"))
                .keys(connection("c07"))
                .keys(connection("nobody"))
                .projection_expression("ConnectionId")
                .build()
                .expect("keys"),
        )
        .request_items(
            CHATS,
            KeysAndAttributes::builder()
                .keys(chat_key("rust", "c00"))
                .keys(chat_key("rust", "old="))
                .build()
                .expect("keys"),
        )
        .send()
        .await
        .expect("read");
    let responses = read.responses().expect("responses");
    let mut ids: Vec<&AttributeValue> = responses[CONNECTIONS]
        .iter()
        .filter_map(|item| item.get("ConnectionId"))
        .collect();
    ids.sort_by_key(|value| format!("{value:?}"));
    assert_eq!(ids, [&s("c03"), &s("c07")], "a missing key is left out");
    assert_eq!(responses[CHATS].len(), 1, "the deleted member is gone");
    assert_eq!(read.unprocessed_keys().map(HashMap::len), Some(0));
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn batch_limits_are_dynamodbs() {
    let running = support::start(STACK).await;
    let client = client(&running);
    let many = |count: usize, prefix: &str| -> Vec<WriteRequest> {
        (0..count)
            .map(|i| put(connection(&format!("{prefix}{i}"))))
            .collect()
    };
    let error = client
        .batch_write_item()
        .request_items(CONNECTIONS, many(26, "a"))
        .send()
        .await
        .expect_err("26 in one table")
        .into_service_error();
    let (code, message) = code_and_message(&error);
    assert_eq!(code, "ValidationException");
    assert!(
        message.contains("Member must have length less than or equal to 25"),
        "{message}"
    );
    let mut chats: Vec<WriteRequest> = (0..13)
        .map(|i| put(chat_key("rust", &format!("m{i}"))))
        .collect();
    chats.truncate(13);
    let error = client
        .batch_write_item()
        .request_items(CONNECTIONS, many(13, "b"))
        .request_items(CHATS, chats)
        .send()
        .await
        .expect_err("26 over two tables")
        .into_service_error();
    assert_eq!(
        code_and_message(&error).1,
        "Too many items requested for the BatchWriteItem call"
    );
    let error = client
        .batch_write_item()
        .request_items(
            CONNECTIONS,
            vec![put(connection("same")), delete(connection("same"))],
        )
        .send()
        .await
        .expect_err("one item twice")
        .into_service_error();
    assert_eq!(
        code_and_message(&error).1,
        "Provided list of item keys contains duplicates"
    );

    let mut keys = KeysAndAttributes::builder();
    for i in 0..101 {
        keys = keys.keys(connection(&format!("k{i}")));
    }
    let error = client
        .batch_get_item()
        .request_items(CONNECTIONS, keys.build().expect("keys"))
        .send()
        .await
        .expect_err("101 keys")
        .into_service_error();
    assert!(
        code_and_message(&error)
            .1
            .contains("Member must have length less than or equal to 100"),
        "{error:?}"
    );
    let scanned = client
        .scan()
        .table_name(CONNECTIONS)
        .send()
        .await
        .expect("read");
    assert_eq!(scanned.count(), 0, "a refused batch writes nothing");
    running.stop().await;
}

fn put_action(item: Item) -> TransactWriteItem {
    TransactWriteItem::builder()
        .put(
            Put::builder()
                .table_name(CONNECTIONS)
                .set_item(Some(item))
                .build()
                .expect("a put"),
        )
        .build()
}

#[tokio::test(flavor = "multi_thread")]
async fn transactions_write_everything_or_nothing() {
    let running = support::start(STACK).await;
    let client = client(&running);
    join(&client, "rust", "a=", "ann").await;
    client
        .put_item()
        .table_name(CONNECTIONS)
        .item("ConnectionId", s("gone"))
        .send()
        .await
        .expect("stored");

    client
        .transact_write_items()
        .transact_items(put_action(connection("new")))
        .transact_items(
            TransactWriteItem::builder()
                .update(
                    Update::builder()
                        .table_name(CHATS)
                        .set_key(Some(chat_key("rust", "a=")))
                        .update_expression("SET Messages = if_not_exists(Messages, :zero) + :one")
                        .expression_attribute_values(":zero", AttributeValue::N("0".into()))
                        .expression_attribute_values(":one", AttributeValue::N("1".into()))
                        .build()
                        .expect("an update"),
                )
                .build(),
        )
        .transact_items(
            TransactWriteItem::builder()
                .delete(
                    Delete::builder()
                        .table_name(CONNECTIONS)
                        .set_key(Some(connection("gone")))
                        .build()
                        .expect("a delete"),
                )
                .build(),
        )
        .transact_items(
            TransactWriteItem::builder()
                .condition_check(
                    ConditionCheck::builder()
                        .table_name(CHATS)
                        .set_key(Some(chat_key("rust", "b=")))
                        .condition_expression("attribute_not_exists(ChatId)")
                        .build()
                        .expect("a check"),
                )
                .build(),
        )
        .send()
        .await
        .expect("every condition holds");
    let ids = |items: &[Item]| {
        let mut ids: Vec<String> = items
            .iter()
            .filter_map(|item| item.get("ConnectionId")?.as_s().ok().cloned())
            .collect();
        ids.sort();
        ids
    };
    let scanned = client
        .scan()
        .table_name(CONNECTIONS)
        .send()
        .await
        .expect("read");
    assert_eq!(ids(scanned.items()), ["new"]);

    // One false condition: nothing is written, and the reasons say which.
    let error = client
        .transact_write_items()
        .transact_items(put_action(connection("never")))
        .transact_items(
            TransactWriteItem::builder()
                .condition_check(
                    ConditionCheck::builder()
                        .table_name(CHATS)
                        .set_key(Some(chat_key("rust", "a=")))
                        .condition_expression("attribute_not_exists(ChatId)")
                        .return_values_on_condition_check_failure(
                            ReturnValuesOnConditionCheckFailure::AllOld,
                        )
                        .build()
                        .expect("a check"),
                )
                .build(),
        )
        .send()
        .await
        .expect_err("the member exists")
        .into_service_error();
    let TransactWriteItemsError::TransactionCanceledException(cancelled) = error else {
        panic!("a TransactionCanceledException: {error:?}");
    };
    assert_eq!(
        cancelled.message(),
        Some(
            "Transaction cancelled, please refer cancellation reasons for specific reasons \
             [None, ConditionalCheckFailed]"
        )
    );
    let reasons = cancelled.cancellation_reasons();
    assert_eq!(reasons.len(), 2);
    assert_eq!(reasons[0].code(), Some("None"));
    assert_eq!(reasons[1].code(), Some("ConditionalCheckFailed"));
    assert_eq!(
        reasons[1].item().and_then(|item| item.get("Messages")),
        Some(&AttributeValue::N("1".into()))
    );
    let scanned = client
        .scan()
        .table_name(CONNECTIONS)
        .send()
        .await
        .expect("read");
    assert_eq!(ids(scanned.items()), ["new"], "the put was not made");

    // One item twice, and a retry with the same token.
    let error = client
        .transact_write_items()
        .transact_items(put_action(connection("twice")))
        .transact_items(put_action(connection("twice")))
        .send()
        .await
        .expect_err("one item twice")
        .into_service_error();
    assert_eq!(
        code_and_message(&error).1,
        "Transaction request cannot include multiple operations on one item"
    );
    for _ in 0..2 {
        client
            .transact_write_items()
            .client_request_token("retry-1")
            .transact_items(
                TransactWriteItem::builder()
                    .update(
                        Update::builder()
                            .table_name(CONNECTIONS)
                            .set_key(Some(connection("new")))
                            .update_expression("ADD Tries :one")
                            .expression_attribute_values(":one", AttributeValue::N("1".into()))
                            .build()
                            .expect("an update"),
                    )
                    .build(),
            )
            .send()
            .await
            .expect("written once, answered twice");
    }
    let item = client
        .get_item()
        .table_name(CONNECTIONS)
        .key("ConnectionId", s("new"))
        .send()
        .await
        .expect("read")
        .item
        .expect("the item");
    assert_eq!(
        item.get("Tries"),
        Some(&AttributeValue::N("1".into())),
        "a retry with the same ClientRequestToken is not applied again"
    );

    let error = client
        .transact_write_items()
        .set_transact_items(Some(
            (0..101)
                .map(|i| put_action(connection(&format!("t{i}"))))
                .collect(),
        ))
        .send()
        .await
        .expect_err("101 actions")
        .into_service_error();
    assert!(
        code_and_message(&error)
            .1
            .contains("Member must have length less than or equal to 100"),
        "{error:?}"
    );
    running.stop().await;
}
