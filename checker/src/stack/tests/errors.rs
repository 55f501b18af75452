//! Every error names `file:line:column` and says what to write instead.

use super::{BASE, Fixture, error, function, load, with_functions};
use crate::stack::{Stack, StackOptions};

fn one_event(event: &str) -> String {
    with_functions(&[function("f", &format!("      - websocket:{event}\n"))])
}

fn provider_line(line: &str) -> String {
    format!("{BASE}{line}\n")
}

#[test]
fn malformed_yaml() {
    let message = error(
        "service: chat\nprovider:\n  name: aws\n runtime: x\n",
        "serverless.yml:4:2",
        &["not valid YAML", "indent with spaces"],
    );
    assert!(message.contains("did not find expected key"), "{message}");
    error(
        &format!("{BASE}service: again\n"),
        "serverless.yml:5:1",
        &["duplicate", "`service`"],
    );
    error(
        "service: 'chat\n",
        "serverless.yml:1:10",
        &["not valid YAML", "close every quote"],
    );
}

#[test]
fn unknown_websocket_route_forms() {
    let both_forms = [
        "`- websocket: $default`",
        "routeResponseSelectionExpression: $default }`",
    ];
    let message = error(&one_event(" 5"), "serverless.yml:11:20", &both_forms);
    assert!(
        message.contains("function \"f\" has the number 5 as its route; quote it (`'5'`)"),
        "{message}"
    );
    let message = error(&one_event(" [a]"), "serverless.yml:11:20", &both_forms);
    assert!(
        message.contains("has a list where the route key belongs"),
        "{message}"
    );
    let message = error(
        &one_event(" { routeResponseSelectionExpression: $default }"),
        "serverless.yml:11:20",
        &both_forms,
    );
    assert!(
        message.contains("is a mapping without `route`"),
        "{message}"
    );
    let message = error(
        &one_event(" { route: a, rout: b }"),
        "serverless.yml:11:32",
        &both_forms,
    );
    assert!(
        message.contains(
            "has the unknown key `rout`, which Serverless ignores with only a warning, so it \
             would have no effect"
        ),
        "{message}"
    );
    assert!(
        message.contains("fix its spelling or remove it"),
        "{message}"
    );
}

#[test]
fn websocket_event_pointing_nowhere() {
    error(
        &one_event(""),
        "serverless.yml:11:9",
        &[
            "function \"f\" names no route",
            "points nowhere",
            "`- websocket: $default`",
        ],
    );
    error(
        &one_event(" { route: ~ }"),
        "serverless.yml:11:9",
        &["points nowhere"],
    );
}

#[test]
fn empty_and_reserved_route_keys() {
    error(
        &one_event(" ''"),
        "serverless.yml:11:20",
        &["empty route key", "`$connect`", "`sendMessage`"],
    );
    error(
        &one_event(" { route: '' }"),
        "serverless.yml:11:29",
        &["empty route key"],
    );
    error(
        &one_event(" $conect"),
        "serverless.yml:11:20",
        &[
            "route `$conect`",
            "`$connect`, `$disconnect` and `$default`",
            "drop the `$`",
        ],
    );
}

#[test]
fn route_bound_twice_names_both_places() {
    let fixture = Fixture::new();
    let yml = with_functions(&[
        function("a", "      - websocket: $default\n"),
        function("b", "      - websocket: { route: $default }\n"),
    ]);
    let first = fixture.dir.path().join("serverless.yml:11:20");
    let message = fixture.error(
        &yml,
        "serverless.yml:17:29",
        &[
            "route `$default` is bound twice",
            "function \"b\" here",
            "function \"a\" at",
            "remove one",
        ],
    );
    assert!(message.contains(&first.display().to_string()), "{message}");
}

