//! `authorizer:` on a websocket event, read as Serverless v3 reads it and
//! refused where the deploy would fail or the checker cannot run it.

use super::{error, function, load, with_functions};
use crate::stack::IdentitySource;

/// `onConnect` on `$connect` with `authorizer` (a YAML flow value), and the
/// function `authorize`; `authorizer` is on line 13.
fn with_authorizer(authorizer: &str) -> String {
    with_functions(&[
        function(
            "onConnect",
            &format!("      - websocket:\n          route: $connect\n          authorizer: {authorizer}\n"),
        ),
        "  authorize:\n    handler: bootstrap\n    package:\n      artifact: target/lambda/authorize.zip\n"
            .to_owned(),
    ])
}

#[test]
fn a_named_function_with_its_identity_sources() {
    let stack = load(&with_authorizer(
        "{ name: authorize, identitySource: [route.request.querystring.token, route.request.header.X-User] }",
    ));
    let authorizer = stack.authorizer().expect("$connect has an authorizer");
    assert_eq!(authorizer.function, "authorize");
    assert_eq!(
        authorizer.identity_sources,
        [
            IdentitySource::QueryString("token".to_owned()),
            IdentitySource::Header("X-User".to_owned()),
        ]
    );
    assert_eq!((authorizer.at.line, authorizer.at.column), (13, 11));
    let reading = stack.reading();
    assert_eq!(
        reading["routes"][0]["authorizer"],
        serde_json::json!({
            "function": "authorize",
            "identitySource": ["route.request.querystring.token", "route.request.header.X-User"],
        })
    );
}

#[test]
fn serverless_reads_the_auth_header_by_default() {
    for form in [
        "authorize",
        "{ name: authorize }",
        "{ name: authorize, identitySource: null }",
    ] {
        let stack = load(&with_authorizer(form));
        let authorizer = stack.authorizer().expect("$connect has an authorizer");
        assert_eq!(
            authorizer.identity_sources,
            [IdentitySource::Header("Auth".to_owned())],
            "{form}"
        );
    }
}

#[test]
fn authorizers_serverless_or_api_gateway_refuse() {
    error(
        &with_authorizer("{ name: authorise }"),
        "serverless.yml:13:31",
        &[
            "`authorise`",
            "not under `functions:`",
            "onConnect, authorize",
        ],
    );
    error(
        &with_authorizer("{ name: authorize, identity: [route.request.header.Auth] }"),
        "serverless.yml:13:42",
        &["unknown key `identity`", "`identitySource`"],
    );
    error(
        &with_authorizer("{ name: authorize, identitySource: [method.request.header.Auth] }"),
        "serverless.yml:13:59",
        &["REST API's form", "`route.request.header.Auth`"],
    );
    error(
        &with_authorizer("{ name: authorize, identitySource: [route.request.cookie.a] }"),
        "serverless.yml:13:59",
        &["refuses on deploy", "route.request.querystring.<name>"],
    );
    error(
        &with_authorizer("{ name: authorize, identitySource: [] }"),
        "serverless.yml:13:58",
        &["empty `identitySource`", "at least one"],
    );
    error(
        &with_authorizer("{ name: authorize, identitySource: route.request.header.Auth }"),
        "serverless.yml:13:58",
        &["takes a list"],
    );
    error(
        &with_authorizer("{ arn: 'arn:aws:lambda:eu-west-1:123456789012:function:auth' }"),
        "serverless.yml:13:30",
        &["outside this service", "under `functions:`"],
    );
    error(
        &with_authorizer(""),
        "serverless.yml:13:11",
        &["empty", "open to anyone"],
    );
}

#[test]
fn only_connect_takes_an_authorizer() {
    let yml = with_functions(&[function(
        "onMessage",
        "      - websocket:\n          route: $default\n          authorizer: onMessage\n",
    )]);
    error(
        &yml,
        "serverless.yml:13:11",
        &["on the route `$default`", "`$connect` only", "move it"],
    );
}
