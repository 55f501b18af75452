//! A `KeyConditionExpression` checked against the key schema it queries:
//! `=` on the partition key, and optionally one condition on the sort key
//! (`=`, `<`, `<=`, `>`, `>=`, `BETWEEN`, `begins_with`), joined by `AND`.

use serde_json::Value;

use super::{Comparator, Condition, Operand, Path};
use crate::emulator::dynamodb::error::DynamoError;
use crate::emulator::dynamodb::key::Key;
use crate::emulator::dynamodb::value::{Scalar, ScalarKind};
use crate::stack::{KeyAttribute, KeySchema};

const PARAMETER: &str = "KeyConditionExpression";

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct KeyCondition {
    pub(crate) partition: Scalar,
    pub(crate) sort: Option<KeyTerm<Scalar>>,
}

/// What one `attribute op value` term asks of its attribute.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum KeyTerm<T> {
    Compare(Comparator, T),
    Between(T, T),
    BeginsWith(T),
}

impl KeyCondition {
    pub(crate) fn matches(&self, key: &Key) -> bool {
        if key.partition != self.partition {
            return false;
        }
        let (Some(condition), Some(sort)) = (&self.sort, &key.sort) else {
            return true;
        };
        match condition {
            KeyTerm::Compare(comparator, value) => {
                let order = sort.cmp(value);
                match comparator {
                    Comparator::Eq => order.is_eq(),
                    Comparator::Lt => order.is_lt(),
                    Comparator::Le => order.is_le(),
                    Comparator::Gt => order.is_gt(),
                    Comparator::Ge => order.is_ge(),
                    Comparator::Ne => order.is_ne(),
                }
            }
            KeyTerm::Between(low, high) => low <= sort && sort <= high,
            KeyTerm::BeginsWith(prefix) => sort.begins_with(prefix),
        }
    }
}

pub(crate) fn key_condition(
    condition: Condition,
    schema: &KeySchema,
) -> Result<KeyCondition, DynamoError> {
    let mut terms = Vec::new();
    flatten(condition, &mut terms)?;
    let mut partition = None;
    let mut sort = None;
    for term in terms {
        let (name, term) = split(term)?;
        let (slot, attribute) = if name == schema.partition.name {
            (&mut partition, &schema.partition)
        } else if let Some(key) = schema.sort.as_ref().filter(|sort| sort.name == name) {
            (&mut sort, key)
        } else {
            return Err(DynamoError::validation(format!(
                "Query key condition not supported: `{name}` is not a key attribute here; a \
                 KeyConditionExpression names the partition key and at most the sort key, and \
                 the key is {} (a FilterExpression takes other attributes)",
                schema.describe()
            )));
        };
        if slot.is_some() {
            return Err(DynamoError::validation(
                "KeyConditionExpressions must only contain one condition per key",
            ));
        }
        *slot = Some(typed_term(term, attribute)?);
    }
    let partition = match partition {
        Some(KeyTerm::Compare(Comparator::Eq, value)) => value,
        Some(_) => {
            return Err(DynamoError::validation(format!(
                "Query key condition not supported: the partition key {} takes only `=`",
                schema.partition.name
            )));
        }
        None => {
            return Err(DynamoError::validation(format!(
                "Query condition missed key schema element: {}",
                schema.partition.name
            )));
        }
    };
    Ok(KeyCondition { partition, sort })
}

fn flatten(condition: Condition, terms: &mut Vec<Condition>) -> Result<(), DynamoError> {
    match condition {
        Condition::And(left, right) => {
            flatten(*left, terms)?;
            flatten(*right, terms)
        }
        Condition::Or(..) => Err(invalid_operator("OR")),
        Condition::Not(..) => Err(invalid_operator("NOT")),
        Condition::Contains(..) => Err(invalid_operator("contains")),
        Condition::Exists(..) => Err(invalid_operator("attribute_exists")),
        Condition::NotExists(..) => Err(invalid_operator("attribute_not_exists")),
        Condition::In(..) => Err(invalid_operator("IN")),
        Condition::AttributeType(..) => Err(invalid_operator("attribute_type")),
        term => {
            terms.push(term);
            Ok(())
        }
    }
}

/// The attribute a term is about, and what it asks of it.
fn split(term: Condition) -> Result<(String, KeyTerm<Value>), DynamoError> {
    let name = |path: Path| {
        if path.is_top_level() {
            Ok(path.top().to_owned())
        } else {
            Err(DynamoError::validation(format!(
                "Invalid {PARAMETER}: a key condition names key attributes, which are top-level; \
                 found the document path {path}"
            )))
        }
    };
    match term {
        Condition::Compare(Operand::Path(_), Comparator::Ne, _)
        | Condition::Compare(_, Comparator::Ne, Operand::Path(_)) => Err(invalid_operator("<>")),
        Condition::Compare(Operand::Path(path), comparator, Operand::Value(value)) => {
            Ok((name(path)?, KeyTerm::Compare(comparator, value)))
        }
        Condition::Compare(Operand::Value(value), comparator, Operand::Path(path)) => {
            Ok((name(path)?, KeyTerm::Compare(comparator.flipped(), value)))
        }
        Condition::Between(Operand::Path(path), Operand::Value(low), Operand::Value(high)) => {
            Ok((name(path)?, KeyTerm::Between(low, high)))
        }
        Condition::BeginsWith(Operand::Path(path), Operand::Value(prefix)) => {
            Ok((name(path)?, KeyTerm::BeginsWith(prefix)))
        }
        _ => Err(DynamoError::validation(format!(
            "Invalid {PARAMETER}: each condition compares one key attribute with a `:value`, \
             e.g. `ChatId = :chatId AND begins_with(ConnectionId, :prefix)`"
        ))),
    }
}