#[test]
fn routes_that_serverless_deploys_as_one() {
    let fixture = Fixture::new();
    let yml = with_functions(&[
        function("a", "      - websocket: $default\n"),
        function("b", "      - websocket: { route: Sdefault }\n"),
    ]);
    let first = fixture.dir.path().join("serverless.yml:11:20");
    let message = fixture.error(
        &yml,
        "serverless.yml:17:29",
        &[
            "route `Sdefault` of function \"b\" and route `$default` of function \"a\"",
            "become one route when deployed",
            "`SdefaultWebsocketsRoute`",
            "`$` as `S`",
            "the later one wins, so AWS would have route `Sdefault` only",
            "rename one of the two routes",
        ],
    );
    assert!(message.contains(&first.display().to_string()), "{message}");
    error(
        &one_event(" a-b\n      - websocket: aDashb"),
        "serverless.yml:12:20",
        &[
            "route `aDashb` of function \"f\" and route `a-b` of function \"f\"",
            "serverless.yml:11:20",
            "`aDashbWebsocketsRoute`",
        ],
    );
    error(
        &one_event(" a.b\n      - websocket: aPeriodb"),
        "serverless.yml:12:20",
        &["`aPeriodbWebsocketsRoute`"],
    );
}

#[test]
fn route_keys_cloudformation_cannot_name() {
    error(
        &one_event(" 'send message'"),
        "serverless.yml:11:20",
        &[
            "route `send message` of function \"f\" has a space;",
            "CloudFormation takes only letters and digits",
            "the deploy fails",
            "`sendMessage`",
        ],
    );
    error(
        &one_event(" { route: 'chat:send' }"),
        "serverless.yml:11:29",
        &["route `chat:send` of function \"f\" has `:`"],
    );
    error(
        &one_event(" \"a\\tb\""),
        "serverless.yml:11:20",
        &["route `a\tb` of function \"f\" has the character '\\t'"],
    );
}

#[test]
fn boolean_route_keys_must_be_quoted() {
    for (yaml, at, flag) in [
        (" true", "serverless.yml:11:20", "true"),
        (" FALSE", "serverless.yml:11:20", "false"),
        (" { route: True }", "serverless.yml:11:29", "true"),
    ] {
        let message = error(&one_event(yaml), at, &[]);
        assert!(
            message.contains(&format!(
                "has the boolean `{flag}` where the route key belongs"
            )),
            "{message}"
        );
        assert!(
            message.contains("which Serverless does not deploy as a route"),
            "{message}"
        );
        assert!(
            message.contains(&format!("quote it (`'{flag}'`)")),
            "{message}"
        );
    }
}

#[test]
fn response_selection_other_than_default() {
    error(
        &one_event(" { route: a, routeResponseSelectionExpression: $request.body.x }"),
        "serverless.yml:11:66",
        &[
            "route `a` (function \"f\")",
            "the text `$request.body.x`",
            "Serverless only warns about that",
            "API Gateway supports only `$default`",
            "`routeResponseSelectionExpression: $default`",
        ],
    );
}

#[test]
fn functions_that_serverless_deploys_as_one() {
    let fixture = Fixture::new();
    let yml = with_functions(&[function("sendMessage", ""), function("SendMessage", "")]);
    let first = fixture.dir.path().join("serverless.yml:6:3");
    let message = fixture.error(
        &yml,
        "serverless.yml:11:3",
        &[
            "functions \"SendMessage\" (here) and \"sendMessage\"",
            "become one Lambda when deployed",
            "`SendMessageLambdaFunction`",
            "the later one, \"SendMessage\", replaces the other",
            "rename one of the two functions",
        ],
    );
    assert!(message.contains(&first.display().to_string()), "{message}");
    error(
        &with_functions(&[function("a-b", ""), function("aDashb", "")]),
        "serverless.yml:11:3",
        &["\"aDashb\" (here) and \"a-b\"", "`ADashbLambdaFunction`"],
    );
}

