//! The websocket routes of the functions' `events`. Other event types (`http`,
//! `schedule`, ...) belong to other services and are skipped.

use super::Route;
use super::build::Reader;
use super::error::{StackError, StackErrorKind};
use super::yaml::{Key, Kind, Node};

/// The route keys API Gateway reserves; any other key starting with `$` is a typo.
const PREDEFINED: [&str; 3] = ["$connect", "$disconnect", "$default"];

/// The keys Serverless accepts in the long form of a websocket event.
const LONG_FORM_KEYS: [&str; 3] = ["route", "routeResponseSelectionExpression", "authorizer"];

pub(super) fn routes(r: &Reader<'_>, functions: &[(Key, Node)]) -> Result<Vec<Route>, StackError> {
    let mut routes: Vec<Route> = Vec::new();
    for (key, body) in functions {
        let function = &key.name;
        let Some(events) = body
            .get("events")
            .filter(|events| events.kind != Kind::Null)
        else {
            continue;
        };
        let example = "`events: [{ websocket: $connect }]`";
        let Kind::Seq(events) = &events.kind else {
            return Err(r.wrong(
                events,
                &format!("functions.{function}.events"),
                "a list",
                example,
            ));
        };
        for event in events {
            let Some(entries) = event.entries() else {
                let field = format!("functions.{function}.events");
                let expected = "a list of mappings";
                return Err(r.wrong(event, &field, expected, "`- websocket: $connect`"));
            };
            for (kind, value) in entries.iter().filter(|(kind, _)| kind.name == "websocket") {
                let route = route(r, function, value, kind)?;
                if let Some(first) = routes.iter().find(|first| first.key == route.key) {
                    return Err(StackErrorKind::RouteTwice {
                        at: route.at,
                        route: route.key,
                        function: function.clone(),
                        first_at: first.at.clone(),
                        first_function: first.function.clone(),
                    }
                    .into());
                }
                routes.push(route);
            }
        }
    }
    Ok(routes)
}

/// One `websocket:` event, short (`websocket: $connect`) or long (`websocket: { route: X }`).
fn route(r: &Reader<'_>, function: &str, value: &Node, event: &Key) -> Result<Route, StackError> {
    let form = |node: &Node, problem: String| {
        StackErrorKind::RouteForm {
            at: r.at(node.pos),
            function: function.to_owned(),
            problem,
        }
        .into()
    };
    let (key_node, two_way) = match &value.kind {
        Kind::Map(entries) => {
            if let Some((unknown, _)) = entries
                .iter()
                .find(|(key, _)| !LONG_FORM_KEYS.contains(&key.name.as_str()))
            {
                let problem = format!(
                    "has the unknown key `{}` (it takes `route`, `routeResponseSelectionExpression` \
                     and `authorizer`)",
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
                return Err(form(value, "is a mapping without `route`".to_owned()));
            };
            (key_node, two_way(r, value, key_node)?)
        }
        _ => (value, false),
    };
    let at = r.at(if key_node.kind == Kind::Null {
        event.pos
    } else {
        key_node.pos
    });
    let key = match &key_node.kind {
        Kind::Str(key) if key.is_empty() => {
            return Err(StackErrorKind::RouteEmpty {
                at,
                function: function.to_owned(),
            }
            .into());
        }
        Kind::Str(key) => key.clone(),
        Kind::Null => {
            return Err(StackErrorKind::RouteMissing {
                at,
                function: function.to_owned(),
            }
            .into());
        }
        Kind::Number(number) => {
            let problem = format!(
                "has the number {number} as its route; quote it (`'{number}'`) if that is the route key"
            );
            return Err(form(key_node, problem));
        }
        other => {
            return Err(form(
                key_node,
                format!("has {other} where the route key belongs"),
            ));
        }
    };
    if key.starts_with('$') && !PREDEFINED.contains(&key.as_str()) {
        return Err(StackErrorKind::RouteReserved {
            at,
            function: function.to_owned(),
            route: key,
        }
        .into());
    }
    Ok(Route {
        key,
        function: function.to_owned(),
        two_way,
        at,
    })
}

/// `routeResponseSelectionExpression: $default` makes the route two-way; API Gateway
/// accepts no other value.
fn two_way(r: &Reader<'_>, long_form: &Node, key_node: &Node) -> Result<bool, StackError> {
    let Some(expression) = long_form.get("routeResponseSelectionExpression") else {
        return Ok(false);
    };
    match &expression.kind {
        Kind::Null => Ok(false),
        Kind::Str(text) if text == "$default" => Ok(true),
        other => Err(StackErrorKind::ResponseSelection {
            at: r.at(expression.pos),
            route: key_node.as_text().unwrap_or_default(),
            found: other.to_string(),
        }
        .into()),
    }
}
