//! Loading whole serverless.yml files written to a temporary folder.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use super::*;

/// Four lines: functions written after it start on line 5.
const BASE: &str = "service: chat
provider:
  name: aws
  runtime: provided.al2023
";

struct Fixture {
    dir: tempfile::TempDir,
    env: HashMap<String, String>,
    options: StackOptions,
}

impl Fixture {
    fn new() -> Fixture {
        Fixture {
            dir: tempfile::tempdir().unwrap(),
            env: HashMap::new(),
            options: StackOptions::default(),
        }
    }

    fn file(self, name: &str, text: &str) -> Fixture {
        let path = self.dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
        self
    }

    fn env(mut self, name: &str, value: &str) -> Fixture {
        self.env.insert(name.to_owned(), value.to_owned());
        self
    }

    fn stage(mut self, stage: &str) -> Fixture {
        self.options.stage = Some(stage.to_owned());
        self
    }

    fn load(&self, yml: &str) -> Result<Stack, StackError> {
        let file = self.dir.path().join("serverless.yml");
        std::fs::write(&file, yml).unwrap();
        let env = |name: &str| self.env.get(name).cloned();
        Stack::load_with_env(&file, &self.options, &env)
    }

    /// The `resources` section of `yml` with its variables resolved.
    fn resources(&self, yml: &str) -> serde_json::Value {
        let file = self.dir.path().join("serverless.yml");
        let env = |name: &str| self.env.get(name).cloned();
        let tree = yaml::parse(yml).unwrap();
        let tree = variables::resolve(&file, &tree, &self.options, &env).unwrap();
        tree.get("resources")
            .map_or(serde_json::Value::Null, yaml::Node::to_json)
    }

    /// The message of the error `yml` gives, checked to start at `at`
    /// (`serverless.yml:line:column`) and to contain every piece of `advice`.
    fn error(&self, yml: &str, at: &str, advice: &[&str]) -> String {
        let message = match self.load(yml) {
            Ok(stack) => panic!("expected an error at {at}, loaded {stack:#?}"),
            Err(error) => error.to_string(),
        };
        let file = self.dir.path().join(at);
        assert!(
            message.starts_with(&format!("{}:", file.display())),
            "not at {at}: {message}"
        );
        for piece in advice {
            assert!(message.contains(piece), "no {piece:?} in: {message}");
        }
        assert!(!message.contains('\n'), "not one paragraph: {message}");
        message
    }
}

fn load(yml: &str) -> Stack {
    Fixture::new()
        .load(yml)
        .unwrap_or_else(|error| panic!("{error}"))
}

fn error(yml: &str, at: &str, advice: &[&str]) -> String {
    Fixture::new().error(yml, at, advice)
}

fn function(name: &str, events: &str) -> String {
    format!(
        "  {name}:\n    handler: bootstrap\n    package:\n      artifact: target/lambda/{name}.zip\n    events:\n{events}"
    )
}

fn with_functions(functions: &[String]) -> String {
    format!("{BASE}functions:\n{}", functions.concat())
}

#[test]
fn reads_a_minimal_stack_with_defaults() {
    let stack = load(&with_functions(&[function(
        "onConnect",
        "      - websocket: $connect\n",
    )]));
    assert_eq!(stack.service, "chat");
    assert_eq!(stack.stage, "dev");
    assert_eq!(stack.region, "us-east-1");
    assert_eq!(stack.runtime, "provided.al2023");
    assert_eq!(stack.architecture, "x86_64");
    assert_eq!(stack.route_selection_expression, "$request.body.action");
    assert!(stack.tables.is_empty());
    assert!(stack.file.ends_with("serverless.yml"));
    assert_eq!(stack.dir, stack.file.parent().unwrap());
    let function = stack.function("onConnect").unwrap();
    assert_eq!(function.handler, "bootstrap");
    assert_eq!(function.deployed_name, "chat-dev-onConnect");
    assert_eq!(function.artifact, "target/lambda/onConnect.zip");
    assert_eq!(function.binary, "onConnect");
    assert_eq!(function.timeout, Duration::from_secs(6));
    assert_eq!(function.memory_size, 1024);
    assert!(function.environment.is_empty());
    assert_eq!((function.at.line, function.at.column), (6, 3));
    assert_eq!(
        (function.artifact_at.line, function.artifact_at.column),
        (9, 17)
    );
    let route = stack.route("$connect").unwrap();
    assert_eq!(route.function, "onConnect");
    assert!(!route.two_way);
    assert_eq!((route.at.line, route.at.column), (11, 20));
    assert!(stack.route("$default").is_none());
    assert!(stack.function("nope").is_none());
}

