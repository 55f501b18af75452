//! The local DynamoDB on the emulator's port, driven by the official
//! `aws-sdk-dynamodb` client, on the tables of `stacks/dynamodb.yml`: how it
//! is wired (the port, the Lambdas' environment, the stack's tables) and the
//! helpers of `dynamodb_items.rs` and `dynamodb_reads.rs`.

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::AttributeValue;
use checker::emulator::Settings;
use checker::launch::{Launch, RunningStack, StartError};

use crate::support;

pub const STACK: &str = "dynamodb.yml";
/// `${self:service}-${sls:stage}-chats`.
pub const CHATS: &str = "tables-dev-chats";
/// No `TableName`: the logical id, as `!Ref ConnectionsTable` resolves.
pub const CONNECTIONS: &str = "ConnectionsTable";

pub type Item = HashMap<String, AttributeValue>;

pub fn client(running: &support::Running) -> Client {
    client_at(running.emulator().address())
}

/// A client of the local DynamoDB at `address` (a `checker serve` child's).
pub fn client_at(address: std::net::SocketAddr) -> Client {
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("eu-west-1"))
        .credentials_provider(Credentials::new("AKIDTEST", "secret", None, None, "test"))
        .endpoint_url(format!("http://{address}"))
        .build();
    Client::from_conf(config)
}

pub fn s(text: &str) -> AttributeValue {
    AttributeValue::S(text.to_owned())
}

/// `(code, message)` of a service error.
pub fn code_and_message<E: ProvideErrorMetadata>(error: &E) -> (String, String) {
    (
        error.code().unwrap_or_default().to_owned(),
        error.message().unwrap_or_default().to_owned(),
    )
}

pub async fn join(client: &Client, chat: &str, connection: &str, name: &str) {
    client
        .put_item()
        .table_name(CHATS)
        .item("ChatId", s(chat))
        .item("ConnectionId", s(connection))
        .item("Name", s(name))
        .send()
        .await
        .expect("the member is stored");
}

/// The values of `attribute` in `items`, in order.
pub fn column(items: &[Item], attribute: &str) -> Vec<String> {
    items
        .iter()
        .map(|item| match item.get(attribute) {
            Some(AttributeValue::S(text)) => text.clone(),
            other => panic!("{attribute} is not a string: {other:?}"),
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn unsigned_calls_are_refused_in_dynamodbs_shape() {
    let running = support::start(STACK).await;
    let address = running.emulator().address();
    let headers = [
        ("X-Amz-Target", "DynamoDB_20120810.ListTables"),
        ("Content-Type", "application/x-amz-json-1.0"),
    ];
    let response = support::raw_http(address, "POST", "/", &headers, b"{}").await;
    assert_eq!(response.status, 400);
    assert_eq!(
        response.headers.get("x-amzn-errortype").map(String::as_str),
        Some("MissingAuthenticationTokenException")
    );
    let body: serde_json::Value = serde_json::from_str(&response.body).expect("JSON");
    assert_eq!(
        body["__type"],
        "com.amazon.coral.service#MissingAuthenticationTokenException"
    );
    assert_eq!(
        response.headers.get("content-type").map(String::as_str),
        Some("application/x-amz-json-1.0")
    );

    let signed = [
        ("X-Amz-Target", "DynamoDB_20120810.ListTables"),
        ("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDTEST/x"),
    ];
    let response = support::raw_http(address, "POST", "/", &signed, b"{}").await;
    assert_eq!(response.status, 200, "{}", response.body);
    // A POST to / without a target is still the WebSocket endpoint's.
    let response = support::raw_http(address, "POST", "/", &[], b"{}").await;
    assert_eq!(response.status, 426);
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn lambdas_get_the_local_dynamodb_and_their_table_names() {
    let running = support::start(STACK).await;
    let mut ws = support::connect(&running.url()).await;
    let address = running.emulator().address();
    for (name, value) in [
        ("AWS_ENDPOINT_URL_DYNAMODB", format!("http://{address}")),
        ("CHATS_TABLE", CHATS.to_owned()),
        ("CONNECTIONS_TABLE", CONNECTIONS.to_owned()),
    ] {
        support::send(&mut ws, &format!("env:{name}")).await;
        assert_eq!(support::next_text(&mut ws).await, value, "{name}");
    }
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_external_dynamodb_endpoint_replaces_the_local_tables() {
    let settings = Settings {
        port: 0,
        dynamodb_endpoint: Some("http://127.0.0.1:8000".to_owned()),
        ..Settings::default()
    };
    let running = support::start_with(STACK, settings).await;
    let mut ws = support::connect(&running.url()).await;
    support::send(&mut ws, "env:AWS_ENDPOINT_URL_DYNAMODB").await;
    assert_eq!(support::next_text(&mut ws).await, "http://127.0.0.1:8000");
    assert!(running.emulator().probe().dump().is_empty());
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_malformed_table_stops_the_start_and_says_where_and_what_to_fix() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let file = dir.path().join("serverless.yml");
    std::fs::write(
        &file,
        "service: broken\nprovider:\n  name: aws\n  runtime: provided.al2023\nresources:\n  \
         Resources:\n    Connections:\n      Type: AWS::DynamoDB::Table\n      Properties:\n        \
         KeySchema:\n          - AttributeName: ConnectionId\n            KeyType: HASH\n        \
         AttributeDefinitions:\n          - AttributeName: Id\n            AttributeType: S\n",
    )
    .expect("written");
    let Err(error) = RunningStack::start(&Launch::new(&file)).await else {
        panic!("the table is malformed");
    };
    assert!(matches!(error, StartError::Stack(_)), "{error:?}");
    let message = error.to_string();
    assert!(
        message.contains("serverless.yml:11:13: the DynamoDB table `Connections` uses `ConnectionId` in `KeySchema`, but `AttributeDefinitions` does not define it"),
        "{message}"
    );
}
