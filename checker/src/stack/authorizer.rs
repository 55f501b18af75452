//! A route's Lambda authorizer, the long form's `authorizer:` as Serverless v3
//! reads it (`lib/plugins/aws/package/compile/events/websockets/lib/validate.js`)
//! and API Gateway deploys it: a REQUEST authorizer, a function of this
//! service that Serverless lets API Gateway invoke (`lambda:InvokeFunction`
//! for `apigateway.amazonaws.com`), on `$connect` only. What would fail on
//! deploy, or run differently there, stops the load at its place.

use std::fmt;

use super::error::{Location, StackError, StackErrorKind};
use super::reader::Reader;
use super::yaml::{Kind, MapKey, Node, Pos};

/// Serverless's identity source when `identitySource` is absent.
const DEFAULT_IDENTITY_SOURCE: &str = "route.request.header.Auth";

/// The keys Serverless accepts in the mapping form.
const KEYS: [&str; 3] = ["name", "arn", "identitySource"];

const EXAMPLE: &str =
    "`authorizer: { name: authorize, identitySource: [route.request.querystring.token] }`";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Authorizer {
    /// The function API Gateway invokes: its key under `functions:`.
    pub function: String,
    /// Where the request's identity is read. Each must be present and not
    /// empty, or the handshake gets 401 without the function running.
    pub identity_sources: Vec<IdentitySource>,
    /// Where `authorizer:` is written.
    pub at: Location,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IdentitySource {
    /// `route.request.header.<Name>`: a header of the handshake, in any case.
    Header(String),
    /// `route.request.querystring.<name>`: a query string parameter, case included.
    QueryString(String),
}

impl fmt::Display for IdentitySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IdentitySource::Header(name) => write!(f, "route.request.header.{name}"),
            IdentitySource::QueryString(name) => write!(f, "route.request.querystring.{name}"),
        }
    }
}

impl IdentitySource {
    /// How a learner reads it: "the header `Auth`", "the query string parameter `token`".
    pub fn describe(&self) -> String {
        match self {
            IdentitySource::Header(name) => format!("the header `{name}`"),
            IdentitySource::QueryString(name) => format!("the query string parameter `{name}`"),
        }
    }
}

/// What the authorizer of `function`'s route `route` is made of.
pub(super) struct Declared<'a> {
    pub(super) function: &'a str,
    pub(super) route: &'a str,
    /// Where the route key is written.
    pub(super) route_at: &'a Location,
    /// The `authorizer:` key and its value.
    pub(super) key: &'a MapKey,
    pub(super) node: &'a Node,
    /// Every function of the file, to find the authorizer's.
    pub(super) functions: &'a [(MapKey, Node)],
}

impl Declared<'_> {
    /// The load's refusal of this authorizer, at `pos`.
    fn refusal(&self, r: &Reader<'_>, pos: Pos, problem: String) -> StackError {
        StackErrorKind::Authorizer {
            at: r.at(pos),
            function: self.function.to_owned(),
            problem,
        }
        .into()
    }
}

/// Reads `authorizer:` of one route.
pub(super) fn authorizer(
    r: &Reader<'_>,
    declared: &Declared<'_>,
) -> Result<Authorizer, StackError> {
    let fail = |node: &Node, problem: String| declared.refusal(r, node.pos, problem);
    if declared.route != "$connect" {
        return Err(declared.refusal(
            r,
            declared.key.pos,
            format!(
                "is on the route `{}`, but API Gateway runs authorizers on `$connect` only and \
                 refuses any other route's on deploy (a connection is authorized once, when it \
                 opens, and its context reaches every later route): move it to the function \
                 bound to `$connect` (route at {})",
                declared.route, declared.route_at
            ),
        ));
    }
    let (name_node, identity) = written_form(r, declared)?;
    let function = function_name(r, declared, name_node)?;
    let identity_sources = match identity.filter(|node| node.kind != Kind::Null) {
        None => vec![IdentitySource::Header("Auth".to_owned())],
        Some(list) => identity_sources(list).map_err(|(at, problem)| fail(at, problem))?,
    };
    Ok(Authorizer {
        function,
        identity_sources,
        at: r.at(declared.key.pos),
    })
}

