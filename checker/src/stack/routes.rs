//! The websocket routes: the `websocket` entries of each function's `events:`
//! list, as Serverless calls it. Other entries (`http`, `schedule`, ...)
//! belong to other services and are skipped.

use super::Route;
use super::authorizer::{self, Declared};
use super::error::{Location, StackError, StackErrorKind};
use super::naming;
use super::reader::Reader;
use super::yaml::{Kind, MapKey, Node};

/// The route keys API Gateway reserves; any other key starting with `$` is a typo.
const PREDEFINED: [&str; 3] = ["$connect", "$disconnect", "$default"];

/// The keys Serverless accepts in the long form of a websocket event.
const LONG_FORM_KEYS: [&str; 3] = ["route", "routeResponseSelectionExpression", "authorizer"];

pub(super) fn routes(
    r: &Reader<'_>,
    functions: &[(MapKey, Node)],
) -> Result<Vec<Route>, StackError> {
    let mut routes: Vec<Route> = Vec::new();
    for (key, body) in functions {
        let function = &key.name;
        let Some(listed) = body
            .get("events")
            .filter(|listed| listed.kind != Kind::Null)
        else {
            continue;
        };
        let example = "`events: [{ websocket: $connect }]`";
        let Kind::Seq(items) = &listed.kind else {
            return Err(r.wrong(
                listed,
                &format!("functions.{function}.events"),
                "a list",
                example,
            ));
        };
        for item in items {
            let Some(entries) = item.entries() else {
                let field = format!("functions.{function}.events");
                let expected = "a list of mappings";
                return Err(r.wrong(item, &field, expected, "`- websocket: $connect`"));
            };
            for (entry, value) in entries
                .iter()
                .filter(|(entry, _)| entry.name == "websocket")
            {
                let (route, logical_id) = route(r, function, value, entry, functions)?;
                check_unique(&routes, &route, &logical_id)?;
                routes.push(route);
            }
        }
    }
    Ok(routes)
}

/// A route key bound twice, or two keys that Serverless turns into one CloudFormation
/// route (`$default` and `Sdefault`): only one of them would be deployed.
fn check_unique(routes: &[Route], route: &Route, logical_id: &str) -> Result<(), StackError> {
    let same_id =
        |first: &&Route| naming::route_logical_id(&first.key).is_ok_and(|id| id == logical_id);
    let Some(first) = routes.iter().find(same_id) else {
        return Ok(());
    };
    Err(if first.key == route.key {
        StackErrorKind::RouteTwice {
            at: route.at.clone(),
            route: route.key.clone(),
            function: route.function.clone(),
            first_at: first.at.clone(),
            first_function: first.function.clone(),
        }
    } else {
        StackErrorKind::RouteLogicalIdClash {
            at: route.at.clone(),
            route: route.key.clone(),
            function: route.function.clone(),
            first_at: first.at.clone(),
            first_route: first.key.clone(),
            first_function: first.function.clone(),
            logical_id: logical_id.to_owned(),
        }
    }
    .into())
}

/// One `websocket:` entry, short (`websocket: $connect`) or long (`websocket: { route: X }`),
/// and the logical id of its CloudFormation route.
fn route(
    r: &Reader<'_>,
    function: &str,
    value: &Node,
    entry: &MapKey,
    functions: &[(MapKey, Node)],
) -> Result<(Route, String), StackError> {
    let (key_node, two_way) = match &value.kind {
        Kind::Map(entries) => long_form(r, function, value, entries)?,
        _ => (value, false),
    };
    let at = r.at(if key_node.kind == Kind::Null {
        entry.pos
    } else {
        key_node.pos
    });
    let key = route_key(r, function, key_node, &at)?;
    if key.starts_with('$') && !PREDEFINED.contains(&key.as_str()) {
        return Err(StackErrorKind::RouteReserved {
            at,
            function: function.to_owned(),
            route: key,
        }
        .into());
    }
    let logical_id = match naming::route_logical_id(&key) {
        Ok(logical_id) => logical_id,
        Err(character) => {
            return Err(StackErrorKind::RouteCharacter {
                at,
                route: key,
                function: function.to_owned(),
                character,
            }
            .into());
        }
    };
    let authorizer = match value
        .entries()
        .and_then(|entries| entries.iter().find(|(name, _)| name.name == "authorizer"))
    {
        Some((authorizer_key, node)) => Some(authorizer::authorizer(
            r,
            &Declared {
                function,
                route: &key,
                route_at: &at,
                key: authorizer_key,
                node,
                functions,
            },
        )?),
        None => None,
    };
    let route = Route {
        key,
        function: function.to_owned(),
        two_way,
        authorizer,
        at,
    };
    Ok((route, logical_id))
}