#[test]
fn reads_provider_settings_functions_and_both_event_forms() {
    let stack = load(
        "service: workshop
provider:
  name: aws
  runtime: provided.al2023
  architecture: arm64
  stage: test
  region: eu-west-1
  timeout: 10
  memorySize: 256
  websocketsApiRouteSelectionExpression: $request.body.type
  environment:
    SHARED: provider
    OVERRIDDEN: provider
    NUMBER: 5
package:
  individually: true
  artifact: target/lambda/shared.zip
functions:
  onConnect:
    handler: bootstrap
    events:
      - websocket: $connect
      - http: GET /
  onMessage:
    handler: bootstrap
    timeout: 3
    memorySize: 512
    environment:
      OVERRIDDEN: function
      OWN: 'yes'
    package:
      artifact: ./target/lambda/shared.zip
    events:
      - websocket:
          route: sendMessage
          routeResponseSelectionExpression: $default
      - websocket: { route: $default }
      - schedule: rate(1 minute)
  idle:
    handler: bootstrap
  sameArtifact:
    handler: bootstrap
    package: { artifact: target/lambda/shared.zip }
",
    );
    assert_eq!(
        (stack.stage.as_str(), stack.region.as_str()),
        ("test", "eu-west-1")
    );
    assert_eq!(stack.architecture, "arm64");
    assert_eq!(stack.route_selection_expression, "$request.body.type");
    let names: Vec<_> = stack.functions.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["onConnect", "onMessage", "idle", "sameArtifact"]);
    let on_connect = stack.function("onConnect").unwrap();
    assert_eq!(on_connect.artifact, "target/lambda/shared.zip");
    assert_eq!(
        (on_connect.artifact_at.line, on_connect.artifact_at.column),
        (17, 13)
    );
    assert_eq!(on_connect.binary, "shared");
    assert_eq!(on_connect.timeout, Duration::from_secs(10));
    assert_eq!(on_connect.memory_size, 256);
    assert_eq!(on_connect.environment["NUMBER"], "5");
    let on_message = stack.function("onMessage").unwrap();
    assert_eq!(on_message.timeout, Duration::from_secs(3));
    assert_eq!(on_message.memory_size, 512);
    assert_eq!(on_message.binary, "shared");
    let env: Vec<_> = on_message
        .environment
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    assert_eq!(
        env,
        [
            "NUMBER=5",
            "OVERRIDDEN=function",
            "OWN=yes",
            "SHARED=provider"
        ]
    );
    let routes: Vec<_> = stack
        .routes
        .iter()
        .map(|r| (r.key.as_str(), r.function.as_str(), r.two_way))
        .collect();
    assert_eq!(
        routes,
        [
            ("$connect", "onConnect", false),
            ("sendMessage", "onMessage", true),
            ("$default", "onMessage", false),
        ]
    );
}

#[test]
fn deployed_names_as_serverless_gives_them() {
    let yml = format!(
        "{BASE}  stage: ${{opt:stage, 'test'}}
functions:
  named:
    handler: bootstrap
    name: ${{self:service}}-${{sls:stage}}-custom_Name
    package: {{ artifact: a.zip }}
  emptyName:
    handler: bootstrap
    name: ''
    package: {{ artifact: a.zip }}
  plain:
    handler: bootstrap
    package: {{ artifact: a.zip }}
"
    );
    let deployed = |stack: &Stack| -> Vec<String> {
        let names = stack.functions.iter().map(|f| f.deployed_name.clone());
        names.collect()
    };
    let stack = load(&yml);
    assert_eq!(
        deployed(&stack),
        [
            "chat-test-custom_Name",
            "chat-test-emptyName",
            "chat-test-plain"
        ]
    );
    let stack = Fixture::new().stage("prod").load(&yml).unwrap();
    assert_eq!(
        deployed(&stack),
        [
            "chat-prod-custom_Name",
            "chat-prod-emptyName",
            "chat-prod-plain"
        ]
    );
}

#[test]
fn reads_yaml_scalars_as_serverless_does() {
    // Serverless v3's YAML reader (js-yaml 4) takes `on`, `yes` and `off` as text:
    // `- websocket: on` is the route key `on`.
    let stack = load(&format!(
        "{BASE}  environment:
    FLAG: yes
    RATIO: 1.0
functions:
  f:
    handler: bootstrap
    package: {{ artifact: f.zip }}
    events:
      - websocket: on
      - websocket: {{ route: off }}
      - websocket: {{ route: 'yes', routeResponseSelectionExpression: '' }}
"
    ));
    let keys: Vec<_> = stack
        .routes
        .iter()
        .map(|r| (r.key.as_str(), r.two_way))
        .collect();
    assert_eq!(keys, [("on", false), ("off", false), ("yes", false)]);
    let environment = &stack.function("f").unwrap().environment;
    assert_eq!(environment["FLAG"], "yes");
    assert_eq!(environment["RATIO"], "1");
}

