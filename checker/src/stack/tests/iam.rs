//! The execution role: the statements read as IAM reads them, what
//! Serverless adds by itself, and everything the checker cannot evaluate
//! refused at its `file:line:column`.

use super::{BASE, error, load};
use crate::stack::{Decision, Effect, Role, StatementOrigin};

const TABLE_ARN: &str = "arn:aws:dynamodb:eu-west-1:000000000000:table/chat-dev-chats";

/// A stack in eu-west-1 with one websocket function, the chats table and
/// `statements` under `provider.iam.role` (lines from 7 on).
fn with_statements(statements: &str) -> String {
    format!(
        "{BASE}  region: eu-west-1
  iam:
    role:
      statements:
{statements}functions:
  onMessage:
    handler: bootstrap
    package: {{ artifact: target/lambda/on-message.zip }}
    events:
      - websocket: $default
resources:
  Resources:
    ChatsTable:
      Type: AWS::DynamoDB::Table
      Properties:
        TableName: ${{self:service}}-${{sls:stage}}-chats
        BillingMode: PAY_PER_REQUEST
        AttributeDefinitions: [{{ AttributeName: ChatId, AttributeType: S }}]
        KeySchema: [{{ AttributeName: ChatId, KeyType: HASH }}]
"
    )
}

fn role(yml: &str) -> Role {
    load(yml).role.expect("a stack with functions has a role")
}

fn allowed(role: &Role, action: &str, resource: &str) -> bool {
    role.decide(action, resource) == Decision::Allowed
}

#[test]
fn reads_the_workshop_statements_and_what_serverless_adds() {
    let role = role(&with_statements(
        "        - Effect: Allow
          Action:
            - dynamodb:PutItem
            - dynamodb:Query
          Resource:
            - !GetAtt ChatsTable.Arn
            - !Join ['/', [!GetAtt ChatsTable.Arn, 'index/*']]
",
    ));
    assert_eq!(role.name, "chat-dev-eu-west-1-lambdaRole");
    assert_eq!((role.grant_at.line, role.grant_at.column), (9, 9));
    let [logs, log_events, declared, connections] = role.statements.as_slice() else {
        panic!("four statements: {:#?}", role.statements);
    };
    assert_eq!(
        logs.resources,
        ["arn:aws:logs:eu-west-1:000000000000:log-group:/aws/lambda/chat-dev*:*"]
    );
    assert_eq!(logs.actions[0], "logs:CreateLogStream");
    assert_eq!(
        log_events.resources,
        ["arn:aws:logs:eu-west-1:000000000000:log-group:/aws/lambda/chat-dev*:*:*"]
    );
    assert_eq!(declared.effect, Effect::Allow);
    assert_eq!(declared.actions, ["dynamodb:PutItem", "dynamodb:Query"]);
    assert_eq!(
        declared.resources,
        [TABLE_ARN.to_owned(), format!("{TABLE_ARN}/index/*")]
    );
    let StatementOrigin::Declared(at) = &declared.origin else {
        panic!("declared in the file: {:?}", declared.origin);
    };
    assert_eq!((at.line, at.column), (9, 11));
    assert_eq!(connections.actions, ["execute-api:ManageConnections"]);
    assert_eq!(
        connections.resources,
        ["arn:aws:execute-api:*:*:*/@connections/*"]
    );
    assert!(matches!(connections.origin, StatementOrigin::Serverless(_)));

    assert!(allowed(
        &role,
        "dynamodb:Query",
        &format!("{TABLE_ARN}/index/ByConnection")
    ));
    assert!(allowed(&role, "dynamodb:PutItem", TABLE_ARN));
    assert!(!allowed(&role, "dynamodb:Scan", TABLE_ARN));
    assert!(!allowed(
        &role,
        "dynamodb:PutItem",
        &TABLE_ARN.replace("chats", "other")
    ));
    assert!(allowed(
        &role,
        "execute-api:ManageConnections",
        "arn:aws:execute-api:eu-west-1:000000000000:abcdefghij/dev/POST/@connections/R1kmxc2VNjMCFIA="
    ));
    assert_eq!(
        role.session_arn("chat-dev-onMessage"),
        "arn:aws:sts::000000000000:assumed-role/chat-dev-eu-west-1-lambdaRole/chat-dev-onMessage"
    );
}