#[test]
fn function_keys_cloudformation_cannot_name() {
    error(
        &with_functions(&[function("on.connect", "")]),
        "serverless.yml:6:3",
        &[
            "function key \"on.connect\" has `.`",
            "CloudFormation takes only letters and digits",
            "the deploy fails",
            "letters, digits, `-` and `_` only",
        ],
    );
}

#[test]
fn deployed_names_lambda_refuses() {
    let long = "f".repeat(60);
    error(
        &with_functions(&[function(&long, "")]),
        "serverless.yml:6:3",
        &[
            &format!("would be deployed as the Lambda `chat-dev-{long}`"),
            "at most 64 characters long, and it has 69",
            "shorten the service, the stage or the function key",
        ],
    );
    let named = |name: &str| {
        with_functions(&[function("f", "")])
            .replace("    events:\n", &format!("    name: {name}\n"))
    };
    error(
        &named("'my function'"),
        "serverless.yml:10:11",
        &[
            "function \"f\" would be deployed as the Lambda `my function`",
            "only letters, digits, `-` and `_`, and it has a space,",
            "the deploy fails",
            "change the function's `name:`",
        ],
    );
    error(
        &named("[a]"),
        "serverless.yml:10:11",
        &["`functions.f.name` must be a text, but it is a list"],
    );
}

#[test]
fn two_functions_deployed_under_one_name() {
    let yml = with_functions(&[function("a", ""), function("b", "")]).replace(
        "target/lambda/b.zip\n    events:\n",
        "target/lambda/b.zip\n    name: chat-dev-a\n",
    );
    error(
        &yml,
        "serverless.yml:11:3",
        &[
            "functions \"b\" and \"a\" (at ",
            "serverless.yml:6:3)",
            "both be deployed as the Lambda `chat-dev-a`",
            "give one of them another `name:`",
        ],
    );
}

#[test]
fn function_without_artifact() {
    let advice = "function \"onMessage\" has no package.artifact; add `package: { artifact: \
                  target/lambda/<binary>.zip }` naming the cargo binary of this function";
    error(
        &format!("{BASE}functions:\n  onMessage:\n    handler: bootstrap\n"),
        "serverless.yml:6:3",
        &[advice],
    );
    error(
        &format!(
            "{BASE}functions:\n  onMessage:\n    handler: bootstrap\n    package:\n      individually: true\n"
        ),
        "serverless.yml:9:7",
        &[advice],
    );
}

#[test]
fn artifact_not_a_zip() {
    let yml = with_functions(&[function("f", "")]).replace("f.zip", "f");
    error(
        &yml,
        "serverless.yml:9:17",
        &[
            "artifact `target/lambda/f` of function \"f\" does not end in `.zip`",
            "`target/lambda/<binary>.zip`",
        ],
    );
}

#[test]
fn different_artifacts_with_one_file_name() {
    let fixture = Fixture::new();
    let yml = format!(
        "{BASE}functions:
  a:
    handler: bootstrap
    package: {{ artifact: target/lambda/a/bootstrap.zip }}
  b:
    handler: bootstrap
    package: {{ artifact: target/lambda/b/bootstrap.zip }}
"
    );
    let other = fixture.dir.path().join("serverless.yml:8:26");
    let message = fixture.error(
        &yml,
        "serverless.yml:11:26",
        &[
            "\"b\" (`target/lambda/b/bootstrap.zip`)",
            "\"a\" (`target/lambda/a/bootstrap.zip`",
            "`bootstrap.zip`",
            "serverless/serverless#5939",
            "`target/lambda/<binary>.zip`",
        ],
    );
    assert!(message.contains(&other.display().to_string()), "{message}");
}