#[test]
fn empty_route_selection_expression_falls_back_like_serverless() {
    for line in [
        "  websocketsApiRouteSelectionExpression: ''",
        "  websocketsApiRouteSelectionExpression:",
        "  websocketsApiRouteSelectionExpression: ${env:NOT_SET, ''}",
    ] {
        let stack = load(&format!("{BASE}{line}\n"));
        assert_eq!(
            stack.route_selection_expression, "$request.body.action",
            "{line}"
        );
    }
}

#[test]
fn options_win_over_provider_stage_and_region() {
    let yml = "service: s
provider:
  name: aws
  runtime: provided.al2023
  stage: dev
  region: ${opt:region, 'eu-west-1'}
custom:
  name: ${sls:stage}-${opt:stage, 'none'}
";
    let fixture = Fixture::new().stage("prod");
    let stack = fixture.load(yml).unwrap();
    assert_eq!(
        (stack.stage.as_str(), stack.region.as_str()),
        ("prod", "eu-west-1")
    );
    let mut fixture = Fixture::new();
    fixture.options.region = Some("ap-south-1".to_owned());
    let stack = fixture.load(yml).unwrap();
    assert_eq!(
        (stack.stage.as_str(), stack.region.as_str()),
        ("dev", "ap-south-1")
    );
}

#[test]
fn resolves_every_variable_kind() {
    let fixture = Fixture::new()
        .env("TABLE_SUFFIX", "v2")
        .env("EMPTY", "")
        .file(
            "config/author.json",
            r#"{"name": "Ada", "team": {"size": 3}, "tags": ["a", "b"]}"#,
        )
        .file(
            "settings.yml",
            "memory: 512\nnested:\n  stage: ${sls:stage}\n",
        )
        .stage("qa");
    let stack = fixture
        .load(
            r#"service: chat
provider:
  name: aws
  runtime: provided.al2023
  stage: ${opt:stage, "dev"}
  memorySize: ${file(settings.yml):memory}
  timeout: ${self:custom.timeout}
  environment:
    TABLE: ${self:service}-${sls:stage}-connections
    SUFFIX: ${env:TABLE_SUFFIX}
    DEFAULTED: ${env:NOT_SET, 'fallback'}
    EMPTY_USES_DEFAULT: ${env:EMPTY, "empty"}
    NUMBER_DEFAULT: ${env:NOT_SET, 5}
    AUTHOR: ${file(./config/author.json):name}
    TEAM: ${file(config/author.json):team.size}
    FIRST_TAG: ${file(config/author.json):tags.0}
    FROM_YAML: ${file(settings.yml):nested.stage}
    NESTED_ADDRESS: ${self:custom.tables.${sls:stage}}
    SELF_FALLBACK: ${opt:region, self:custom.region}
    NESTED_FALLBACK: ${opt:region, ${self:custom.region}}
    CHAIN: ${self:custom.chain}
    WHOLE: ${self:custom.whole.name}
    DOLLARS: arn:aws:${AWS::Region}:$request.body.action:${request.body.x}
custom:
  timeout: 12
  region: eu-north-1
  chain: ${self:custom.region}!
  tables:
    qa: qa-table
  whole: ${file(config/author.json)}
functions:
  f:
    handler: bootstrap
    package:
      artifact: target/lambda/${self:service}.zip
"#,
        )
        .unwrap_or_else(|error| panic!("{error}"));
    let f = stack.function("f").unwrap();
    assert_eq!(f.artifact, "target/lambda/chat.zip");
    assert_eq!(f.binary, "chat");
    assert_eq!(f.memory_size, 512);
    assert_eq!(f.timeout, Duration::from_secs(12));
    let expected = [
        ("TABLE", "chat-qa-connections"),
        ("SUFFIX", "v2"),
        ("DEFAULTED", "fallback"),
        ("EMPTY_USES_DEFAULT", "empty"),
        ("NUMBER_DEFAULT", "5"),
        ("AUTHOR", "Ada"),
        ("TEAM", "3"),
        ("FIRST_TAG", "a"),
        ("FROM_YAML", "qa"),
        ("NESTED_ADDRESS", "qa-table"),
        ("SELF_FALLBACK", "eu-north-1"),
        ("NESTED_FALLBACK", "eu-north-1"),
        ("CHAIN", "eu-north-1!"),
        ("WHOLE", "Ada"),
        (
            "DOLLARS",
            "arn:aws:${AWS::Region}:$request.body.action:${request.body.x}",
        ),
    ];
    for (name, value) in expected {
        assert_eq!(f.environment[name], value, "{name}");
    }
    assert_eq!(stack.stage, "qa");
}