/// The function's name node and the `identitySource` node, if any, of the
/// two forms Serverless accepts: a name alone, or a mapping.
fn written_form<'n>(
    r: &Reader<'_>,
    declared: &Declared<'n>,
) -> Result<(&'n Node, Option<&'n Node>), StackError> {
    let fail = |node: &Node, problem: String| declared.refusal(r, node.pos, problem);
    let node = declared.node;
    let written = match &node.kind {
        Kind::Str(_) => (node, None),
        Kind::Map(entries) => {
            if let Some((unknown, _)) = entries
                .iter()
                .find(|(key, _)| !KEYS.contains(&key.name.as_str()))
            {
                return Err(declared.refusal(
                    r,
                    unknown.pos,
                    format!(
                        "has the unknown key `{}`, which Serverless ignores with only a warning; \
                         the authorizer takes `name` and `identitySource`: fix its spelling or \
                         remove it",
                        unknown.name
                    ),
                ));
            }
            if let Some(arn) = node.get("arn") {
                return Err(fail(arn, outside_function()));
            }
            let Some(name) = node.get("name") else {
                return Err(fail(
                    node,
                    format!("has no `name`; name the function that authorizes, e.g. {EXAMPLE}"),
                ));
            };
            (name, node.get("identitySource"))
        }
        Kind::Null => {
            return Err(declared.refusal(
                r,
                declared.key.pos,
                format!(
                    "is empty: Serverless would deploy the route without an authorizer, open to \
                     anyone; name the function that authorizes, e.g. {EXAMPLE}"
                ),
            ));
        }
        other => {
            return Err(fail(
                node,
                format!("is {other}; name the function that authorizes, e.g. {EXAMPLE}"),
            ));
        }
    };
    Ok(written)
}

fn outside_function() -> String {
    "names a function by its ARN, outside this service; the checker runs only the functions of \
     this serverless.yml: declare the authorizer under `functions:` and name it, e.g. \
     `authorizer: { name: authorize }`"
        .to_owned()
}

/// The authorizer's function: text naming a key of `functions:`.
fn function_name(
    r: &Reader<'_>,
    declared: &Declared<'_>,
    node: &Node,
) -> Result<String, StackError> {
    let refuse = |problem: String| declared.refusal(r, node.pos, problem);
    let Kind::Str(name) = &node.kind else {
        return Err(refuse(format!(
            "names its function with {}; write the function's key under `functions:`, e.g. {EXAMPLE}",
            node.kind
        )));
    };
    if name.contains(':') {
        return Err(refuse(outside_function()));
    }
    if declared.functions.iter().any(|(key, _)| key.name == *name) {
        return Ok(name.clone());
    }
    let known: Vec<&str> = declared
        .functions
        .iter()
        .map(|(key, _)| key.name.as_str())
        .collect();
    Err(refuse(format!(
        "names the function `{name}`, which is not under `functions:` (Serverless stops with \
         \"Function \\\"{name}\\\" doesn't exist in this Service\"); the functions are {}: \
         declare the authorizer there (a function with no events) or fix the name",
        known.join(", ")
    )))
}

/// `identitySource`: a list of `route.request.header.X` and
/// `route.request.querystring.X`, at least one.
fn identity_sources(list: &Node) -> Result<Vec<IdentitySource>, (&Node, String)> {
    let Kind::Seq(items) = &list.kind else {
        return Err((
            list,
            format!(
                "has an `identitySource` that is {}, where Serverless takes a list; write \
                 `identitySource: [{DEFAULT_IDENTITY_SOURCE}]`",
                list.kind
            ),
        ));
    };
    if items.is_empty() {
        // What API Gateway does with none is not documented for WebSocket
        // APIs; the stricter reading: refuse it (docs/deviations.md).
        return Err((
            list,
            format!(
                "has an empty `identitySource`; give at least one place the identity is read \
                 from, e.g. `identitySource: [route.request.querystring.token]` (absent, it is \
                 `[{DEFAULT_IDENTITY_SOURCE}]`)"
            ),
        ));
    }
    items.iter().map(identity_source).collect()
}

fn identity_source(item: &Node) -> Result<IdentitySource, (&Node, String)> {
    let Kind::Str(text) = &item.kind else {
        return Err((
            item,
            format!(
                "has an identity source that is {}; write e.g. `route.request.header.Auth`",
                item.kind
            ),
        ));
    };
    let named = |prefix: &str| {
        text.strip_prefix(prefix)
            .filter(|name| !name.is_empty() && !name.contains(char::is_whitespace))
            .map(str::to_owned)
    };
    if let Some(name) = named("route.request.header.") {
        return Ok(IdentitySource::Header(name));
    }
    if let Some(name) = named("route.request.querystring.") {
        return Ok(IdentitySource::QueryString(name));
    }
    let problem = if let Some(rest) = text.strip_prefix("method.request.") {
        format!(
            "has the identity source `{text}`, a REST API's form; a WebSocket API's reads \
             `route.request.{rest}`, and API Gateway refuses the other on deploy"
        )
    } else if text.starts_with("stageVariables.") || text.starts_with("context.") {
        format!(
            "has the identity source `{text}`, which API Gateway takes but the checker does not \
             emulate; read the identity from a header (`route.request.header.Auth`) or the query \
             string (`route.request.querystring.token`)"
        )
    } else {
        format!(
            "has the identity source `{text}`, which API Gateway refuses on deploy; write \
             `route.request.header.<Name>` or `route.request.querystring.<name>`"
        )
    };
    Err((item, problem))
}