#[test]
fn an_explicit_deny_wins_over_any_allow() {
    let role = role(&with_statements(
        "        - Effect: Allow
          Action: 'dynamodb:*'
          Resource: '*'
        - Effect: Deny
          Action: dynamodb:Scan
          Resource: !GetAtt ChatsTable.Arn
",
    ));
    assert!(allowed(&role, "dynamodb:Query", TABLE_ARN));
    let Decision::Denied(deny) = role.decide("dynamodb:Scan", TABLE_ARN) else {
        panic!("the Deny applies");
    };
    let StatementOrigin::Declared(at) = &deny.origin else {
        panic!("declared: {:?}", deny.origin);
    };
    assert_eq!(at.line, 12);
    assert_eq!(
        role.decide("dynamodb:Scan", &format!("{TABLE_ARN}/index/I")),
        Decision::Allowed,
        "the Deny names the table only"
    );
}

#[test]
fn works_out_sub_join_and_the_aws_variables() {
    let role = role(&with_statements(
        "        - Effect: Allow
          Action: [dynamodb:GetItem]
          Resource:
            - !Sub 'arn:aws:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${ChatsTable}'
            - !Sub 'arn:${AWS::Partition}:dynamodb:${aws:region}:${aws:accountId}:table/x'
            - !Sub ['arn:aws:dynamodb:*:*:table/${Name}', { Name: !Ref ChatsTable }]
            - !Sub '${ChatsTable.Arn}/index/${!Literal}'
            - { 'Fn::Join': ['', ['arn:aws:dynamodb:', { Ref: 'AWS::Region' }, ':*:table/y']] }
",
    ));
    assert_eq!(
        role.statements[2].resources,
        [
            TABLE_ARN.to_owned(),
            "arn:aws:dynamodb:eu-west-1:000000000000:table/x".to_owned(),
            "arn:aws:dynamodb:*:*:table/chat-dev-chats".to_owned(),
            format!("{TABLE_ARN}/index/${{Literal}}"),
            "arn:aws:dynamodb:eu-west-1:*:table/y".to_owned(),
        ]
    );
}

#[test]
fn the_older_iam_role_statements_count_only_without_the_newer() {
    let older = format!(
        "{BASE}  iamRoleStatements:
    - Effect: Allow
      Action: dynamodb:Scan
      Resource: '*'
functions:
  f:
    handler: bootstrap
    package: {{ artifact: f.zip }}
"
    );
    let stack = load(&older);
    let role = stack.role.expect("a role");
    assert!(allowed(&role, "dynamodb:Scan", TABLE_ARN));
    assert_eq!(role.grant_at.line, 6);
    assert_eq!(
        role.statements.len(),
        3,
        "no websocket events, no @connections right"
    );

    let both = older.replace(
        "  iamRoleStatements:",
        "  iam:\n    role:\n      statements: []\n  iamRoleStatements:",
    );
    assert!(!allowed(&role_of(&both), "dynamodb:Scan", TABLE_ARN));
}

fn role_of(yml: &str) -> Role {
    role(yml)
}

#[test]
fn a_role_name_and_functions_named_otherwise_are_followed() {
    let yml = format!(
        "{BASE}  iam:
    role:
      name: my-role
functions:
  named:
    handler: bootstrap
    name: custom-name
    package: {{ artifact: named.zip }}
  quiet:
    handler: bootstrap
    disableLogs: true
    package: {{ artifact: quiet.zip }}
  plain:
    handler: bootstrap
    package: {{ artifact: plain.zip }}
"
    );
    let role = role(&yml);
    assert_eq!(role.name, "my-role");
    let group = "arn:aws:logs:us-east-1:000000000000:log-group:/aws/lambda";
    assert_eq!(
        role.statements[0].resources,
        [
            format!("{group}/custom-name:*"),
            format!("{group}/chat-dev*:*")
        ]
    );
    let deny = &role.statements[2];
    assert_eq!(deny.effect, Effect::Deny);
    assert_eq!(deny.resources, [format!("{group}/chat-dev-quiet:*")]);
    assert_eq!(role.statements.len(), 3);
}

#[test]
fn no_functions_no_role() {
    assert!(load(BASE).role.is_none());
}

