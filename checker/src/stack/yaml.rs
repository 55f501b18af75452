//! A YAML tree that keeps the line and column of every node and key, so that
//! errors found after parsing (a route bound twice) can still point at the file.

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{MessageFormatter, Spanned, Tagged, UserMessageFormatter};

/// 1-based line and column in the source file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Pos {
    pub(crate) line: u64,
    pub(crate) column: u64,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Node {
    pub(crate) pos: Pos,
    pub(crate) kind: Kind,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Kind {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    Str(String),
    Seq(Vec<Node>),
    /// In file order; duplicate keys are rejected by the parser.
    Map(Vec<(MapKey, Node)>),
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct MapKey {
    pub(crate) name: String,
    pub(crate) pos: Pos,
}

/// Malformed YAML, with serde-saphyr's location and its user-facing wording.
#[derive(Debug)]
pub(crate) struct YamlError {
    pub(crate) pos: Pos,
    pub(crate) message: String,
}

/// Scalars are read as Serverless v3 reads them (js-yaml 4, YAML 1.2 core schema): only
/// `true`/`false` (and their `True`, `TRUE` spellings) are booleans, so `on`, `yes`, `y`,
/// `off` and `no` stay text, as does `1_000`.
pub(crate) fn parse(text: &str) -> Result<Node, YamlError> {
    let options = serde_saphyr::options! {
        strict_booleans: true,
        underscored_numbers_as_strings: true,
    };
    match serde_saphyr::from_str_with_options::<RawNode>(text, options) {
        Ok(raw) => Ok(convert(raw)),
        Err(error) => {
            let pos = error
                .location()
                .map_or(Pos { line: 1, column: 1 }, |at| Pos {
                    line: at.line().max(1),
                    column: at.column().max(1),
                });
            let message = UserMessageFormatter.format_message(error.without_snippet());
            // The message lands in a terminal: no control characters.
            let message = message
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c });
            Err(YamlError {
                pos,
                message: message.collect(),
            })
        }
    }
}

impl Node {
    pub(crate) fn new(pos: Pos, kind: Kind) -> Node {
        Node { pos, kind }
    }

    pub(crate) fn get(&self, name: &str) -> Option<&Node> {
        self.entries()?
            .iter()
            .find(|(key, _)| key.name == name)
            .map(|(_, node)| node)
    }

    pub(crate) fn entries(&self) -> Option<&[(MapKey, Node)]> {
        match &self.kind {
            Kind::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// The child named by one segment of a dotted path (`custom.tables.0`).
    pub(crate) fn child(&self, segment: &str) -> Option<&Node> {
        match &self.kind {
            Kind::Map(_) => self.get(segment),
            Kind::Seq(items) => segment.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => None,
        }
    }

    /// The value as text when it is a scalar that reads naturally as one.
    pub(crate) fn as_text(&self) -> Option<String> {
        match &self.kind {
            Kind::Str(text) => Some(text.clone()),
            Kind::Number(number) => Some(number.to_string()),
            Kind::Bool(flag) => Some(flag.to_string()),
            Kind::Null | Kind::Seq(_) | Kind::Map(_) => None,
        }
    }

    /// Moves the node and everything inside it to `pos`: values read from another
    /// file are reported where that file is referenced.
    pub(crate) fn restamp(&mut self, pos: Pos) {
        self.pos = pos;
        match &mut self.kind {
            Kind::Seq(items) => items.iter_mut().for_each(|item| item.restamp(pos)),
            Kind::Map(entries) => entries.iter_mut().for_each(|(key, node)| {
                key.pos = pos;
                node.restamp(pos);
            }),
            _ => {}
        }
    }

    pub(crate) fn from_json(value: serde_json::Value, pos: Pos) -> Node {
        use serde_json::Value;
        let kind = match value {
            Value::Null => Kind::Null,
            Value::Bool(flag) => Kind::Bool(flag),
            Value::Number(number) => Kind::Number(number),
            Value::String(text) => Kind::Str(text),
            Value::Array(items) => Kind::Seq(
                items
                    .into_iter()
                    .map(|item| Node::from_json(item, pos))
                    .collect(),
            ),
            Value::Object(entries) => Kind::Map(
                entries
                    .into_iter()
                    .map(|(name, node)| (MapKey { name, pos }, Node::from_json(node, pos)))
                    .collect(),
            ),
        };
        Node { pos, kind }
    }

    #[cfg(test)]
    pub(crate) fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match &self.kind {
            Kind::Null => Value::Null,
            Kind::Bool(flag) => Value::Bool(*flag),
            Kind::Number(number) => Value::Number(number.clone()),
            Kind::Str(text) => Value::String(text.clone()),
            Kind::Seq(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            Kind::Map(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(key, node)| (key.name.clone(), node.to_json()))
                    .collect(),
            ),
        }
    }
}

/// Says what a value is, for "must be X, but it is Y" messages.
impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Kind::Null => f.write_str("empty"),
            Kind::Bool(flag) => write!(f, "`{flag}`"),
            Kind::Number(number) => write!(f, "the number {number}"),
            Kind::Str(text) => write!(f, "the text `{text}`"),
            Kind::Seq(_) => f.write_str("a list"),
            Kind::Map(_) => f.write_str("a mapping"),
        }
    }
}

