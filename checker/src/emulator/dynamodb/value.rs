//! Attribute values as the wire carries them (`{"S":"x"}`, `{"N":"5"}`,
//! `{"M":{…}}`…): checking their shape, the typed scalars keys are made of,
//! and DynamoDB's equality.

use std::collections::BTreeSet;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value};

use super::error::DynamoError;
use super::number::Number;

/// An item, a key or `ExpressionAttributeValues`: names to attribute values.
pub(crate) type Item = Map<String, Value>;

/// The one type tag of an attribute value and what it holds.
pub(crate) fn tagged(value: &Value) -> Option<(&str, &Value)> {
    match value.as_object() {
        Some(map) if map.len() == 1 => map.iter().next().map(|(tag, inner)| (tag.as_str(), inner)),
        _ => None,
    }
}

/// Checks that `value` is an attribute value DynamoDB would store.
pub(crate) fn check(value: &Value) -> Result<(), DynamoError> {
    let Some((tag, inner)) = tagged(value) else {
        return Err(DynamoError::validation(
            "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes",
        ));
    };
    let wrong = || DynamoError::serialization(format!("Unexpected value for type {tag}: {inner}"));
    match (tag, inner) {
        ("S", Value::String(_)) | ("BOOL", Value::Bool(_)) | ("NULL", Value::Bool(true)) => Ok(()),
        ("NULL", Value::Bool(false)) => Err(DynamoError::validation(
            "One or more parameter values were invalid: Null attribute value types must have the \
             value of true",
        )),
        ("N", Value::String(text)) => Number::parse(text).map(drop),
        ("B", Value::String(text)) => binary(text).map(drop),
        ("SS" | "NS" | "BS", Value::Array(members)) => check_set(tag, members),
        ("L", Value::Array(members)) => members.iter().try_for_each(check),
        ("M", Value::Object(entries)) => entries.values().try_for_each(check),
        ("S" | "N" | "B" | "BOOL" | "NULL" | "SS" | "NS" | "BS" | "L" | "M", _) => Err(wrong()),
        _ => Err(DynamoError::validation(format!(
            "Supplied AttributeValue has an unknown data type `{tag}`; the types are S, N, B, \
             BOOL, NULL, SS, NS, BS, L and M"
        ))),
    }
}

fn check_set(tag: &str, members: &[Value]) -> Result<(), DynamoError> {
    if members.is_empty() {
        return Err(DynamoError::validation(format!(
            "One or more parameter values were invalid: An {tag} set may not be empty"
        )));
    }
    let mut seen = BTreeSet::new();
    for member in members {
        let Value::String(text) = member else {
            return Err(DynamoError::serialization(format!(
                "Unexpected member of a {tag} set: {member}"
            )));
        };
        let scalar = match tag {
            "NS" => Scalar::N(Number::parse(text)?),
            "BS" => Scalar::B(binary(text)?),
            _ => Scalar::S(text.clone()),
        };
        if !seen.insert(scalar) {
            return Err(DynamoError::validation(format!(
                "Input collection {} contains duplicates.",
                Value::Array(members.to_vec())
            )));
        }
    }
    Ok(())
}

fn binary(text: &str) -> Result<Vec<u8>, DynamoError> {
    STANDARD
        .decode(text)
        .map_err(|_| DynamoError::serialization(format!("Base64 decoding failed for `{text}`")))
}

pub(crate) use crate::stack::ScalarKind;

/// A string, number or binary value, ordered as DynamoDB orders sort keys:
/// strings and binaries bytewise, numbers by value.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Scalar {
    S(String),
    N(Number),
    B(Vec<u8>),
}

impl Scalar {
    /// The scalar in a checked attribute value; `None` for the other types.
    pub(crate) fn of(value: &Value) -> Option<Scalar> {
        match tagged(value)? {
            ("S", Value::String(text)) => Some(Scalar::S(text.clone())),
            ("N", Value::String(text)) => Number::parse(text).ok().map(Scalar::N),
            ("B", Value::String(text)) => binary(text).ok().map(Scalar::B),
            _ => None,
        }
    }

    pub(crate) fn kind(&self) -> ScalarKind {
        match self {
            Scalar::S(_) => ScalarKind::S,
            Scalar::N(_) => ScalarKind::N,
            Scalar::B(_) => ScalarKind::B,
        }
    }