#[test]
fn unresolvable_variables() {
    let env = |value: &str| format!("{BASE}  environment:\n    TABLE: {value}\n");
    error(
        &env("${env:TABLE}"),
        "serverless.yml:6:12",
        &[
            "`${env:TABLE}` has no value",
            "the environment variable `TABLE` is not set",
            "set it (e.g. `export TABLE=...`",
            "add a default: `${env:TABLE, 'x'}`",
        ],
    );
    error(
        &env("${self:custom.nope}"),
        "serverless.yml:6:12",
        &[
            "`custom.nope` is not in serverless.yml",
            "`${self:custom.nope, 'x'}`",
        ],
    );
    error(
        &env("${opt:foo}"),
        "serverless.yml:6:12",
        &["passes no `--foo` option", "`${opt:foo, 'x'}`"],
    );
    error(
        &env("${opt:stage, self:custom.stage}"),
        "serverless.yml:6:12",
        &["no `--stage` option was given, and `custom.stage` is not in serverless.yml"],
    );
    error(
        &env("pre-${env:TABLE}"),
        "serverless.yml:6:12",
        &["`${env:TABLE}` has no value"],
    );
}

#[test]
fn unknown_variable_source() {
    error(
        &provider_line("  stage: ${ssm:/my/stage}"),
        "serverless.yml:5:10",
        &[
            "`${ssm:/my/stage}` uses the variable source `ssm`",
            "`${env:NAME, 'default'}`",
        ],
    );
    error(
        &provider_line("  stage: ${sls:instanceId}"),
        "serverless.yml:5:10",
        &["`${sls:stage}`"],
    );
    error(
        &provider_line("  stage: ${file(stage.js):x}"),
        "serverless.yml:5:10",
        &["does not run JavaScript"],
    );
}

#[test]
fn file_variables() {
    let fixture = Fixture::new()
        .file("author.json", "{\"name\": \"Ada\"}")
        .file("bad.json", "{\n  \"a\": 1,\n}\n");
    fixture.error(
        &provider_line("  stage: ${file(missing.json):stage}"),
        "serverless.yml:5:10",
        &[
            "`${file(missing.json):stage}` reads `missing.json`, which does not exist",
            "missing.json)",
            "create that file",
        ],
    );
    fixture.error(
        &provider_line("  stage: ${file(author.json):stage}"),
        "serverless.yml:5:10",
        &[
            "`author.json` has no `stage`",
            "`${file(author.json):stage, 'x'}`",
        ],
    );
    let stack = fixture
        .load(&provider_line(
            "  stage: ${file(missing.json):stage, 'fallback'}",
        ))
        .unwrap();
    assert_eq!(stack.stage, "fallback");
    let message = fixture.error(
        &provider_line("  stage: ${file(bad.json):a}"),
        "bad.json:3:1",
        &["cannot parse this file", "fix its syntax"],
    );
    let at = fixture.dir.path().join("serverless.yml:5:10");
    assert!(message.contains(&at.display().to_string()), "{message}");
}

#[test]
fn variable_cycles_end() {
    error(
        &format!("{BASE}custom:\n  a: ${{self:custom.b}}\n  b: ${{self:custom.a}}\n"),
        "serverless.yml:7:6",
        &[
            "in a loop: custom.a -> custom.b -> custom.a",
            "replace one of them",
        ],
    );
    error(
        &format!("{BASE}custom:\n  a: x${{self:custom.a}}\n"),
        "serverless.yml:6:6",
        &["custom.a -> custom.a"],
    );
    error(
        &format!("{BASE}custom:\n  a: ${{self:custom.a.b}}\n"),
        "serverless.yml:6:6",
        &["custom.a -> custom.a"],
    );
    error(
        &format!("{BASE}custom:\n  a: ${{self:}}\n"),
        "serverless.yml:6:6",
        &["(the whole file) -> custom -> custom.a -> (the whole file)"],
    );
    let fixture = Fixture::new().file("loop.yml", "a: ${file(loop.yml):a}\n");
    fixture.error(
        &provider_line("  stage: ${file(loop.yml):a}"),
        "serverless.yml:5:10",
        &["file(loop.yml):a -> file(loop.yml):a"],
    );
}