/// A route's problem with its form, at `node`.
fn form_error(r: &Reader<'_>, function: &str, node: &Node, problem: String) -> StackError {
    StackErrorKind::RouteForm {
        at: r.at(node.pos),
        function: function.to_owned(),
        problem,
    }
    .into()
}

/// The long form `{ route: X, routeResponseSelectionExpression: … }`: the
/// node of its route key, and whether the route is two-way.
fn long_form<'n>(
    r: &Reader<'_>,
    function: &str,
    value: &'n Node,
    entries: &[(MapKey, Node)],
) -> Result<(&'n Node, bool), StackError> {
    if let Some((unknown, _)) = entries
        .iter()
        .find(|(key, _)| !LONG_FORM_KEYS.contains(&key.name.as_str()))
    {
        // Serverless only warns and ignores the key: a misspelt
        // `routeResponseSelectionExpression` would silently make the route one-way.
        let problem = format!(
            "has the unknown key `{}`, which Serverless ignores with only a warning, so it \
             would have no effect (the long form takes `route`, \
             `routeResponseSelectionExpression` and `authorizer`): fix its spelling or \
             remove it",
            unknown.name
        );
        return Err(StackErrorKind::RouteForm {
            at: r.at(unknown.pos),
            function: function.to_owned(),
            problem,
        }
        .into());
    }
    let Some(key_node) = value.get("route") else {
        return Err(form_error(
            r,
            function,
            value,
            "is a mapping without `route`".to_owned(),
        ));
    };
    Ok((key_node, two_way(r, function, value, key_node)?))
}

/// The route key `key_node` holds: text that is not empty.
fn route_key(
    r: &Reader<'_>,
    function: &str,
    key_node: &Node,
    at: &Location,
) -> Result<String, StackError> {
    let problem = match &key_node.kind {
        Kind::Str(key) if key.is_empty() => {
            return Err(StackErrorKind::RouteEmpty {
                at: at.clone(),
                function: function.to_owned(),
            }
            .into());
        }
        Kind::Str(key) => return Ok(key.clone()),
        Kind::Null => {
            return Err(StackErrorKind::RouteMissing {
                at: at.clone(),
                function: function.to_owned(),
            }
            .into());
        }
        Kind::Number(number) => format!(
            "has the number {number} as its route; quote it (`'{number}'`) if that is the route key"
        ),
        Kind::Bool(flag) => format!(
            "has the boolean `{flag}` where the route key belongs (YAML reads an unquoted \
             true or false as a boolean, which Serverless does not deploy as a route); quote \
             it (`'{flag}'`) if that is the route key"
        ),
        other => format!("has {other} where the route key belongs"),
    };
    Err(form_error(r, function, key_node, problem))
}

/// `routeResponseSelectionExpression: $default` makes the route two-way; empty, like
/// absent, leaves it one-way (Serverless skips a falsy value). API Gateway supports
/// no other value.
fn two_way(
    r: &Reader<'_>,
    function: &str,
    long_form: &Node,
    key_node: &Node,
) -> Result<bool, StackError> {
    let Some(expression) = long_form.get("routeResponseSelectionExpression") else {
        return Ok(false);
    };
    match &expression.kind {
        Kind::Null => Ok(false),
        Kind::Str(text) if text.is_empty() => Ok(false),
        Kind::Str(text) if text == "$default" => Ok(true),
        other => Err(StackErrorKind::ResponseSelection {
            at: r.at(expression.pos),
            route: key_node.as_text().unwrap_or_default(),
            function: function.to_owned(),
            found: other.to_string(),
        }
        .into()),
    }
}