fn typed_term(
    term: KeyTerm<Value>,
    attribute: &KeyAttribute,
) -> Result<KeyTerm<Scalar>, DynamoError> {
    Ok(match term {
        KeyTerm::Compare(comparator, value) => {
            KeyTerm::Compare(comparator, typed(attribute, &value)?)
        }
        KeyTerm::Between(low, high) => {
            let (low, high) = (typed(attribute, &low)?, typed(attribute, &high)?);
            if low > high {
                return Err(DynamoError::validation(format!(
                    "Invalid {PARAMETER}: The BETWEEN operator requires upper bound to be \
                     greater than or equal to lower bound"
                )));
            }
            KeyTerm::Between(low, high)
        }
        KeyTerm::BeginsWith(prefix) => {
            if attribute.kind == ScalarKind::N {
                return Err(DynamoError::validation(format!(
                    "Invalid {PARAMETER}: Incorrect operand type for operator or function; \
                     operator or function: begins_with, operand type: N"
                )));
            }
            KeyTerm::BeginsWith(typed(attribute, &prefix)?)
        }
    })
}

fn typed(attribute: &KeyAttribute, value: &Value) -> Result<Scalar, DynamoError> {
    Scalar::of(value)
        .filter(|scalar| scalar.kind() == attribute.kind)
        .ok_or_else(|| {
            DynamoError::validation(format!(
                "One or more parameter values were invalid: Condition parameter type does not \
                 match schema type (`{}` is {})",
                attribute.name, attribute.kind
            ))
        })
}

fn invalid_operator(operator: &str) -> DynamoError {
    DynamoError::validation(format!("Invalid operator used in {PARAMETER}: {operator}"))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::{Placeholders, condition};
    use super::*;

    fn schema() -> KeySchema {
        KeySchema {
            partition: KeyAttribute {
                name: "ChatId".to_owned(),
                kind: ScalarKind::S,
            },
            sort: Some(KeyAttribute {
                name: "Seq".to_owned(),
                kind: ScalarKind::N,
            }),
        }
    }

    fn parse(text: &str) -> Result<KeyCondition, DynamoError> {
        let values = json!({
            ":c": {"S": "room"}, ":a": {"N": "2"}, ":b": {"N": "10"}, ":s": {"S": "x"}
        });
        let values = values.as_object().cloned().expect("an object");
        let mut placeholders = Placeholders::new(None, Some(&values))?;
        key_condition(condition(PARAMETER, text, &mut placeholders)?, &schema())
    }

    fn key(seq: &str) -> Key {
        Key {
            partition: Scalar::S("room".to_owned()),
            sort: Some(Scalar::of(&json!({"N": seq})).expect("a number")),
        }
    }

    #[test]
    fn sort_conditions_select_by_value() {
        let cases = [
            ("ChatId = :c", vec!["1", "2", "10"]),
            ("ChatId = :c AND Seq = :a", vec!["2"]),
            ("ChatId = :c AND Seq < :b", vec!["1", "2"]),
            ("ChatId = :c AND Seq <= :b", vec!["1", "2", "10"]),
            ("ChatId = :c AND Seq > :a", vec!["10"]),
            ("Seq >= :a AND ChatId = :c", vec!["2", "10"]),
            ("ChatId = :c AND Seq BETWEEN :a AND :b", vec!["2", "10"]),
            ("(ChatId = :c) AND (:a > Seq)", vec!["1"]),
        ];
        for (text, expected) in cases {
            let condition = parse(text).expect(text);
            let selected: Vec<&str> = ["1", "2", "10"]
                .into_iter()
                .filter(|seq| condition.matches(&key(seq)))
                .collect();
            assert_eq!(selected, expected, "{text}");
        }
        let other_chat = Key {
            partition: Scalar::S("other".to_owned()),
            sort: None,
        };
        assert!(!parse("ChatId = :c").expect("valid").matches(&other_chat));
    }

    #[test]
    fn errors_are_dynamodbs() {
        let cases = [
            (
                "Seq = :a",
                "Query condition missed key schema element: ChatId",
            ),
            (
                "ChatId < :c",
                "Query key condition not supported: the partition key",
            ),
            (
                "ChatId = :c OR Seq = :a",
                "Invalid operator used in KeyConditionExpression: OR",
            ),
            (
                "ChatId = :c AND Seq <> :a",
                "Invalid operator used in KeyConditionExpression: <>",
            ),
            (
                "ChatId = :c AND ChatId = :c",
                "only contain one condition per key",
            ),
            (
                "ChatId = :c AND Nickname = :a",
                "Query key condition not supported: `Nickname`",
            ),
            (
                "ChatId = :a",
                "Condition parameter type does not match schema type",
            ),
            ("ChatId = :c AND begins_with(Seq, :a)", "operand type: N"),
            (
                "ChatId = :c AND Seq BETWEEN :b AND :a",
                "requires upper bound",
            ),
        ];
        for (text, expected) in cases {
            let error = parse(text).expect_err(text);
            assert!(
                error.message.contains(expected),
                "{text}: {}",
                error.message
            );
        }
    }
}
