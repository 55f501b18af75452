//! Whether an item meets a condition, with DynamoDB's rules: a comparison
//! with a missing attribute or between two types is false (`<>` excepted).

use serde_json::Value;

use super::{Comparator, Condition, Operand};
use crate::emulator::dynamodb::value::{Item, Scalar, contains, equal};

impl Condition {
    pub(crate) fn matches(&self, item: &Item) -> bool {
        match self {
            Condition::Compare(left, comparator, right) => {
                compare(resolve(left, item), *comparator, resolve(right, item))
            }
            Condition::Between(subject, low, high) => {
                let subject = resolve(subject, item);
                compare(subject, Comparator::Ge, resolve(low, item))
                    && compare(subject, Comparator::Le, resolve(high, item))
            }
            Condition::BeginsWith(subject, prefix) => {
                let scalar = |operand| resolve(operand, item).and_then(Scalar::of);
                match (scalar(subject), scalar(prefix)) {
                    (Some(subject), Some(prefix)) => subject.begins_with(&prefix),
                    _ => false,
                }
            }
            Condition::Contains(haystack, needle) => {
                match (resolve(haystack, item), resolve(needle, item)) {
                    (Some(haystack), Some(needle)) => contains(haystack, needle),
                    _ => false,
                }
            }
            Condition::Exists(name) => item.contains_key(name),
            Condition::NotExists(name) => !item.contains_key(name),
            Condition::And(left, right) => left.matches(item) && right.matches(item),
            Condition::Or(left, right) => left.matches(item) || right.matches(item),
            Condition::Not(inner) => !inner.matches(item),
        }
    }
}

fn resolve<'v>(operand: &'v Operand, item: &'v Item) -> Option<&'v Value> {
    match operand {
        Operand::Path(name) => item.get(name),
        Operand::Value(value) => Some(value),
    }
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
        let values = json!({":s": {"S": "ab"}, ":n": {"N": "10"}, ":m": {"N": "2"}})
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
        assert!(!matches("missing = :s", item.clone()));
        assert!(matches("missing <> :s", item.clone()));
        assert!(matches(
            "attribute_not_exists(missing) AND attribute_exists(s)",
            item.clone()
        ));
        assert!(matches("NOT (n = :n) OR s = :s", item));
    }
}
