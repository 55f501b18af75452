//! Whether an item meets a condition, with DynamoDB's rules: a comparison
//! with a missing attribute or between two types is false (`<>` excepted).

use std::borrow::Cow;

use serde_json::{Value, json};

use super::{Comparator, Condition, Operand};
use crate::emulator::dynamodb::number::Number;
use crate::emulator::dynamodb::value::{Item, Scalar, contains, equal, tagged};

impl Condition {
    pub(crate) fn matches(&self, item: &Item) -> bool {
        match self {
            Condition::Compare(left, comparator, right) => compare(
                resolve(left, item).as_deref(),
                *comparator,
                resolve(right, item).as_deref(),
            ),
            Condition::Between(subject, low, high) => {
                let subject = resolve(subject, item);
                compare(
                    subject.as_deref(),
                    Comparator::Ge,
                    resolve(low, item).as_deref(),
                ) && compare(
                    subject.as_deref(),
                    Comparator::Le,
                    resolve(high, item).as_deref(),
                )
            }
            Condition::In(subject, list) => {
                let subject = resolve(subject, item);
                list.iter().any(|candidate| {
                    compare(
                        subject.as_deref(),
                        Comparator::Eq,
                        resolve(candidate, item).as_deref(),
                    )
                })
            }
            Condition::BeginsWith(subject, prefix) => {
                let scalar = |operand| resolve(operand, item).and_then(|value| Scalar::of(&value));
                match (scalar(subject), scalar(prefix)) {
                    (Some(subject), Some(prefix)) => subject.begins_with(&prefix),
                    _ => false,
                }
            }
            Condition::Contains(haystack, needle) => {
                match (resolve(haystack, item), resolve(needle, item)) {
                    (Some(haystack), Some(needle)) => contains(&haystack, &needle),
                    _ => false,
                }
            }
            Condition::Exists(path) => path.get(item).is_some(),
            Condition::NotExists(path) => path.get(item).is_none(),
            Condition::AttributeType(path, kind) => path
                .get(item)
                .and_then(tagged)
                .is_some_and(|(tag, _)| tag == kind),
            Condition::And(left, right) => left.matches(item) && right.matches(item),
            Condition::Or(left, right) => left.matches(item) || right.matches(item),
            Condition::Not(inner) => !inner.matches(item),
        }
    }
}

fn resolve<'v>(operand: &'v Operand, item: &'v Item) -> Option<Cow<'v, Value>> {
    match operand {
        Operand::Path(path) => path.get(item).map(Cow::Borrowed),
        Operand::Value(value) => Some(Cow::Borrowed(value)),
        Operand::Size(path) => size(path.get(item)?).map(Cow::Owned),
    }
}

/// `size()`: a string's length, a binary's bytes, a set's, list's or map's
/// members; nothing for the other types (a comparison with it is false).
fn size(value: &Value) -> Option<Value> {
    let count = match tagged(value)? {
        ("S", Value::String(text)) => text.chars().count(),
        ("B", _) => match Scalar::of(value)? {
            Scalar::B(bytes) => bytes.len(),
            _ => return None,
        },
        ("SS" | "NS" | "BS" | "L", Value::Array(members)) => members.len(),
        ("M", Value::Object(entries)) => entries.len(),
        _ => return None,
    };
    Some(json!({ "N": Number::count(count).to_text() }))
}

fn compare(left: Option<&Value>, comparator: Comparator, right: Option<&Value>) -> bool {
    let (Some(left), Some(right)) = (left, right) else {
        // A missing attribute equals nothing, so it differs from everything.
        return comparator == Comparator::Ne;
    };
    match comparator {
        Comparator::Eq => equal(left, right),
        Comparator::Ne => !equal(left, right),
        ordering => match (Scalar::of(left), Scalar::of(right)) {
            (Some(left), Some(right)) if left.kind() == right.kind() => {
                let order = left.cmp(&right);
                match ordering {
                    Comparator::Lt => order.is_lt(),
                    Comparator::Le => order.is_le(),
                    Comparator::Gt => order.is_gt(),
                    _ => order.is_ge(),
                }
            }
            _ => false,
        },
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::{Placeholders, condition};
    use super::*;

    fn matches(text: &str, item: Value) -> bool {
        let values = json!({
            ":s": {"S": "ab"}, ":n": {"N": "10"}, ":m": {"N": "2"}, ":three": {"N": "3"},
            ":list": {"S": "L"}
        })
        .as_object()
        .cloned()
        .expect("an object");
        let mut placeholders = Placeholders::new(None, Some(&values)).expect("valid");
        let condition =
            condition("FilterExpression", text, &mut placeholders).expect("a valid condition");
        condition.matches(item.as_object().expect("an item"))
    }

    #[test]
    fn comparisons_follow_types() {
        let item = json!({"s": {"S": "abc"}, "n": {"N": "9.5"}, "l": {"L": [{"S": "ab"}]}});
        assert!(matches("n < :n", item.clone()), "numbers compare by value");
        assert!(!matches("s < :n", item.clone()), "two types never compare");
        assert!(matches("s > :s", item.clone()));
        assert!(matches("n BETWEEN :m AND :n", item.clone()));
        assert!(matches("begins_with(s, :s)", item.clone()));
        assert!(matches("contains(l, :s)", item.clone()));
        assert!(matches("contains(s, :s)", item.clone()));
        assert!(!matches("absent = :s", item.clone()));
        assert!(matches("absent <> :s", item.clone()));
        assert!(matches(
            "attribute_not_exists(absent) AND attribute_exists(s)",
            item.clone()
        ));
        assert!(matches("NOT (n = :n) OR s = :s", item.clone()));
        assert!(matches("size(s) IN (:m, :three)", item.clone()));
        assert!(!matches("n IN (:m, :n, :s) OR s IN (:s)", item.clone()));
        assert!(matches("size(s) = :three AND size(l) < :m", item.clone()));
        assert!(matches(
            "attribute_type(l, :list) AND NOT attribute_type(s, :list)",
            item
        ));
    }

    #[test]
    fn nested_paths_are_read() {
        let item = json!({"p": {"M": {"tags": {"L": [{"S": "ab"}]}, "n": {"N": "10"}}}});
        assert!(matches("p.tags[0] = :s AND p.n = :n", item.clone()));
        assert!(matches(
            "attribute_exists(p.n) AND attribute_not_exists(p.tags[1])",
            item.clone()
        ));
        assert!(!matches("p.tags.x = :s", item));
    }
}