#[test]
fn what_the_checker_cannot_evaluate_stops_the_load() {
    let statement = |extra: &str| {
        with_statements(&format!(
            "        - Effect: Allow\n          Action: dynamodb:Query\n          Resource: '*'\n{extra}"
        ))
    };
    for key in [
        "Condition",
        "NotAction",
        "NotResource",
        "Principal",
        "NotPrincipal",
    ] {
        error(
            &statement(&format!("          {key}: {{}}\n")),
            "serverless.yml:12:11",
            &[
                &format!("has `{key}`, which the checker does not evaluate"),
                "`Effect`, `Action` and `Resource` only",
            ],
        );
    }
    error(
        &statement("          Effects: Allow\n"),
        "serverless.yml:12:11",
        &["has `Effects`, which IAM does not know"],
    );
    error(
        &with_statements(
            "        - Effect: allow\n          Action: dynamodb:Query\n          Resource: '*'\n",
        ),
        "serverless.yml:9:19",
        &["`Effect` is the text `allow`", "`Allow` and `Deny`"],
    );
    error(
        &with_statements(
            "        - Effect: Allow\n          Action: [Query]\n          Resource: '*'\n",
        ),
        "serverless.yml:10:20",
        &[
            "the action `Query` is not `service:Action`",
            "`dynamodb:Query`",
        ],
    );
    error(
        &with_statements(
            "        - Effect: Allow\n          Action: dynamodb:Query\n          Resource: !Ref ChatsTable\n",
        ),
        "serverless.yml:11:26",
        &[
            "the resource is `chat-dev-chats`, which is not an ARN",
            "!GetAtt ConnectionsTable.Arn",
        ],
    );
    error(
        &with_statements(
            "        - Effect: Allow\n          Action: dynamodb:Query\n          Resource: !ImportValue shared-table\n",
        ),
        "serverless.yml:11:34",
        &["uses `Fn::ImportValue`, which only CloudFormation evaluates"],
    );
    error(
        &with_statements("        - Effect: Allow\n          Action: dynamodb:Query\n"),
        "serverless.yml:9:11",
        &["`provider.iam.role.statements.0.Resource` is missing"],
    );
}

#[test]
fn roles_and_policies_from_outside_the_file_stop_the_load() {
    let base =
        with_statements("        - { Effect: Allow, Action: 'dynamodb:*', Resource: '*' }\n");
    error(
        &base.replace(
            "  iam:\n",
            "  role: arn:aws:iam::123456789012:role/mine\n  iam:\n",
        ),
        "serverless.yml:6:9",
        &[
            "`provider.role` names a role of its own",
            "provider.iam.role.statements",
        ],
    );
    error(
        &base.replace("      statements:\n", "      managedPolicies: [arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess]\n      statements:\n"),
        "serverless.yml:8:24",
        &["`provider.iam.role.managedPolicies`", "defined outside this file"],
    );
    error(
        &base.replace(
            "      statements:\n",
            "      permissionsBoundary: arn:aws:iam::123456789012:policy/b\n      statements:\n",
        ),
        "serverless.yml:8:28",
        &["permissions boundary"],
    );
    error(
        &base.replace("    role:\n      statements:\n        - { Effect: Allow, Action: 'dynamodb:*', Resource: '*' }\n", "    role: arn:aws:iam::123456789012:role/mine\n"),
        "serverless.yml:7:11",
        &["`provider.iam.role` names an existing role"],
    );
    error(
        &base.replace(
            "    handler: bootstrap\n",
            "    handler: bootstrap\n    role: MyRole\n",
        ),
        "serverless.yml:13:11",
        &["`functions.onMessage.role` gives the function a role of its own"],
    );
}

/// An account written out in an ARN matches here or on AWS, never both.
#[test]
fn a_literal_account_in_an_arn_stops_the_load() {
    let resource = |value: &str| {
        with_statements(&format!(
            "        - Effect: Allow\n          Action: dynamodb:Query\n          Resource: {value}\n"
        ))
    };
    for (value, column) in [
        (TABLE_ARN.to_owned(), 21),
        (
            "arn:aws:dynamodb:eu-west-1:123456789012:table/chat-dev-chats".to_owned(),
            21,
        ),
        (
            "!Sub 'arn:aws:dynamodb:${AWS::Region}:123456789012:table/chat-dev-chats'".to_owned(),
            26,
        ),
        (
            "!Join [':', [arn, aws, dynamodb, eu-west-1, '000000000000', 'table/chat-dev-chats']]"
                .to_owned(),
            27,
        ),
    ] {
        error(
            &resource(&value),
            &format!("serverless.yml:11:{column}"),
            &["writes the account", "${AWS::AccountId}"],
        );
    }
    let substituted = role(&resource(
        "!Sub 'arn:aws:dynamodb:${AWS::Region}:${AWS::AccountId}:table/chat-dev-chats'",
    ));
    assert!(allowed(&substituted, "dynamodb:Query", TABLE_ARN));
    let any_account = role(&resource("'arn:aws:dynamodb:*:*:table/chat-dev-chats'"));
    assert!(allowed(&any_account, "dynamodb:Query", TABLE_ARN));
}