/// What serde-saphyr hands us: every node wrapped with its span and tag.
type RawNode = Spanned<Tagged<Raw>>;

enum Raw {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    Str(String),
    Seq(Vec<RawNode>),
    Map(Vec<(Spanned<String>, RawNode)>),
}

fn pos_of(location: &serde_saphyr::Location) -> Pos {
    Pos {
        line: location.line(),
        column: location.column(),
    }
}

fn convert(raw: RawNode) -> Node {
    // `referenced` is where an alias is used, which is where a learner looks.
    let pos = pos_of(&raw.referenced);
    let Tagged(value, tag) = raw.value;
    let kind = match value {
        Raw::Null => Kind::Null,
        Raw::Bool(flag) => Kind::Bool(flag),
        Raw::Number(number) => Kind::Number(number),
        Raw::Str(text) => Kind::Str(text),
        Raw::Seq(items) => Kind::Seq(items.into_iter().map(convert).collect()),
        Raw::Map(entries) => Kind::Map(
            entries
                .into_iter()
                .map(|(key, node)| {
                    let key = MapKey {
                        pos: pos_of(&key.referenced),
                        name: key.value,
                    };
                    (key, convert(node))
                })
                .collect(),
        ),
    };
    let node = Node { pos, kind };
    match tag.as_deref().and_then(intrinsic) {
        Some(name) => cloudformation_long_form(name, node),
        None => node,
    }
}

/// The long-form key of a CloudFormation short-form tag (`!Ref`, `!GetAtt`, `!Sub`);
/// YAML's own tags (`!!str`, `tag:yaml.org,2002:str`) are not intrinsics.
fn intrinsic(tag: &str) -> Option<String> {
    let name = tag.strip_prefix('!')?;
    if name.is_empty() || name.starts_with('!') {
        return None;
    }
    Some(match name {
        "Ref" | "Condition" => name.to_owned(),
        _ => format!("Fn::{name}"),
    })
}

/// `!GetAtt Table.Arn` becomes `{ "Fn::GetAtt": ["Table", "Arn"] }`, as Serverless does.
fn cloudformation_long_form(name: String, mut node: Node) -> Node {
    let pos = node.pos;
    if name == "Fn::GetAtt"
        && let Kind::Str(text) = &node.kind
        && let Some((resource, attribute)) = text.split_once('.')
    {
        let part = |text: &str| Node::new(pos, Kind::Str(text.to_owned()));
        node = Node::new(pos, Kind::Seq(vec![part(resource), part(attribute)]));
    }
    Node::new(pos, Kind::Map(vec![(MapKey { name, pos }, node)]))
}

impl<'de> Deserialize<'de> for Raw {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Raw, D::Error> {
        deserializer.deserialize_any(RawVisitor)
    }
}

struct RawVisitor;

impl<'de> Visitor<'de> for RawVisitor {
    type Value = Raw;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_unit<E>(self) -> Result<Raw, E> {
        Ok(Raw::Null)
    }

    fn visit_none<E>(self) -> Result<Raw, E> {
        Ok(Raw::Null)
    }

