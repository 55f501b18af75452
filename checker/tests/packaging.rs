//! `checker stack --json`, and `scripts/serverless-package-check`, which compares
//! it with what the real Serverless Framework v3 packages from the same file.
//!
//! The packaging tests install Serverless from the npm registry the first time
//! and package every serverless.yml of the repository (over a minute on two
//! cores), so they run only with `SERVERLESS_PACKAGE_CHECK=1`; `.ci/run` runs
//! them as a step of their own.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Mutex;

const GATE: &str = "SERVERLESS_PACKAGE_CHECK";

/// One packaging run at a time: each one packages on every core already.
static PACKAGING: Mutex<()> = Mutex::new(());

const HEADER: &str = "service: misread
frameworkVersion: \"3\"
provider:
  name: aws
  runtime: provided.al2023
";

#[test]
fn stack_json_is_the_checkers_reading() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("serverless.yml");
    let yaml = format!(
        "{HEADER}  websocketsApiRouteSelectionExpression: $request.body.type
  timeout: 3
  iamRoleStatements:
    - Effect: Allow
      Action: dynamodb:Query
      Resource: !Sub '${{Items.Arn}}/index/*'
functions:
  onConnect:
    handler: bootstrap
    package: {{ artifact: target/lambda/on-connect.zip }}
    events:
      - websocket: $connect
  echo:
    handler: bootstrap
    memorySize: 256
    package: {{ artifact: target/lambda/echo.zip }}
    events:
      - websocket: {{ route: echo, routeResponseSelectionExpression: $default }}
resources:
  Resources:
    Items:
      Type: AWS::DynamoDB::Table
      Properties:
        TableName: ${{self:service}}-${{sls:stage}}-items
        BillingMode: PAY_PER_REQUEST
        AttributeDefinitions:
          - {{ AttributeName: Id, AttributeType: S }}
          - {{ AttributeName: Owner, AttributeType: S }}
        KeySchema: [{{ AttributeName: Id, KeyType: HASH }}]
        GlobalSecondaryIndexes:
          - IndexName: ByOwner
            KeySchema: [{{ AttributeName: Owner, KeyType: HASH }}]
            Projection: {{ ProjectionType: KEYS_ONLY }}
"
    );
    std::fs::write(&file, yaml).unwrap();
    let reading = stack_json(&file);
    let expected = serde_json::json!({
        "service": "misread",
        "stage": "dev",
        "region": "us-east-1",
        "routeSelectionExpression": "$request.body.type",
        "routes": [
            {"key": "$connect", "function": "onConnect", "twoWay": false},
            {"key": "echo", "function": "echo", "twoWay": true},
        ],
        "functions": [
            {"name": "onConnect", "deployedName": "misread-dev-onConnect", "artifact": "target/lambda/on-connect.zip",
             "binary": "on-connect", "timeout": 3.0, "memorySize": 1024},
            {"name": "echo", "deployedName": "misread-dev-echo", "artifact": "target/lambda/echo.zip",
             "binary": "echo", "timeout": 3.0, "memorySize": 256},
        ],
        "tables": [{
            "logicalId": "Items",
            "tableName": "misread-dev-items",
            "name": "misread-dev-items",
            "keySchema": [{"AttributeName": "Id", "KeyType": "HASH"}],
            "attributeDefinitions": [
                {"AttributeName": "Id", "AttributeType": "S"},
                {"AttributeName": "Owner", "AttributeType": "S"},
            ],
            "billingMode": "PAY_PER_REQUEST",
            "globalSecondaryIndexes": [{
                "IndexName": "ByOwner",
                "KeySchema": [{"AttributeName": "Owner", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }],
            "localSecondaryIndexes": [],
        }],
        "role": {
            "name": "misread-dev-us-east-1-lambdaRole",
            "statements": [
                {"Effect": "Allow",
                 "Action": ["logs:CreateLogStream", "logs:CreateLogGroup", "logs:TagResource"],
                 "Resource": ["arn:aws:logs:us-east-1:000000000000:log-group:/aws/lambda/misread-dev*:*"],
                 "from": "added by Serverless (the functions' logs)"},
                {"Effect": "Allow",
                 "Action": ["logs:PutLogEvents"],
                 "Resource": ["arn:aws:logs:us-east-1:000000000000:log-group:/aws/lambda/misread-dev*:*:*"],
                 "from": "added by Serverless (the functions' logs)"},
                {"Effect": "Allow",
                 "Action": ["dynamodb:Query"],
                 "Resource": ["arn:aws:dynamodb:us-east-1:000000000000:table/misread-dev-items/index/*"],
                 "from": format!("{}:9:7", file.display())},
                {"Effect": "Allow",
                 "Action": ["execute-api:ManageConnections"],
                 "Resource": ["arn:aws:execute-api:*:*:*/@connections/*"],
                 "from": "added by Serverless (websocket events: `@connections`)"},
            ],
        },
    });
    assert_eq!(reading, expected);
}

/// Every serverless.yml of the repository packages, and Serverless's template
/// holds exactly what the checker reads.
#[test]
fn every_serverless_yml_packages_as_the_checker_reads_it() {
    let Some(output) = package_check(&[]) else {
        return;
    };
    assert!(output.status.success(), "{}", text(&output));
    assert!(text(&output).contains("ok    serverless.yml ("));
}

/// A misreading this check found: Serverless names a route's CloudFormation
/// resource after its key with `$` as `S`, so the routes `$default` and
/// `Sdefault` are one resource and the later wins. The checker used to serve
/// both; now it refuses the file, and the check reports that.
#[test]
fn a_route_serverless_would_merge_fails_the_check() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("serverless.yml");
    let yaml = format!(
        "{HEADER}functions:
  onMessage:
    handler: bootstrap
    package: {{ artifact: target/lambda/on-message.zip }}
    events:
      - websocket: $default
  fallback:
    handler: bootstrap
    package: {{ artifact: target/lambda/fallback.zip }}
    events:
      - websocket: Sdefault
"
    );
    std::fs::write(&file, yaml).unwrap();
    let Some(output) = package_check(&[file.as_os_str().to_str().unwrap()]) else {
        return;
    };
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert!(
        text(&output).contains("the checker cannot read it"),
        "{}",
        text(&output)
    );
    assert!(
        text(&output).contains("become one route when deployed"),
        "{}",
        text(&output)
    );
}

