//! DynamoDB tables in `resources`: read with their indexes, and every
//! definition DynamoDB would refuse on deploy named at `file:line:column`.

use super::{BASE, error, load};
use crate::stack::{Projection, ScalarKind};

/// The chat table: a sort key and a global index. Its resource starts on line 7.
fn chat(properties_tail: &str) -> String {
    format!(
        "{BASE}resources:
  Resources:
    ChatTable:
      Type: AWS::DynamoDB::Table
      Properties:
        TableName: chat
        BillingMode: PAY_PER_REQUEST
        AttributeDefinitions:
          - AttributeName: ChatId
            AttributeType: S
          - AttributeName: ConnectionId
            AttributeType: S
        KeySchema:
          - AttributeName: ChatId
            KeyType: HASH
          - AttributeName: ConnectionId
            KeyType: RANGE
        GlobalSecondaryIndexes:
          - IndexName: ConnectionIdIndex
            KeySchema:
              - AttributeName: ConnectionId
                KeyType: HASH
            Projection:
              ProjectionType: ALL
{properties_tail}    Queue:
      Type: AWS::SQS::Queue
"
    )
}

#[test]
fn reads_tables_and_indexes() {
    let stack = load(&chat(""));
    let [chat] = stack.tables.as_slice() else {
        panic!("one table: {:#?}", stack.tables);
    };
    assert_eq!(chat.name, "chat");
    assert_eq!(chat.at.line, 7);
    assert_eq!(chat.key.partition.name, "ChatId");
    assert_eq!(chat.key.partition.kind, ScalarKind::S);
    assert_eq!(
        chat.key.sort.as_ref().map(|k| k.name.as_str()),
        Some("ConnectionId")
    );
    let index = chat.index("ConnectionIdIndex").expect("the index");
    assert_eq!(index.projection, Projection::All);
    assert_eq!(index.key.partition.name, "ConnectionId");
    assert!(!index.local);
    assert_eq!(chat.billing_mode, "PAY_PER_REQUEST");
}

#[test]
fn local_indexes_share_the_partition_key() {
    let local = |partition: &str| {
        chat(&format!(
            "        LocalSecondaryIndexes:
          - IndexName: ByJoinTime
            KeySchema:
              - AttributeName: {partition}
                KeyType: HASH
              - AttributeName: ConnectionId
                KeyType: RANGE
            Projection:
              ProjectionType: INCLUDE
              NonKeyAttributes: [Name]
"
        ))
    };
    let stack = load(&local("ChatId"));
    let index = stack.tables[0]
        .index("ByJoinTime")
        .expect("the local index");
    assert!(index.local);
    assert_eq!(
        index.projection,
        Projection::Include(vec!["Name".to_owned()])
    );
    error(
        &local("ConnectionId"),
        "serverless.yml:30:13",
        &[
            "the DynamoDB table `ChatTable` has the local secondary index `ByJoinTime`",
            "a local index shares the table's partition key",
        ],
    );
}

#[test]
fn malformed_tables_say_where_and_what_to_fix() {
    let yml = chat("");
    error(
        &yml.replace(
            "            AttributeType: S\n        KeySchema",
            "            AttributeType: X\n        KeySchema",
        ),
        "serverless.yml:15:13",
        &[
            "gives the attribute `ConnectionId` no valid `AttributeType`",
            "`S` (string)",
        ],
    );
    error(
        &yml.replace(
            "          - AttributeName: ConnectionId\n            AttributeType: S\n",
            "",
        ),
        "serverless.yml:18:13",
        &["uses `ConnectionId` in `KeySchema`, but `AttributeDefinitions` does not define it"],
    );
    error(
        &yml.replace(
            "KeyType: HASH\n          - AttributeName: ConnectionId",
            "KeyType: RANGE\n          - AttributeName: ConnectionId",
        ),
        "serverless.yml:20:13",
        &["two keys of the same `KeyType`"],
    );
    error(
        &yml.replace(
            "            Projection:\n              ProjectionType: ALL\n",
            "",
        ),
        "serverless.yml:23:13",
        &["has the index `ConnectionIdIndex` without a valid `Projection`"],
    );
    error(
        &yml.replace("        TableName: chat\n", "        TableName: [chat]\n"),
        "serverless.yml:10:20",
        &["has a `TableName` that is not a name"],
    );
    error(
        &yml.replace("BillingMode: PAY_PER_REQUEST", "BillingMode: ON_DEMAND"),
        "serverless.yml:11:22",
        &["BillingMode", "PAY_PER_REQUEST"],
    );
    error(
        &yml.replace("        BillingMode: PAY_PER_REQUEST\n", ""),
        "serverless.yml:10:9",
        &["no `BillingMode`", "`BillingMode: PAY_PER_REQUEST`"],
    );
    error(
        &yml.replace(
            "BillingMode: PAY_PER_REQUEST\n",
            "BillingMode: PAY_PER_REQUEST\n        ProvisionedThroughput: { ReadCapacityUnits: 1, WriteCapacityUnits: 1 }\n",
        ),
        "serverless.yml:12:32",
        &["remove `ProvisionedThroughput`"],
    );
    error(
        &format!("{BASE}resources:\n  Resources:\n    T:\n      Type: AWS::DynamoDB::Table\n"),
        "serverless.yml:8:7",
        &["the DynamoDB table `T` has no `Properties`"],
    );
}

#[test]
fn unused_definitions_and_shared_names_are_refused() {
    let unused = chat("").replace(
        "        KeySchema:\n          - AttributeName: ChatId",
        "          - AttributeName: Name\n            AttributeType: S\n        KeySchema:\n          - AttributeName: ChatId",
    );
    error(
        &unused,
        "serverless.yml:13:11",
        &["defines Name in `AttributeDefinitions` but uses it in no `KeySchema`"],
    );
    let twice = chat(
        "    Other:
      Type: AWS::DynamoDB::Table
      Properties:
        TableName: chat
        BillingMode: PAY_PER_REQUEST
        AttributeDefinitions: [{ AttributeName: Id, AttributeType: S }]
        KeySchema: [{ AttributeName: Id, KeyType: HASH }]
",
    );
    error(
        &twice,
        "serverless.yml:29:5",
        &[
            "has the table name `chat`, like the table `ChatTable` at",
            "serverless.yml:7:5",
        ],
    );
}
