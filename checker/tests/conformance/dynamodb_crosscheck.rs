//! A cross-check, run on demand (`scripts/dynamodb-crosscheck`): the same
//! DynamoDB requests, in the same order, to the local DynamoDB and to moto's
//! server, an independent implementation installed from PyPI, and a table of
//! where their answers differ. Every difference is a bug fixed or a line of
//! docs/deviations.md; the table goes to docs/dynamodb-crosscheck.md.
//!
//! It needs `MOTO_SERVER` (the path of `moto_server`) and fails only when
//! moto cannot be started; differences are reported, not judged: moto is a
//! second opinion, not DynamoDB.

use std::net::{SocketAddr, TcpListener};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use crate::dynamodb::{CHATS, CONNECTIONS, STACK};
use crate::support;

struct Moto(Child);

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn call(address: SocketAddr, operation: &str, body: &Value) -> (u16, Value) {
    let target = format!("DynamoDB_20120810.{operation}");
    let headers = [
        ("X-Amz-Target", target.as_str()),
        ("Content-Type", "application/x-amz-json-1.0"),
        (
            "Authorization",
            "AWS4-HMAC-SHA256 Credential=AKIDTEST/20260101/eu-west-1/dynamodb/aws4_request, \
             SignedHeaders=host, Signature=0",
        ),
    ];
    let response =
        support::raw_http(address, "POST", "/", &headers, body.to_string().as_bytes()).await;
    let json = serde_json::from_str(&response.body).unwrap_or(Value::Null);
    (response.status, json)
}

/// What is compared: the status, the error's type and message, or the
/// answer without capacity figures, its lists of items sorted.
fn comparable(status: u16, body: &Value) -> String {
    if status != 200 {
        let kind = body["__type"].as_str().unwrap_or("?");
        let kind = kind.rsplit('#').next().unwrap_or(kind);
        let message = body
            .get("message")
            .or_else(|| body.get("Message"))
            .and_then(Value::as_str)
            .unwrap_or("");
        let mut text = format!("{status} {kind}: {message}");
        if let Some(reasons) = body.get("CancellationReasons") {
            text.push_str(&format!(" {reasons}"));
        }
        if let Some(item) = body.get("Item") {
            text.push_str(&format!(" Item={item}"));
        }
        return text;
    }
    let mut body = body.clone();
    if let Some(object) = body.as_object_mut() {
        object.remove("ConsumedCapacity");
        object.remove("ItemCollectionMetrics");
        if let Some(Value::Array(items)) = object.get_mut("Items") {
            items.sort_by_key(Value::to_string);
        }
        if let Some(Value::Object(responses)) = object.get_mut("Responses") {
            for items in responses.values_mut() {
                if let Value::Array(items) = items {
                    items.sort_by_key(Value::to_string);
                }
            }
        }
    }
    format!("200 {body}")
}