/// The comparison itself: a reading of a real file with one route changed (as a
/// checker bug would change it) fails, naming that route and what differs.
#[test]
fn a_simulated_misreading_names_the_route() {
    let file = repository().join("solutions/02-there-and-back-again/serverless.yml");
    let mut reading = stack_json(&file);
    let routes = reading["routes"].as_array_mut().unwrap();
    let default = routes.iter_mut().find(|r| r["key"] == "$default").unwrap();
    default["twoWay"] = true.into();
    let connect = routes.iter_mut().find(|r| r["key"] == "$connect").unwrap();
    connect["key"] = "connect".into();
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("reading.json");
    std::fs::write(&json, reading.to_string()).unwrap();

    let args = [
        "--checker-json",
        json.to_str().unwrap(),
        file.to_str().unwrap(),
    ];
    let Some(output) = package_check(&args) else {
        return;
    };
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    for expected in [
        "route $default: two-way for the checker, one-way for Serverless",
        "route connect: the checker routes it to onConnect, Serverless's template has no such route",
        "route $connect: in Serverless's template, not in the checker's reading",
    ] {
        assert!(
            text(&output).contains(expected),
            "{expected}\n{}",
            text(&output)
        );
    }
}

/// The role is compared statement by statement: a reading that lost the
/// index from a statement (as a checker bug would) fails, naming it.
#[test]
fn a_simulated_misreading_of_the_role_names_the_statement() {
    let file = repository().join("solutions/05-chat-rooms/serverless.yml");
    let mut reading = stack_json(&file);
    let statements = reading["role"]["statements"].as_array_mut().unwrap();
    let declared = statements
        .iter_mut()
        .find(|statement| statement["Action"][0] == "dynamodb:PutItem")
        .unwrap();
    declared["Resource"].as_array_mut().unwrap().pop();
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("reading.json");
    std::fs::write(&json, reading.to_string()).unwrap();
    let args = [
        "--checker-json",
        json.to_str().unwrap(),
        file.to_str().unwrap(),
    ];
    let Some(output) = package_check(&args) else {
        return;
    };
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert!(
        text(&output).contains("role statement 3: the checker enforces"),
        "{}",
        text(&output)
    );
    assert!(text(&output).contains("index/*"), "{}", text(&output));
}

/// Runs the script with the checker of this build; `None` (the test is skipped)
/// without `SERVERLESS_PACKAGE_CHECK=1`.
fn package_check(args: &[&str]) -> Option<Output> {
    if std::env::var(GATE).ok().as_deref() != Some("1") {
        eprintln!(
            "skipped: set {GATE}=1 to run Serverless (see docs/maintainers.md, Proving the serverless.yml files)"
        );
        return None;
    }
    let _one_at_a_time = PACKAGING
        .lock()
        .unwrap_or_else(|poison| poison.into_inner());
    let output = Command::new("node")
        .arg(repository().join("scripts/serverless-package-check"))
        .args(["--checker", env!("CARGO_BIN_EXE_checker")])
        .args(args)
        .output()
        .expect("node runs scripts/serverless-package-check (Node 18 or later)");
    println!("{}", text(&output));
    Some(output)
}

/// `checker stack --json FILE`: how the checker reads `file`.
fn stack_json(file: &Path) -> serde_json::Value {
    let output = Command::new(env!("CARGO_BIN_EXE_checker"))
        .args(["stack", "--json"])
        .arg(file)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output));
    serde_json::from_slice(&output.stdout).unwrap()
}

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}