#[test]
fn malformed_variables() {
    error(
        &provider_line("  stage: ${opt:stage, dev}"),
        "serverless.yml:5:10",
        &["cannot read the variable in `${opt:stage, dev}`", "`'dev'`"],
    );
    error(
        &provider_line("  stage: ${opt:stage"),
        "serverless.yml:5:10",
        &["no closing `}`"],
    );
    error(
        &format!("{BASE}custom:\n  m: {{ x: 1 }}\n  t: a-${{self:custom.m}}\n"),
        "serverless.yml:7:6",
        &[
            "`${self:custom.m}` gives a mapping, which cannot be part of the text `a-${self:custom.m}`",
        ],
    );
}

#[test]
fn timeouts_must_be_positive() {
    for (timeout, found) in [
        ("0", "the number 0"),
        ("-1", "the number -1"),
        ("soon", "the text `soon`"),
        ("901", "the number 901"),
    ] {
        let yml = with_functions(&[function("f", "")])
            .replace("    events:\n", &format!("    timeout: {timeout}\n"));
        let message = error(
            &yml,
            "serverless.yml:10:14",
            &[
                "the timeout of function \"f\"",
                "whole number of seconds",
                "`timeout: 6`",
            ],
        );
        assert!(message.contains(found), "{message}");
    }
    error(
        &provider_line("  timeout: [6]"),
        "serverless.yml:5:12",
        &["the timeout of the provider is a list"],
    );
}

#[test]
fn memory_size_and_architecture() {
    error(
        &provider_line("  memorySize: 64"),
        "serverless.yml:5:15",
        &[
            "memorySize of the provider is the number 64",
            "from 128 to 10240",
        ],
    );
    error(
        &provider_line("  architecture: arm"),
        "serverless.yml:5:17",
        &["the text `arm`", "`x86_64` and `arm64`"],
    );
}

#[test]
fn missing_sections_and_wrong_types() {
    error(
        "provider:\n  name: aws\n",
        "serverless.yml:1:1",
        &["`service` is missing", "`service: my-service`"],
    );
    error("", "serverless.yml:1:1", &["`service` is missing"]);
    error(
        "service: s\n",
        "serverless.yml:1:1",
        &["`provider` is missing", "runtime: provided.al2023"],
    );
    error(
        "service: s\nprovider:\n  name: aws\n",
        "serverless.yml:3:3",
        &[
            "`provider.runtime` is missing",
            "`runtime: provided.al2023`",
        ],
    );
    error(
        &format!("{BASE}functions:\n  f:\n    package: {{ artifact: f.zip }}\n"),
        "serverless.yml:6:3",
        &["`functions.f.handler` is missing", "`handler: bootstrap`"],
    );
    error(
        &format!("{BASE}functions:\n  - f\n"),
        "serverless.yml:6:3",
        &["`functions` must be a mapping, but it is a list"],
    );
    error(
        &format!("{BASE}service2: x\nservice3: [\n"),
        "serverless.yml:6:11",
        &["not valid YAML", "unclosed bracket"],
    );
    error(
        "service: [a]\n",
        "serverless.yml:1:10",
        &["`service` must be a text, but it is a list"],
    );
    let yml =
        with_functions(&[function("f", "")]).replace("    events:\n", "    events: websocket\n");
    error(
        &yml,
        "serverless.yml:10:13",
        &["`functions.f.events` must be a list"],
    );
    error(
        &one_event("").replace("websocket:", "websocket"),
        "serverless.yml:11:9",
        &["must be a list of mappings", "`- websocket: $connect`"],
    );
    error(
        &format!("{BASE}  environment:\n    LIST: [1]\n"),
        "serverless.yml:6:11",
        &["`provider.environment.LIST` must be a text"],
    );
}

