//! PutItem, GetItem and DeleteItem on the local DynamoDB, and the errors
//! DynamoDB answers to mistakes.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use checker::emulator::events::Event;

use crate::dynamodb::{CHATS, CONNECTIONS, Item, STACK, client, code_and_message, s};
use crate::support;

#[tokio::test(flavor = "multi_thread")]
async fn items_are_put_got_and_deleted_with_every_attribute_type() {
    let mut running = support::start(STACK).await;
    let client = client(&running);
    let item: Item = HashMap::from([
        ("ConnectionId".to_owned(), s("R1kmxc2VNjMCFIA=")),
        ("Name".to_owned(), s("alice")),
        ("Joined".to_owned(), AttributeValue::N("17.50".to_owned())),
        ("Away".to_owned(), AttributeValue::Bool(false)),
        ("Nothing".to_owned(), AttributeValue::Null(true)),
        (
            "Tags".to_owned(),
            AttributeValue::Ss(vec!["a".to_owned(), "b".to_owned()]),
        ),
        (
            "Scores".to_owned(),
            AttributeValue::Ns(vec!["1".to_owned(), "2.5".to_owned()]),
        ),
        (
            "Avatar".to_owned(),
            AttributeValue::B(aws_sdk_dynamodb::primitives::Blob::new(vec![0, 159, 255])),
        ),
        (
            "Rooms".to_owned(),
            AttributeValue::L(vec![s("r1"), s("r2")]),
        ),
        (
            "Profile".to_owned(),
            AttributeValue::M(HashMap::from([("Age".to_owned(), s("old"))])),
        ),
    ]);
    let put = client
        .put_item()
        .table_name(CONNECTIONS)
        .set_item(Some(item.clone()))
        .return_values(ReturnValue::AllOld)
        .send()
        .await
        .expect("the item is stored");
    assert_eq!(put.attributes(), None, "nothing was replaced");
    let write = running
        .wait_for(|event| match event {
            Event::TableWrite {
                table,
                operation,
                key,
                request_id,
            } => {
                // Written by the test's own client, not by a Lambda.
                assert_eq!(*request_id, None);
                Some((table.clone(), operation.clone(), key.clone()))
            }
            _ => None,
        })
        .await;
    assert_eq!(
        write,
        (
            CONNECTIONS.to_owned(),
            "PutItem".to_owned(),
            r#"{"ConnectionId":{"S":"R1kmxc2VNjMCFIA="}}"#.to_owned()
        )
    );

    let got = client
        .get_item()
        .table_name(CONNECTIONS)
        .key("ConnectionId", s("R1kmxc2VNjMCFIA="))
        .send()
        .await
        .expect("the item is read");
    assert_eq!(
        got.item(),
        Some(&item),
        "every type comes back as it was put"
    );

    let projected = client
        .get_item()
        .table_name(CONNECTIONS)
        .key("ConnectionId", s("R1kmxc2VNjMCFIA="))
        .projection_expression("#n, Joined, NotThere")
        .expression_attribute_names("#n", "Name")
        .send()
        .await
        .expect("the projection is read");
    let mut kept: Vec<&String> = projected.item().expect("found").keys().collect();
    kept.sort();
    assert_eq!(kept, ["Joined", "Name"]);

    let replaced = client
        .put_item()
        .table_name(CONNECTIONS)
        .item("ConnectionId", s("R1kmxc2VNjMCFIA="))
        .item("Name", s("bob"))
        .return_values(ReturnValue::AllOld)
        .send()
        .await
        .expect("the item is replaced");
    assert_eq!(
        replaced.attributes(),
        Some(&item),
        "ALL_OLD gives the old item"
    );

    let deleted = client
        .delete_item()
        .table_name(CONNECTIONS)
        .key("ConnectionId", s("R1kmxc2VNjMCFIA="))
        .return_values(ReturnValue::AllOld)
        .send()
        .await
        .expect("the item is deleted");
    let old = deleted
        .attributes()
        .expect("ALL_OLD gives the deleted item");
    assert_eq!(old.get("Name"), Some(&s("bob")));
    let write = running
        .wait_for(|event| match event {
            Event::TableWrite { operation, .. } if operation == "DeleteItem" => Some(()),
            _ => None,
        })
        .await;
    assert_eq!(write, ());

    let gone = client
        .get_item()
        .table_name(CONNECTIONS)
        .key("ConnectionId", s("R1kmxc2VNjMCFIA="))
        .send()
        .await
        .expect("the read succeeds");
    assert_eq!(gone.item(), None);
    let again = client
        .delete_item()
        .table_name(CONNECTIONS)
        .key("ConnectionId", s("R1kmxc2VNjMCFIA="))
        .return_values(ReturnValue::AllOld)
        .send()
        .await
        .expect("deleting nothing succeeds");
    assert_eq!(again.attributes(), None);
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn mistakes_get_the_errors_dynamodb_sends() {
    let running = support::start(STACK).await;
    let client = client(&running);

    let error = client
        .put_item()
        .table_name(CONNECTIONS)
        .item("ConnectionId", AttributeValue::N("5".to_owned()))
        .send()
        .await
        .expect_err("a number for a string key")
        .into_service_error();
    assert_eq!(
        code_and_message(&error),
        (
            "ValidationException".to_owned(),
            "One or more parameter values were invalid: Type mismatch for key ConnectionId \
             expected: S actual: N"
                .to_owned()
        )
    );

    let error = client
        .put_item()
        .table_name(CHATS)
        .item("ChatId", s("room1"))
        .send()
        .await
        .expect_err("no sort key")
        .into_service_error();
    assert_eq!(
        code_and_message(&error).1,
        "One or more parameter values were invalid: Missing the key ConnectionId in the item"
    );

    let error = client
        .get_item()
        .table_name(CONNECTIONS)
        .key("Id", s("x"))
        .send()
        .await
        .expect_err("not the key")
        .into_service_error();
    let (code, message) = code_and_message(&error);
    assert_eq!(code, "ValidationException");
    assert!(
        message.starts_with("The provided key element does not match the schema"),
        "{message}"
    );

    let error = client
        .get_item()
        .table_name("NoSuchTable")
        .key("ConnectionId", s("x"))
        .send()
        .await
        .expect_err("no such table");
    let error = error.into_service_error();
    assert!(error.is_resource_not_found_exception(), "{error:?}");
    assert!(
        code_and_message(&error)
            .1
            .starts_with("Requested resource not found"),
        "{error:?}"
    );

    let error = client
        .query()
        .table_name(CHATS)
        .key_condition_expression("ConnectionId = :c")
        .expression_attribute_values(":c", s("a1"))
        .send()
        .await
        .expect_err("no partition key")
        .into_service_error();
    assert_eq!(
        code_and_message(&error).1,
        "Query condition missed key schema element: ChatId"
    );

    let error = client
        .scan()
        .table_name(CONNECTIONS)
        .segment(0)
        .total_segments(2)
        .send()
        .await
        .expect_err("a parallel scan")
        .into_service_error();
    let (code, message) = code_and_message(&error);
    assert_eq!(code, "ValidationException");
    assert!(
        message.contains("does not support the parameter Segment of Scan"),
        "{message}"
    );

    let error = client
        .scan()
        .table_name(CONNECTIONS)
        .projection_expression("ConnectionId, Name")
        .send()
        .await
        .expect_err("a reserved word without a placeholder")
        .into_service_error();
    let (code, message) = code_and_message(&error);
    assert_eq!(code, "ValidationException");
    assert!(
        message.starts_with(
            "Invalid ProjectionExpression: Attribute name is a reserved keyword; reserved \
             keyword: Name"
        ),
        "{message}"
    );

    let error = client
        .scan()
        .table_name(CONNECTIONS)
        .expression_attribute_values(":unused", s("x"))
        .send()
        .await
        .expect_err("an unused value")
        .into_service_error();
    assert_eq!(
        code_and_message(&error).1,
        "Value provided in ExpressionAttributeValues unused in expressions: keys: {:unused}"
    );

    client
        .put_item()
        .table_name(CONNECTIONS)
        .item("ConnectionId", s("taken"))
        .send()
        .await
        .expect("stored");
    let error = client
        .put_item()
        .table_name(CONNECTIONS)
        .item("ConnectionId", s("taken"))
        .condition_expression("attribute_not_exists(ConnectionId)")
        .send()
        .await
        .expect_err("the item exists")
        .into_service_error();
    assert!(error.is_conditional_check_failed_exception(), "{error:?}");

    let error = client
        .transact_get_items()
        .send()
        .await
        .expect_err("TransactGetItems is not supported")
        .into_service_error();
    let (code, message) = code_and_message(&error);
    assert_eq!(code, "UnknownOperationException");
    assert!(
        message.contains("does not support TransactGetItems; it supports PutItem, GetItem"),
        "{message}"
    );
    let error = client
        .create_backup()
        .table_name(CONNECTIONS)
        .backup_name("b")
        .send()
        .await
        .expect_err("CreateBackup is not supported")
        .into_service_error();
    assert_eq!(code_and_message(&error).0, "UnknownOperationException");
    running.stop().await;
}