#[test]
fn sls_stage_falls_back_to_provider_stage_then_dev() {
    let yml = |stage: &str| {
        format!(
            "service: s\nprovider:\n  name: aws\n  runtime: provided.al2023\n{stage}  environment:\n    STAGE: ${{sls:stage}}\n"
        )
    };
    let provider_stage = load(&yml("  stage: ${opt:stage, 'staging'}\n"));
    assert_eq!(provider_stage.stage, "staging");
    let with_resources = format!("{}resources:\n  Outputs:\n    S: ${{sls:stage}}\n", yml(""));
    assert_eq!(load(&with_resources).stage, "dev");
    assert_eq!(
        Fixture::new().resources(&with_resources),
        serde_json::json!({"Outputs": {"S": "dev"}})
    );
}

#[test]
fn a_whole_value_variable_keeps_its_type() {
    let yml = format!(
        "{BASE}custom:\n  n: 5\n  flag: true\n  list: [1, 2]\nresources:\n  N: ${{self:custom.n}}\n  F: ${{self:custom.flag}}\n  L: ${{self:custom.list}}\n  T: n=${{self:custom.n}},${{self:custom.flag}}\n  D: ${{env:NOPE, 1.5}}\n"
    );
    load(&yml);
    assert_eq!(
        Fixture::new().resources(&yml),
        serde_json::json!({"N": 5, "F": true, "L": [1, 2], "T": "n=5,true", "D": 1.5})
    );
}

#[test]
fn keeps_resources_with_cloudformation_functions_and_works_out_table_names() {
    let stack = load(&format!(
        "{BASE}  environment:
    TABLE: !Ref ConnectionsTable
    ARN: !GetAtt ConnectionsTable.Arn
    UNNAMED: {{ Ref: Unnamed }}
    REGION: !Ref AWS::Region
functions:
  f:
    handler: bootstrap
    package: {{ artifact: f.zip }}
resources:
  Resources:
    ConnectionsTable:
      Type: AWS::DynamoDB::Table
      Properties:
        TableName: ${{self:service}}-connections
        BillingMode: PAY_PER_REQUEST
        KeySchema:
          - AttributeName: connectionId
            KeyType: HASH
        AttributeDefinitions:
          - AttributeName: connectionId
            AttributeType: S
    Unnamed:
      Type: AWS::DynamoDB::Table
      Properties:
        KeySchema: [{{ AttributeName: Id, KeyType: HASH }}]
        AttributeDefinitions: [{{ AttributeName: Id, AttributeType: N }}]
        ProvisionedThroughput: {{ ReadCapacityUnits: 1, WriteCapacityUnits: 1 }}
"
    ));
    let env = &stack.function("f").unwrap().environment;
    assert_eq!(env["TABLE"], "chat-connections");
    assert_eq!(
        env["ARN"],
        "arn:aws:dynamodb:us-east-1:000000000000:table/chat-connections"
    );
    assert_eq!(env["UNNAMED"], "Unnamed");
    assert_eq!(env["REGION"], "us-east-1");
    let [table, unnamed] = stack.tables.as_slice() else {
        panic!("two tables: {:#?}", stack.tables);
    };
    assert_eq!(table.logical_id, "ConnectionsTable");
    assert_eq!(table.declared_name.as_deref(), Some("chat-connections"));
    assert_eq!(table.key.partition.name, "connectionId");
    assert_eq!(table.at.line, 16);
    assert_eq!(unnamed.name, "Unnamed", "no TableName: the logical id");
    assert_eq!(unnamed.key.partition.kind, ScalarKind::N);
    assert_eq!(unnamed.billing_mode, "PROVISIONED");
}

#[test]
fn loads_the_repository_stacks() {
    let checker = Path::new(env!("CARGO_MANIFEST_DIR"));
    let stack = Stack::load(&checker.join("../serverless.yml"), &StackOptions::default()).unwrap();
    assert!(stack.route("$default").is_some());
    for entry in std::fs::read_dir(checker.join("tests/stacks")).unwrap() {
        let path = entry.unwrap().path();
        if let Err(error) = Stack::load(&path, &StackOptions::default()) {
            panic!("{error}");
        }
    }
}

#[test]
fn the_real_environment_is_read_by_load() {
    let yml = format!(
        "{BASE}  environment:\n    P: ${{env:PATH, 'none'}}\nfunctions:\n  f:\n    handler: bootstrap\n    package: {{ artifact: f.zip }}\n"
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("serverless.yml");
    std::fs::write(&file, yml).unwrap();
    let stack = Stack::load(&file, &StackOptions::default()).unwrap();
    assert_eq!(
        stack.function("f").unwrap().environment["P"],
        std::env::var("PATH").unwrap_or_else(|_| "none".to_owned())
    );
}

mod authorizers;
mod errors;
mod iam;
mod tables;