#[test]
fn cloudformation_functions_in_the_environment() {
    error(
        &format!("{BASE}  environment:\n    X: !Select [0, [a, b]]\n"),
        "serverless.yml:6:16",
        &[
            "environment variable `X` uses `Fn::Select`",
            "`${self:custom.tableName}`",
        ],
    );
    error(
        &format!("{BASE}  environment:\n    X: !Ref Nope\n"),
        "serverless.yml:6:13",
        &[
            "environment variable `X` refers to `Nope`",
            "`resources.Resources` has no `Nope`",
        ],
    );
    error(
        &format!("{BASE}  environment:\n    API_ID: !Ref WebsocketsApi\n"),
        "serverless.yml:6:18",
        &[
            "refers to `WebsocketsApi`, which Serverless generates",
            "`requestContext.apiId`",
        ],
    );
}

#[test]
fn unreadable_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("nope.yml");
    let message = Stack::load(&file, &StackOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        message.starts_with(&format!("{}: cannot read this file", file.display())),
        "{message}"
    );
}

#[test]
fn a_property_indented_as_a_function_name_gets_the_indentation_meant() {
    // `events:` under `functions:` instead of under `onMessage:`.
    let yaml = format!(
        "{BASE}functions:\n  onMessage:\n    handler: bootstrap\n    package:\n      artifact: target/lambda/m.zip\n  events:\n    - websocket: $default\n"
    );
    let message = error(
        &yaml,
        "serverless.yml:10:3",
        &[
            "`events:` sits directly under `functions:`",
            "function \"onMessage\" above",
        ],
    );
    assert!(message.contains("by 2 more space(s)"), "{message}");
    assert!(message.contains("column 5"), "{message}");
}

/// What Lambda or CloudFormation refuses on deploy stops the load here too.
#[test]
fn what_lambda_refuses_on_deploy_stops_the_load() {
    let yml = with_functions(&[function("onConnect", "      - websocket: $connect\n")]);
    error(
        &yml.replace("runtime: provided.al2023", "runtime: nodejs20.x"),
        "serverless.yml:4:12",
        &[
            "`provider.runtime` must be an OS-only runtime",
            "`runtime: provided.al2023`",
        ],
    );
    error(
        &yml.replace(
            "  runtime: provided.al2023\n",
            "  runtime: provided.al2023\n  timeout: 2.5\n",
        ),
        "serverless.yml:5:12",
        &["whole number of seconds"],
    );
    for reserved in ["AWS_REGION", "AWS_LAMBDA_FUNCTION_NAME", "_HANDLER"] {
        error(
            &yml.replace(
                "  runtime: provided.al2023\n",
                &format!("  runtime: provided.al2023\n  environment:\n    {reserved}: x\n"),
            ),
            "serverless.yml:6:5",
            &[
                &format!("environment variable `{reserved}`"),
                "Reserved keys",
            ],
        );
    }
    load(&yml.replace("runtime: provided.al2023", "runtime: provided.al2"));
    load(&yml.replace(
        "  runtime: provided.al2023\n",
        "  runtime: provided.al2023\n  timeout: 3.0\n  environment:\n    AWS_ENDPOINT_URL_X: y\n",
    ));
}

#[test]
fn a_function_key_under_package_is_named_with_the_column_meant() {
    // `events:` one indentation too far in: under `package:`, where Serverless
    // only warns of an unknown property and deploys the function without routes.
    let yaml = format!(
        "{BASE}functions:\n  onMessage:\n    handler: bootstrap\n    package:\n      artifact: target/lambda/m.zip\n      events:\n        - websocket: $default\n"
    );
    let message = error(
        &yaml,
        "serverless.yml:10:7",
        &[
            "`events:` sits under `package:` of function \"onMessage\"",
            "Serverless ignores it with only a warning",
        ],
    );
    assert!(message.contains("2 space(s) to the left"), "{message}");
    assert!(message.contains("column 5"), "{message}");
}