    /// `begins_with`: a string or binary prefix.
    pub(crate) fn begins_with(&self, prefix: &Scalar) -> bool {
        match (self, prefix) {
            (Scalar::S(text), Scalar::S(prefix)) => text.starts_with(prefix.as_str()),
            (Scalar::B(bytes), Scalar::B(prefix)) => bytes.starts_with(prefix),
            _ => false,
        }
    }
}

/// DynamoDB's `=`: same type and same value; numbers by value, sets in any order.
pub(crate) fn equal(left: &Value, right: &Value) -> bool {
    let (Some((tag, a)), Some((other, b))) = (tagged(left), tagged(right)) else {
        return false;
    };
    if tag != other {
        return false;
    }
    match (tag, a, b) {
        ("N" | "B", _, _) => Scalar::of(left) == Scalar::of(right),
        ("SS" | "NS" | "BS", Value::Array(a), Value::Array(b)) => {
            let members = |set: &[Value]| -> BTreeSet<Option<Scalar>> {
                set.iter()
                    .map(|member| Scalar::of(&set_member(tag, member)))
                    .collect()
            };
            members(a) == members(b)
        }
        ("L", Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(a, b)| equal(a, b))
        }
        ("M", Value::Object(a), Value::Object(b)) => {
            a.len() == b.len()
                && a.iter()
                    .all(|(name, value)| b.get(name).is_some_and(|other| equal(value, other)))
        }
        _ => a == b,
    }
}

/// `contains(path, operand)`: a substring, a set member or a list element.
pub(crate) fn contains(haystack: &Value, needle: &Value) -> bool {
    let Some((tag, inner)) = tagged(haystack) else {
        return false;
    };
    match (tag, inner) {
        ("S", _) | ("B", _) => match (Scalar::of(haystack), Scalar::of(needle)) {
            (Some(Scalar::S(text)), Some(Scalar::S(part))) => text.contains(part.as_str()),
            (Some(Scalar::B(bytes)), Some(Scalar::B(part))) => {
                part.is_empty() || bytes.windows(part.len()).any(|window| window == part)
            }
            _ => false,
        },
        ("SS" | "NS" | "BS", Value::Array(members)) => members
            .iter()
            .any(|member| equal(&set_member(tag, member), needle)),
        ("L", Value::Array(elements)) => elements.iter().any(|element| equal(element, needle)),
        _ => false,
    }
}

/// A member of an `SS`, `NS` or `BS` set as an attribute value of its own (`S`, `N`, `B`).
fn set_member(set_tag: &str, member: &Value) -> Value {
    let tag = set_tag.get(..1).unwrap_or(set_tag);
    Value::Object(Map::from_iter([(tag.to_owned(), member.clone())]))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn checks_shapes() {
        for good in [
            json!({"S": ""}),
            json!({"N": "-1.5"}),
            json!({"B": "AAE="}),
            json!({"BOOL": false}),
            json!({"NULL": true}),
            json!({"SS": ["a", "b"]}),
            json!({"L": [{"S": "a"}, {"M": {"x": {"N": "1"}}}]}),
        ] {
            assert_eq!(check(&good), Ok(()), "{good}");
        }
        for bad in [
            json!({}),
            json!({"S": "a", "N": "1"}),
            json!({"X": "a"}),
            json!({"S": 1}),
            json!({"N": "one"}),
            json!({"SS": []}),
            json!({"NS": ["1", "1.0"]}),
            json!({"M": {"x": {"N": "x"}}}),
        ] {
            assert!(check(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn equality_is_dynamodbs() {
        assert!(equal(&json!({"N": "5"}), &json!({"N": "5.0"})));
        assert!(!equal(&json!({"N": "5"}), &json!({"S": "5"})));
        assert!(equal(
            &json!({"SS": ["a", "b"]}),
            &json!({"SS": ["b", "a"]})
        ));
        assert!(equal(
            &json!({"M": {"a": {"N": "1"}}}),
            &json!({"M": {"a": {"N": "1.00"}}})
        ));
        assert!(contains(&json!({"S": "hello"}), &json!({"S": "ell"})));
        assert!(contains(&json!({"NS": ["1", "2"]}), &json!({"N": "2.0"})));
        assert!(contains(&json!({"L": [{"S": "x"}]}), &json!({"S": "x"})));
    }
}