fn cases() -> Vec<(&'static str, &'static str, Value)> {
    let chat = |id: &str| json!({ "ChatId": { "S": "rust" }, "ConnectionId": { "S": id } });
    let connection = |id: String| json!({ "ConnectionId": { "S": id } });
    let puts = |count: usize, prefix: &str| -> Vec<Value> {
        (0..count)
            .map(|i| json!({ "PutRequest": { "Item": connection(format!("{prefix}{i}")) } }))
            .collect()
    };
    let big = "y".repeat(100_000);
    let mut cases = vec![
        (
            "PutItem: a member",
            "PutItem",
            json!({ "TableName": CHATS, "Item": {
            "ChatId": { "S": "rust" }, "ConnectionId": { "S": "a=" }, "Nick": { "S": "ann" },
            "Tags": { "L": [{ "S": "x" }, { "S": "y" }] }, "Seen": { "SS": ["p", "q"] },
            "Score": { "S": "high" } } }),
        ),
        (
            "PutItem: ReturnValues ALL_NEW",
            "PutItem",
            json!({ "TableName": CHATS,
            "Item": chat("b="), "ReturnValues": "ALL_NEW" }),
        ),
        (
            "PutItem: an item over 400 KB",
            "PutItem",
            json!({ "TableName": CONNECTIONS,
            "Item": { "ConnectionId": { "S": "big" }, "Blob": { "S": "x".repeat(400 * 1024) } } }),
        ),
        (
            "UpdateItem: a counter on a new item, ALL_NEW",
            "UpdateItem",
            json!({ "TableName": CHATS,
            "Key": chat("c="), "UpdateExpression": "SET Messages = if_not_exists(Messages, :zero) + :one",
            "ExpressionAttributeValues": { ":zero": { "N": "0" }, ":one": { "N": "1" } },
            "ReturnValues": "ALL_NEW" }),
        ),
        (
            "UpdateItem: list_append and nested SET, UPDATED_NEW",
            "UpdateItem",
            json!({ "TableName": CHATS,
            "Key": chat("a="), "UpdateExpression": "SET Tags = list_append(Tags, :more), Profile = :p",
            "ExpressionAttributeValues": { ":more": { "L": [{ "S": "z" }] }, ":p": { "M": { "Age": { "N": "30" } } } },
            "ReturnValues": "UPDATED_NEW" }),
        ),
        (
            "UpdateItem: nested path and list index, UPDATED_OLD",
            "UpdateItem",
            json!({ "TableName": CHATS,
            "Key": chat("a="), "UpdateExpression": "SET Profile.Age = Profile.Age + :one, Tags[0] = :s",
            "ExpressionAttributeValues": { ":one": { "N": "1" }, ":s": { "S": "first" } },
            "ReturnValues": "UPDATED_OLD" }),
        ),
        (
            "UpdateItem: REMOVE a list element, DELETE from a set, ALL_NEW",
            "UpdateItem",
            json!({ "TableName": CHATS,
            "Key": chat("a="), "UpdateExpression": "REMOVE Tags[1] DELETE Seen :p",
            "ExpressionAttributeValues": { ":p": { "SS": ["p"] } }, "ReturnValues": "ALL_NEW" }),
        ),
        (
            "UpdateItem: a path under a missing map",
            "UpdateItem",
            json!({ "TableName": CHATS,
            "Key": chat("a="), "UpdateExpression": "SET Gone.Age = :one",
            "ExpressionAttributeValues": { ":one": { "N": "1" } } }),
        ),
        (
            "UpdateItem: a key attribute",
            "UpdateItem",
            json!({ "TableName": CHATS,
            "Key": chat("a="), "UpdateExpression": "SET ConnectionId = :v",
            "ExpressionAttributeValues": { ":v": { "S": "x" } } }),
        ),
        (
            "UpdateItem: ADD a string",
            "UpdateItem",
            json!({ "TableName": CHATS,
            "Key": chat("a="), "UpdateExpression": "ADD Nick :v",
            "ExpressionAttributeValues": { ":v": { "S": "x" } } }),
        ),
        (
            "UpdateItem: ADD to a string attribute",
            "UpdateItem",
            json!({ "TableName": CHATS,
            "Key": chat("a="), "UpdateExpression": "ADD Score :one",
            "ExpressionAttributeValues": { ":one": { "N": "1" } } }),
        ),
        (
            "UpdateItem: two SET sections",
            "UpdateItem",
            json!({ "TableName": CHATS,
            "Key": chat("a="), "UpdateExpression": "SET Nick = :v SET Score = :v",
            "ExpressionAttributeValues": { ":v": { "S": "x" } } }),
        ),
        (
            "UpdateItem: overlapping paths",
            "UpdateItem",
            json!({ "TableName": CHATS,
            "Key": chat("a="), "UpdateExpression": "SET Profile = :v, Profile.Age = :v",
            "ExpressionAttributeValues": { ":v": { "S": "x" } } }),
        ),
        (
            "UpdateItem: a reserved word (Total)",
            "UpdateItem",
            json!({ "TableName": CHATS,
            "Key": chat("a="), "UpdateExpression": "SET Total = :v",
            "ExpressionAttributeValues": { ":v": { "S": "x" } } }),
        ),
        (
            "UpdateItem: arithmetic on a missing attribute",
            "UpdateItem",
            json!({ "TableName": CHATS,
            "Key": chat("a="), "UpdateExpression": "SET Likes = Likes + :one",
            "ExpressionAttributeValues": { ":one": { "N": "1" } } }),
        ),
        (
            "UpdateItem: arithmetic on a string",
            "UpdateItem",
            json!({ "TableName": CHATS,
            "Key": chat("a="), "UpdateExpression": "SET Score = Score + :one",
            "ExpressionAttributeValues": { ":one": { "N": "1" } } }),
        ),
        (
            "UpdateItem: a false condition, item on failure",
            "UpdateItem",
            json!({ "TableName": CHATS,
            "Key": chat("c="), "UpdateExpression": "SET Nick = :v", "ConditionExpression": "Messages > :v2",
            "ExpressionAttributeValues": { ":v": { "S": "x" }, ":v2": { "N": "5" } },
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD" }),
        ),
        (
            "UpdateItem: ReturnValues EVERYTHING",
            "UpdateItem",
            json!({ "TableName": CHATS,
            "Key": chat("a="), "UpdateExpression": "SET Nick = :v",
            "ExpressionAttributeValues": { ":v": { "S": "x" } }, "ReturnValues": "EVERYTHING" }),
        ),
        (
            "GetItem: nested projection",
            "GetItem",
            json!({ "TableName": CHATS, "Key": chat("a="),
            "ProjectionExpression": "Profile.Age, Tags[0]" }),
        ),
        (
            "Query: a filter on the sort key",
            "Query",
            json!({ "TableName": CHATS,
            "KeyConditionExpression": "ChatId = :c", "FilterExpression": "ConnectionId <> :me",
            "ExpressionAttributeValues": { ":c": { "S": "rust" }, ":me": { "S": "a=" } } }),
        ),
        (
            "Query: an index, a filter on the table's key",
            "Query",
            json!({ "TableName": CHATS,
            "IndexName": "ConnectionIdIndex", "KeyConditionExpression": "ConnectionId = :me",
            "FilterExpression": "ChatId = :c", "ProjectionExpression": "ChatId, ConnectionId",
            "ExpressionAttributeValues": { ":c": { "S": "rust" }, ":me": { "S": "a=" } } }),
        ),
        (
            "Scan: a filter on the key",
            "Scan",
            json!({ "TableName": CHATS,
            "FilterExpression": "ConnectionId = :me", "ProjectionExpression": "ConnectionId",
            "ExpressionAttributeValues": { ":me": { "S": "a=" } } }),
        ),
        (
            "Scan: a reserved word (Text)",
            "Scan",
            json!({ "TableName": CHATS,
            "FilterExpression": "Text = :t", "ExpressionAttributeValues": { ":t": { "S": "x" } } }),
        ),
        (
            "Scan: size() and IN",
            "Scan",
            json!({ "TableName": CHATS,
            "FilterExpression": "size(Tags) IN (:one, :two)", "ProjectionExpression": "ConnectionId",
            "ExpressionAttributeValues": { ":one": { "N": "1" }, ":two": { "N": "2" } } }),
        ),
        (
            "BatchWriteItem: 26 requests for one table",
            "BatchWriteItem",
            json!({ "RequestItems": { CONNECTIONS: puts(26, "a") } }),
        ),
        (
            "BatchWriteItem: 13 and 13 over two tables",
            "BatchWriteItem",
            json!({ "RequestItems": {
            CONNECTIONS: puts(13, "b"),
            CHATS: (0..13).map(|i| json!({ "PutRequest": { "Item": chat(&format!("m{i}")) } })).collect::<Vec<_>>() } }),
        ),
        (
            "BatchWriteItem: one key twice",
            "BatchWriteItem",
            json!({ "RequestItems": { CONNECTIONS: [
            { "PutRequest": { "Item": connection("same".to_owned()) } },
            { "DeleteRequest": { "Key": connection("same".to_owned()) } } ] } }),
        ),
        (
            "BatchWriteItem: puts and a delete",
            "BatchWriteItem",
            json!({ "RequestItems": {
            CONNECTIONS: puts(3, "ok"), CHATS: [{ "DeleteRequest": { "Key": chat("b=") } }] } }),
        ),
        (
            "BatchGetItem: 101 keys",
            "BatchGetItem",
            json!({ "RequestItems": { CONNECTIONS: {
            "Keys": (0..101).map(|i| connection(format!("k{i}"))).collect::<Vec<_>>() } } }),
        ),
        (
            "BatchGetItem: one key twice",
            "BatchGetItem",
            json!({ "RequestItems": { CONNECTIONS: {
            "Keys": [connection("ok0".to_owned()), connection("ok0".to_owned())] } } }),
        ),
        (
            "BatchGetItem: two tables, a projection, a missing key",
            "BatchGetItem",
            json!({ "RequestItems": {
            CONNECTIONS: { "Keys": [connection("ok0".to_owned()), connection("none".to_owned())] },
            CHATS: { "Keys": [chat("a=")], "ProjectionExpression": "Nick" } } }),
        ),
        (
            "TransactWriteItems: put, update, delete, check",
            "TransactWriteItems",
            json!({ "TransactItems": [
            { "Put": { "TableName": CONNECTIONS, "Item": connection("t1".to_owned()) } },
            { "Update": { "TableName": CHATS, "Key": chat("c="), "UpdateExpression": "ADD Messages :one",
                "ExpressionAttributeValues": { ":one": { "N": "1" } } } },
            { "Delete": { "TableName": CONNECTIONS, "Key": connection("ok1".to_owned()) } },
            { "ConditionCheck": { "TableName": CHATS, "Key": chat("a="), "ConditionExpression": "attribute_exists(Nick)" } } ] }),
        ),
        (
            "TransactWriteItems: a false condition, item on failure",
            "TransactWriteItems",
            json!({ "TransactItems": [
            { "Put": { "TableName": CONNECTIONS, "Item": connection("never".to_owned()) } },
            { "ConditionCheck": { "TableName": CHATS, "Key": chat("c="), "ConditionExpression": "attribute_not_exists(ChatId)",
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD" } } ] }),
        ),
        (
            "TransactWriteItems: one item twice",
            "TransactWriteItems",
            json!({ "TransactItems": [
            { "Put": { "TableName": CONNECTIONS, "Item": connection("twice".to_owned()) } },
            { "Delete": { "TableName": CONNECTIONS, "Key": connection("twice".to_owned()) } } ] }),
        ),
        (
            "TransactWriteItems: 101 actions",
            "TransactWriteItems",
            json!({ "TransactItems":
            (0..101).map(|i| json!({ "Put": { "TableName": CONNECTIONS, "Item": connection(format!("t{i}")) } })).collect::<Vec<_>>() }),
        ),
        (
            "TransactWriteItems: an update of the wrong type",
            "TransactWriteItems",
            json!({ "TransactItems": [
            { "Update": { "TableName": CHATS, "Key": chat("a="), "UpdateExpression": "SET Score = Score + :one",
                "ExpressionAttributeValues": { ":one": { "N": "1" } } } } ] }),
        ),
    ];
    for i in 0..12 {
        cases.push((
            "PutItem: one of twelve 100 KB items",
            "PutItem",
            json!({ "TableName": CONNECTIONS,
            "Item": { "ConnectionId": { "S": format!("page{i:02}") }, "Blob": { "S": big } } }),
        ));
    }
    cases.push(("Scan: a page of 100 KB items (Count, LastEvaluatedKey?)", "Scan", json!({
        "TableName": CONNECTIONS, "FilterExpression": "begins_with(ConnectionId, :p)",
        "ProjectionExpression": "ConnectionId", "ExpressionAttributeValues": { ":p": { "S": "page" } } })));
    cases
}

fn moto_table(name: &str, range: bool, index: bool) -> Value {
    let mut table = json!({
        "TableName": name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{ "AttributeName": "ConnectionId", "AttributeType": "S" }],
        "KeySchema": [{ "AttributeName": "ConnectionId", "KeyType": "HASH" }],
    });
    if range {
        table["AttributeDefinitions"] = json!([
            { "AttributeName": "ChatId", "AttributeType": "S" },
            { "AttributeName": "ConnectionId", "AttributeType": "S" }
        ]);
        table["KeySchema"] = json!([
            { "AttributeName": "ChatId", "KeyType": "HASH" },
            { "AttributeName": "ConnectionId", "KeyType": "RANGE" }
        ]);
    }
    if index {
        table["GlobalSecondaryIndexes"] = json!([{ "IndexName": "ConnectionIdIndex",
            "KeySchema": [{ "AttributeName": "ConnectionId", "KeyType": "HASH" }],
            "Projection": { "ProjectionType": "ALL" } }]);
    }
    table
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs moto's server (MOTO_SERVER): scripts/dynamodb-crosscheck runs it"]
async fn the_local_dynamodb_answers_as_moto_does() {
    let moto_server = std::env::var("MOTO_SERVER").expect("MOTO_SERVER: the path of moto_server");
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let _moto = Moto(
        Command::new(moto_server)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto_server starts"),
    );
    let moto: SocketAddr = format!("127.0.0.1:{port}").parse().expect("an address");
    let mut up = false;
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(moto).await.is_ok() {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(up, "moto_server did not listen on {moto}");
    for table in [
        moto_table(CHATS, true, true),
        moto_table(CONNECTIONS, false, false),
    ] {
        let (status, body) = call(moto, "CreateTable", &table).await;
        assert_eq!(status, 200, "{body}");
    }
    let running = support::start(STACK).await;
    let local = running.emulator().address();
    let mut rows: Vec<(&str, String, String, usize)> = Vec::new();
    let (mut same, mut differ) = (0, 0);
    for (name, operation, body) in cases() {
        let (status, answer) = call(local, operation, &body).await;
        let ours = comparable(status, &answer);
        let (status, answer) = call(moto, operation, &body).await;
        let theirs = comparable(status, &answer);
        if ours == theirs {
            same += 1;
        } else {
            differ += 1;
        }
        // A request repeated with the same answers is one row.
        match rows.last_mut() {
            Some(last) if last.0 == name && last.1 == ours && last.2 == theirs => last.3 += 1,
            _ => rows.push((name, ours, theirs, 1)),
        }
    }
    let cell = |text: &str| {
        let text: String = text.chars().take(400).collect();
        text.replace('|', "\\|")
    };
    let mut report = String::from("| Request | Local DynamoDB | moto |\n| --- | --- | --- |\n");
    for (name, ours, theirs, times) in rows {
        let name = if times > 1 {
            format!("{name} (x{times})")
        } else {
            name.to_owned()
        };
        let theirs = if ours == theirs {
            "same".to_owned()
        } else {
            cell(&theirs)
        };
        report.push_str(&format!("| {name} | {} | {theirs} |\n", cell(&ours)));
    }
    report.push_str(&format!("\n{same} answers the same, {differ} different.\n"));
    println!("{report}");
    if let Ok(path) = std::env::var("CROSSCHECK_OUT") {
        std::fs::write(path, &report).expect("the report is written");
    }
    running.stop().await;
}