    fn visit_bool<E>(self, v: bool) -> Result<Raw, E> {
        Ok(Raw::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Raw, E> {
        Ok(Raw::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Raw, E> {
        Ok(Raw::Number(v.into()))
    }

    fn visit_i128<E>(self, v: i128) -> Result<Raw, E> {
        Ok(Raw::Str(v.to_string()))
    }

    fn visit_u128<E>(self, v: u128) -> Result<Raw, E> {
        Ok(Raw::Str(v.to_string()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Raw, E> {
        // JavaScript has one number type: Serverless reads `1.0` and `0755` as 1 and 755.
        const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
        if v.fract() == 0.0 && v.abs() <= EXACT {
            return Ok(Raw::Number((v as i64).into()));
        }
        Ok(serde_json::Number::from_f64(v).map_or_else(|| Raw::Str(v.to_string()), Raw::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Raw, E> {
        Ok(Raw::Str(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Raw, E> {
        Ok(Raw::Str(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Raw, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Raw::Seq(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Raw, A::Error> {
        let mut entries = Vec::new();
        while let Some(entry) = map.next_entry()? {
            entries.push(entry);
        }
        Ok(Raw::Map(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(node: &Node) -> (u64, u64) {
        (node.pos.line, node.pos.column)
    }

    #[test]
    fn keeps_positions_types_and_order() {
        let node = parse("b: 5\na:\n  - x\n  - '7'\nc: 1.5\nd: true\ne:\n").unwrap();
        let keys: Vec<_> = node
            .entries()
            .unwrap()
            .iter()
            .map(|(k, _)| k.name.as_str())
            .collect();
        assert_eq!(keys, ["b", "a", "c", "d", "e"]);
        assert_eq!(node.get("b").unwrap().kind, Kind::Number(5.into()));
        assert_eq!(at(node.get("b").unwrap()), (1, 4));
        let second = node.get("a").unwrap().child("1").unwrap();
        assert_eq!(second.kind, Kind::Str("7".into()));
        assert_eq!(at(second), (4, 5));
        assert_eq!(node.get("c").unwrap().to_json(), serde_json::json!(1.5));
        assert_eq!(node.get("d").unwrap().kind, Kind::Bool(true));
        assert_eq!(node.get("e").unwrap().kind, Kind::Null);
    }

    #[test]
    fn reads_scalars_as_serverless_js_yaml_does() {
        let node = parse(
            "a: on\nb: yes\nc: y\nd: off\ne: no\nf: True\ng: FALSE\nh: 1_000\ni: 0x1F\nj: 0755\n\
             k: 1.0\nl: 2.5\n",
        )
        .unwrap();
        let json = node.to_json();
        assert_eq!(
            json,
            serde_json::json!({
                "a": "on", "b": "yes", "c": "y", "d": "off", "e": "no",
                "f": true, "g": false, "h": "1_000", "i": 31, "j": 755, "k": 1, "l": 2.5,
            })
        );
    }

    #[test]
    fn expands_cloudformation_short_forms() {
        let node =
            parse("a: !Ref Table\nb: !GetAtt Table.Arn\nc: !Sub '${AWS::Region}'\nd: !!str 5\n")
                .unwrap();
        assert_eq!(
            node.get("a").unwrap().to_json(),
            serde_json::json!({"Ref": "Table"})
        );
        assert_eq!(
            node.get("b").unwrap().to_json(),
            serde_json::json!({"Fn::GetAtt": ["Table", "Arn"]})
        );
        assert_eq!(
            node.get("c").unwrap().to_json(),
            serde_json::json!({"Fn::Sub": "${AWS::Region}"})
        );
        assert_eq!(node.get("d").unwrap().kind, Kind::Str("5".into()));
    }

    #[test]
    fn reports_malformed_yaml_with_a_location() {
        let error = parse("a: 1\na: 2\n").unwrap_err();
        assert_eq!(error.pos, Pos { line: 2, column: 1 });
        assert!(error.message.contains("duplicate"), "{}", error.message);
        let error = parse("a:\n  b: 1\n c: 2\n").unwrap_err();
        assert_eq!(error.pos, Pos { line: 3, column: 2 });
    }
}
