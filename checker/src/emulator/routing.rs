//! Route selection: evaluates the API's route selection expression against a
//! message body, as API Gateway does.

use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
enum SelectionPart {
    Literal(String),
    /// `request.body.a.b` as the path `["a", "b"]`.
    BodyPath(Vec<String>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RouteSelection {
    parts: Vec<SelectionPart>,
}

impl RouteSelection {
    /// Accepts `$request.body.<path>`, templates such as
    /// `${request.body.a}/${request.body.b}`, and static values.
    pub(crate) fn parse(expression: &str) -> Self {
        if let Some(path) = expression.strip_prefix("$request.body.") {
            return Self {
                parts: vec![body_path(path)],
            };
        }
        let mut parts = Vec::new();
        let mut rest = expression;
        while let Some(start) = rest.find("${") {
            let Some(length) = rest[start..].find('}') else {
                break;
            };
            if start > 0 {
                parts.push(SelectionPart::Literal(rest[..start].to_owned()));
            }
            let inner = &rest[start + 2..start + length];
            parts.push(match inner.strip_prefix("request.body.") {
                Some(path) => body_path(path),
                None => SelectionPart::Literal(String::new()),
            });
            rest = &rest[start + length + 1..];
        }
        if !rest.is_empty() {
            parts.push(SelectionPart::Literal(rest.to_owned()));
        }
        Self { parts }
    }

    /// The route key a message selects. A body that is not JSON, or has no
    /// value at the path, gives `""`, which only `$default` catches.
    pub(crate) fn evaluate(&self, body: &str) -> String {
        let json: Option<Value> = serde_json::from_str(body).ok();
        self.parts
            .iter()
            .map(|part| match part {
                SelectionPart::Literal(text) => text.clone(),
                SelectionPart::BodyPath(path) => json
                    .as_ref()
                    .and_then(|json| lookup(json, path))
                    .map(stringify)
                    .unwrap_or_default(),
            })
            .collect()
    }
}

fn body_path(path: &str) -> SelectionPart {
    SelectionPart::BodyPath(path.split('.').map(str::to_owned).collect())
}

fn lookup<'a>(json: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter().try_fold(json, |value, key| value.get(key))
}

fn stringify(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selects_by_body_path() {
        let selection = RouteSelection::parse("$request.body.action");
        assert_eq!(selection.evaluate(r#"{"action":"join"}"#), "join");
        assert_eq!(selection.evaluate(r#"{"action":5}"#), "5");
        assert_eq!(selection.evaluate(r#"{"action":true}"#), "true");
        assert_eq!(selection.evaluate(r#"{"other":"x"}"#), "");
        assert_eq!(selection.evaluate("not json"), "");
        assert_eq!(selection.evaluate(r#""a string""#), "");
    }

    #[test]
    fn selects_by_nested_path() {
        let selection = RouteSelection::parse("$request.body.message.type");
        assert_eq!(selection.evaluate(r#"{"message":{"type":"chat"}}"#), "chat");
    }

    #[test]
    fn templates_join_values_and_literals() {
        let selection = RouteSelection::parse("${request.body.service}/${request.body.action}");
        assert_eq!(
            selection.evaluate(r#"{"service":"chat","action":"join"}"#),
            "chat/join"
        );
        assert_eq!(selection.evaluate("x"), "/");
    }

    #[test]
    fn static_values_select_one_route() {
        assert_eq!(RouteSelection::parse("always").evaluate("{}"), "always");
    }
}
