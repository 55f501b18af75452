//! UpdateItem on the local DynamoDB through the official SDK: the four
//! clauses, `if_not_exists` and `list_append`, nested paths and list
//! indexes, conditions, every `ReturnValues`, and the refusals DynamoDB
//! answers with.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, ReturnValuesOnConditionCheckFailure};
use checker::emulator::events::Event;

use crate::dynamodb::{CHATS, CONNECTIONS, Item, STACK, client, code_and_message, s};
use crate::support;

fn n(text: &str) -> AttributeValue {
    AttributeValue::N(text.to_owned())
}

fn list(values: &[&str]) -> AttributeValue {
    AttributeValue::L(values.iter().map(|value| s(value)).collect())
}

#[tokio::test(flavor = "multi_thread")]
async fn updates_create_change_and_answer_as_asked() {
    let mut running = support::start(STACK).await;
    let client = client(&running);

    // A counter on an item that does not exist yet: UpdateItem creates it.
    for _ in 0..3 {
        client
            .update_item()
            .table_name(CONNECTIONS)
            .key("ConnectionId", s("c1"))
            .update_expression("SET Messages = if_not_exists(Messages, :zero) + :one")
            .expression_attribute_values(":zero", n("0"))
            .expression_attribute_values(":one", n("1"))
            .send()
            .await
            .expect("the counter is counted");
    }
    let write = running
        .wait_for(|event| match event {
            Event::TableWrite { operation, key, .. } => Some((operation.clone(), key.clone())),
            _ => None,
        })
        .await;
    assert_eq!(
        write,
        (
            "UpdateItem".to_owned(),
            r#"{"ConnectionId":{"S":"c1"}}"#.to_owned()
        )
    );

    let updated = client
        .update_item()
        .table_name(CONNECTIONS)
        .key("ConnectionId", s("c1"))
        .update_expression(
            "SET Profile = :profile, Rooms = list_append(if_not_exists(Rooms, :empty), :rooms) \
             ADD Seen :one, Tags :tags",
        )
        .expression_attribute_values(
            ":profile",
            AttributeValue::M(HashMap::from([("Age".to_owned(), n("30"))])),
        )
        .expression_attribute_values(":empty", list(&[]))
        .expression_attribute_values(":rooms", list(&["lobby", "rust"]))
        .expression_attribute_values(":one", n("1"))
        .expression_attribute_values(":tags", AttributeValue::Ss(vec!["a".to_owned()]))
        .return_values(ReturnValue::AllNew)
        .send()
        .await
        .expect("updated");
    let all_new = updated.attributes().expect("ALL_NEW gives the item");
    assert_eq!(all_new.get("Messages"), Some(&n("3")));
    assert_eq!(all_new.get("Rooms"), Some(&list(&["lobby", "rust"])));
    assert_eq!(all_new.get("Seen"), Some(&n("1")));

    // Nested paths and list indexes; UPDATED_OLD gives what they held.
    let updated = client
        .update_item()
        .table_name(CONNECTIONS)
        .key("ConnectionId", s("c1"))
        .update_expression("SET Profile.Age = Profile.Age + :one, Rooms[1] = :room REMOVE Rooms[0]")
        .expression_attribute_values(":one", n("1"))
        .expression_attribute_values(":room", s("go"))
        .return_values(ReturnValue::UpdatedOld)
        .send()
        .await
        .expect("updated");
    let expected_old: Item = HashMap::from([
        (
            "Profile".to_owned(),
            AttributeValue::M(HashMap::from([("Age".to_owned(), n("30"))])),
        ),
        ("Rooms".to_owned(), list(&["lobby", "rust"])),
    ]);
    assert_eq!(updated.attributes(), Some(&expected_old));

    let updated = client
        .update_item()
        .table_name(CONNECTIONS)
        .key("ConnectionId", s("c1"))
        .update_expression("REMOVE Seen DELETE Tags :tags")
        .expression_attribute_values(":tags", AttributeValue::Ss(vec!["a".to_owned()]))
        .return_values(ReturnValue::UpdatedNew)
        .send()
        .await
        .expect("updated");
    assert_eq!(
        updated.attributes(),
        None,
        "nothing updated is left: no Attributes"
    );
    let item = client
        .get_item()
        .table_name(CONNECTIONS)
        .key("ConnectionId", s("c1"))
        .send()
        .await
        .expect("read")
        .item
        .expect("the item");
    assert_eq!(item.get("Rooms"), Some(&list(&["go"])));
    assert_eq!(
        item.get("Profile"),
        Some(&AttributeValue::M(HashMap::from([(
            "Age".to_owned(),
            n("31")
        )])))
    );
    assert!(!item.contains_key("Seen") && !item.contains_key("Tags"));

    // ALL_OLD and UPDATED_NEW.
    let updated = client
        .update_item()
        .table_name(CONNECTIONS)
        .key("ConnectionId", s("c1"))
        .update_expression("SET Messages = Messages - :one")
        .expression_attribute_values(":one", n("1"))
        .return_values(ReturnValue::AllOld)
        .send()
        .await
        .expect("updated");
    assert_eq!(
        updated.attributes().and_then(|old| old.get("Messages")),
        Some(&n("3"))
    );
    let updated = client
        .update_item()
        .table_name(CONNECTIONS)
        .key("ConnectionId", s("c1"))
        .update_expression("SET Messages = Messages - :one")
        .expression_attribute_values(":one", n("0.5"))
        .return_values(ReturnValue::UpdatedNew)
        .send()
        .await
        .expect("updated");
    assert_eq!(
        updated.attributes(),
        Some(&HashMap::from([("Messages".to_owned(), n("1.5"))]))
    );
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn conditions_guard_updates_and_can_return_the_item() {
    let running = support::start(STACK).await;
    let client = client(&running);
    client
        .put_item()
        .table_name(CHATS)
        .item("ChatId", s("rust"))
        .item("ConnectionId", s("a="))
        .item("Name", s("ann"))
        .send()
        .await
        .expect("stored");
    let error = client
        .update_item()
        .table_name(CHATS)
        .key("ChatId", s("rust"))
        .key("ConnectionId", s("a="))
        .update_expression("SET #n = :new")
        .condition_expression("#n = :old")
        .expression_attribute_names("#n", "Name")
        .expression_attribute_values(":new", s("bob"))
        .expression_attribute_values(":old", s("someone else"))
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .send()
        .await
        .expect_err("the condition is false")
        .into_service_error();
    assert!(error.is_conditional_check_failed_exception(), "{error:?}");
    let aws_sdk_dynamodb::operation::update_item::UpdateItemError::ConditionalCheckFailedException(
        failed,
    ) = error
    else {
        panic!("a ConditionalCheckFailedException");
    };
    assert_eq!(
        failed.item().and_then(|item| item.get("Name")),
        Some(&s("ann")),
        "ALL_OLD on failure gives the item as it is"
    );

    // PutItem and DeleteItem take it too.
    let error = client
        .delete_item()
        .table_name(CHATS)
        .key("ChatId", s("rust"))
        .key("ConnectionId", s("a="))
        .condition_expression("attribute_not_exists(ChatId)")
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .send()
        .await
        .expect_err("the item exists")
        .into_service_error();
    let aws_sdk_dynamodb::operation::delete_item::DeleteItemError::ConditionalCheckFailedException(
        failed,
    ) = error
    else {
        panic!("a ConditionalCheckFailedException");
    };
    assert!(failed.item().is_some());

    client
        .update_item()
        .table_name(CHATS)
        .key("ChatId", s("rust"))
        .key("ConnectionId", s("a="))
        .update_expression("SET #n = :new")
        .condition_expression("#n = :old")
        .expression_attribute_names("#n", "Name")
        .expression_attribute_values(":new", s("bob"))
        .expression_attribute_values(":old", s("ann"))
        .send()
        .await
        .expect("the condition holds");
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn update_mistakes_get_dynamodbs_answers() {
    let running = support::start(STACK).await;
    let client = client(&running);
    let update = |expression: &str| {
        client
            .update_item()
            .table_name(CHATS)
            .key("ChatId", s("rust"))
            .key("ConnectionId", s("a="))
            .update_expression(expression)
    };
    let cases = [
        (
            update("SET ConnectionId = :v").expression_attribute_values(":v", s("b=")),
            "One or more parameter values were invalid: Cannot update attribute ConnectionId. \
             This attribute is part of the key",
        ),
        (
            update("SET Score = Score + :v").expression_attribute_values(":v", n("1")),
            "The provided expression refers to an attribute that does not exist in the item",
        ),
        (
            update("SET Nick = :v SET Seen = :v").expression_attribute_values(":v", s("x")),
            "Invalid UpdateExpression: The \"SET\" section can only be used once in an update \
             expression;",
        ),
        (
            update("SET Profile = :v, Profile.Age = :v").expression_attribute_values(":v", s("x")),
            "Invalid UpdateExpression: Two document paths overlap with each other; must remove \
             or rewrite one of these paths; path one: [Profile], path two: [Profile, Age]",
        ),
        (
            update("ADD Nick :v").expression_attribute_values(":v", s("x")),
            "Invalid UpdateExpression: Incorrect operand type for operator or function; \
             operator: ADD, operand type: STRING",
        ),
        (
            update("SET Profile.Age = :v").expression_attribute_values(":v", n("1")),
            "The document path provided in the update expression is invalid for update",
        ),
        (
            update("SET Timestamp = :v").expression_attribute_values(":v", n("1")),
            "Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: \
             Timestamp",
        ),
    ];
    for (call, expected) in cases {
        let error = call.send().await.expect_err(expected).into_service_error();
        let (code, message) = code_and_message(&error);
        assert_eq!(
            (code.as_str(), message.as_str()),
            ("ValidationException", expected)
        );
    }
    let error = update("SET Nick = :v")
        .expression_attribute_values(":v", s("x"))
        .return_values(ReturnValue::from("EVERYTHING"))
        .send()
        .await
        .expect_err("no such ReturnValues")
        .into_service_error();
    assert!(
        code_and_message(&error).1.contains("at 'returnValues'"),
        "{error:?}"
    );
    running.stop().await;
}
