//! Query, Scan, DescribeTable and ListTables on the local DynamoDB, on tables
//! and indexes, and the table dump reports use.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::Select;

use crate::dynamodb::{CHATS, CONNECTIONS, STACK, client, code_and_message, column, join, s};
use crate::support;

/// A key condition, its values besides `:room`, and the connections it selects.
type SortCase = (
    &'static str,
    &'static [(&'static str, &'static str)],
    &'static [&'static str],
);

#[tokio::test(flavor = "multi_thread")]
async fn queries_select_by_partition_key_and_sort_key_conditions() {
    let running = support::start(STACK).await;
    let client = client(&running);
    for connection in ["b2", "a1", "b1", "a2"] {
        join(&client, "room1", connection, &format!("user-{connection}")).await;
    }
    join(&client, "room2", "a1", "elsewhere").await;

    // (condition, its values besides :room, the connections it selects)
    let cases: [SortCase; 8] = [
        ("#pk = :room", &[], &["a1", "a2", "b1", "b2"]),
        (
            "#pk = :room AND ConnectionId = :x",
            &[(":x", "b1")],
            &["b1"],
        ),
        (
            "#pk = :room AND ConnectionId < :x",
            &[(":x", "a2")],
            &["a1"],
        ),
        (
            "#pk = :room AND ConnectionId <= :x",
            &[(":x", "a2")],
            &["a1", "a2"],
        ),
        (
            "#pk = :room AND ConnectionId > :x",
            &[(":x", "a2")],
            &["b1", "b2"],
        ),
        (
            "#pk = :room AND ConnectionId >= :x",
            &[(":x", "a2")],
            &["a2", "b1", "b2"],
        ),
        (
            "#pk = :room AND ConnectionId BETWEEN :x AND :y",
            &[(":x", "a2"), (":y", "b1")],
            &["a2", "b1"],
        ),
        (
            "#pk = :room AND begins_with(ConnectionId, :x)",
            &[(":x", "b")],
            &["b1", "b2"],
        ),
    ];
    for (condition, values, expected) in cases {
        let mut query = client
            .query()
            .table_name(CHATS)
            .key_condition_expression(condition)
            .expression_attribute_names("#pk", "ChatId")
            .expression_attribute_values(":room", s("room1"));
        for (placeholder, value) in values {
            query = query.expression_attribute_values(*placeholder, s(value));
        }
        let output = query.send().await.expect(condition);
        assert_eq!(
            column(output.items(), "ConnectionId"),
            *expected,
            "{condition}"
        );
        assert_eq!(output.count(), expected.len() as i32, "{condition}");
    }

    let backwards = client
        .query()
        .table_name(CHATS)
        .key_condition_expression("ChatId = :room")
        .expression_attribute_values(":room", s("room1"))
        .scan_index_forward(false)
        .send()
        .await
        .expect("a backward query");
    assert_eq!(
        column(backwards.items(), "ConnectionId"),
        ["b2", "b1", "a2", "a1"]
    );

    let filtered = client
        .query()
        .table_name(CHATS)
        .key_condition_expression("ChatId = :room")
        .filter_expression("#n = :name OR begins_with(#n, :other)")
        .expression_attribute_names("#n", "Name")
        .expression_attribute_values(":room", s("room1"))
        .expression_attribute_values(":name", s("user-a2"))
        .expression_attribute_values(":other", s("user-b2"))
        .send()
        .await
        .expect("a filtered query");
    assert_eq!(column(filtered.items(), "ConnectionId"), ["a2", "b2"]);
    assert_eq!((filtered.count(), filtered.scanned_count()), (2, 4));

    let counted = client
        .query()
        .table_name(CHATS)
        .key_condition_expression("ChatId = :room")
        .expression_attribute_values(":room", s("room1"))
        .select(Select::Count)
        .send()
        .await
        .expect("a count");
    assert_eq!(counted.count(), 4);
    assert!(counted.items().is_empty());

    // Pages of 3: the first ends with where to go on, the last does not.
    let mut pages = Vec::new();
    let mut start = None;
    loop {
        let page = client
            .query()
            .table_name(CHATS)
            .key_condition_expression("ChatId = :room")
            .expression_attribute_values(":room", s("room1"))
            .limit(3)
            .set_exclusive_start_key(start)
            .send()
            .await
            .expect("a page");
        pages.push(column(page.items(), "ConnectionId"));
        start = page.last_evaluated_key().cloned();
        if start.is_none() {
            break;
        }
        assert_eq!(
            page.last_evaluated_key().map(|key| key.len()),
            Some(2),
            "the table's key"
        );
    }
    assert_eq!(pages, [vec!["a1", "a2", "b1"], vec!["b2"]]);
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_connection_id_index_finds_the_rooms_of_a_connection() {
    let running = support::start(STACK).await;
    let client = client(&running);
    join(&client, "room2", "a1", "alice").await;
    join(&client, "room1", "a1", "alice").await;
    join(&client, "room1", "b1", "bob").await;
    let rooms = client
        .query()
        .table_name(CHATS)
        .index_name("ConnectionIdIndex")
        .key_condition_expression("ConnectionId = :c")
        .expression_attribute_values(":c", s("a1"))
        .send()
        .await
        .expect("an index query");
    assert_eq!(column(rooms.items(), "ChatId"), ["room1", "room2"]);
    assert_eq!(
        column(rooms.items(), "Name"),
        ["alice", "alice"],
        "ALL projection"
    );

    let scanned = client
        .scan()
        .table_name(CHATS)
        .index_name("ConnectionIdIndex")
        .send()
        .await
        .expect("an index scan");
    assert_eq!(column(scanned.items(), "ConnectionId"), ["a1", "a1", "b1"]);

    let error = client
        .query()
        .table_name(CHATS)
        .index_name("NoSuchIndex")
        .key_condition_expression("ConnectionId = :c")
        .expression_attribute_values(":c", s("a1"))
        .send()
        .await
        .expect_err("no such index");
    let error = error.into_service_error();
    assert_eq!(
        code_and_message(&error),
        (
            "ValidationException".to_owned(),
            "The table does not have the specified index: NoSuchIndex".to_owned()
        )
    );
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn scans_read_whole_tables_in_key_order_and_the_dump_shows_them() {
    let running = support::start(STACK).await;
    let client = client(&running);
    // A scenario arranges contents through the handle, as a PutItem would.
    let handle = running.emulator().probe();
    let planted = serde_json::json!({"ConnectionId": {"S": "c"}, "Name": {"S": "carol"}});
    assert_eq!(handle.put(CONNECTIONS, planted), Ok(()));
    let refused = handle
        .put(CONNECTIONS, serde_json::json!({"ConnectionId": {"N": "1"}}))
        .expect_err("a number where the key is a string");
    assert_eq!(
        refused.to_string(),
        "ValidationException: One or more parameter values were invalid: Type mismatch for \
         key ConnectionId expected: S actual: N"
    );
    for (id, name) in [("a", "alice"), ("b", "bob")] {
        client
            .put_item()
            .table_name(CONNECTIONS)
            .item("ConnectionId", s(id))
            .item("Name", s(name))
            .send()
            .await
            .expect("stored");
    }
    let all = client
        .scan()
        .table_name(CONNECTIONS)
        .send()
        .await
        .expect("a scan");
    assert_eq!(column(all.items(), "ConnectionId"), ["a", "b", "c"]);
    assert_eq!((all.count(), all.scanned_count()), (3, 3));
    assert_eq!(all.last_evaluated_key(), None);

    let projected = client
        .scan()
        .table_name(CONNECTIONS)
        .projection_expression("ConnectionId")
        .filter_expression("#n <> :bob")
        .expression_attribute_names("#n", "Name")
        .expression_attribute_values(":bob", s("bob"))
        .send()
        .await
        .expect("a filtered scan");
    assert_eq!(
        projected.items(),
        [
            HashMap::from([("ConnectionId".to_owned(), s("a"))]),
            HashMap::from([("ConnectionId".to_owned(), s("c"))]),
        ]
    );

    let first = client
        .scan()
        .table_name(CONNECTIONS)
        .limit(2)
        .send()
        .await
        .expect("a page");
    let next_key = first.last_evaluated_key().cloned();
    assert_eq!(
        next_key,
        Some(HashMap::from([("ConnectionId".to_owned(), s("b"))]))
    );
    let rest = client
        .scan()
        .table_name(CONNECTIONS)
        .limit(2)
        .set_exclusive_start_key(next_key)
        .send()
        .await
        .expect("the next page");
    assert_eq!(column(rest.items(), "ConnectionId"), ["c"]);

    let dump = handle.dump();
    let names: Vec<&str> = dump.iter().map(|table| table.name.as_str()).collect();
    assert_eq!(names, [CONNECTIONS, CHATS]);
    assert_eq!(
        dump[0].items,
        [
            serde_json::json!({"ConnectionId": {"S": "a"}, "Name": {"S": "alice"}}),
            serde_json::json!({"ConnectionId": {"S": "b"}, "Name": {"S": "bob"}}),
            serde_json::json!({"ConnectionId": {"S": "c"}, "Name": {"S": "carol"}}),
        ]
    );
    assert!(dump[1].items.is_empty());
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn tables_are_described_and_listed() {
    let running = support::start(STACK).await;
    let client = client(&running);
    let listed = client.list_tables().send().await.expect("listed");
    assert_eq!(listed.table_names(), [CONNECTIONS, CHATS]);
    assert_eq!(listed.last_evaluated_table_name(), None);
    let first = client.list_tables().limit(1).send().await.expect("a page");
    assert_eq!(first.table_names(), [CONNECTIONS]);
    assert_eq!(first.last_evaluated_table_name(), Some(CONNECTIONS));
    let rest = client
        .list_tables()
        .exclusive_start_table_name(CONNECTIONS)
        .send()
        .await
        .expect("the next page");
    assert_eq!(rest.table_names(), [CHATS]);

    join(&client, "room1", "a1", "alice").await;
    let described = client
        .describe_table()
        .table_name(CHATS)
        .send()
        .await
        .expect("described");
    let table = described.table().expect("a table");
    assert_eq!(table.table_name(), Some(CHATS));
    assert_eq!(
        table.table_arn(),
        Some("arn:aws:dynamodb:eu-west-1:000000000000:table/tables-dev-chats")
    );
    assert_eq!(
        table.table_status().map(|status| status.as_str()),
        Some("ACTIVE")
    );
    assert_eq!(table.item_count(), Some(1));
    let key: Vec<(&str, &str)> = table
        .key_schema()
        .iter()
        .map(|key| (key.attribute_name(), key.key_type().as_str()))
        .collect();
    assert_eq!(key, [("ChatId", "HASH"), ("ConnectionId", "RANGE")]);
    let indexes: Vec<Option<&str>> = table
        .global_secondary_indexes()
        .iter()
        .map(|index| index.index_name())
        .collect();
    assert_eq!(indexes, [Some("ConnectionIdIndex")]);
    assert_eq!(
        table
            .billing_mode_summary()
            .and_then(|summary| summary.billing_mode())
            .map(|mode| mode.as_str()),
        Some("PAY_PER_REQUEST")
    );
    running.stop().await;
}
