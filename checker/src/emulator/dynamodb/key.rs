//! Keys: the typed (partition, sort) pairs items are stored and ordered by,
//! read out of items, `Key` parameters and starting keys with DynamoDB's checks.

use serde_json::Value;

use super::error::DynamoError;
use super::value::{Item, Scalar, ScalarKind, tagged};
use crate::stack::{KeyAttribute, KeySchema};

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Key {
    pub(crate) partition: Scalar,
    pub(crate) sort: Option<Scalar>,
}

impl KeySchema {
    /// The key of an item to put: each key attribute present, with its declared type.
    pub(crate) fn key_of_item(&self, item: &Item) -> Result<Key, DynamoError> {
        let scalar = |attribute: &KeyAttribute| match item.get(&attribute.name) {
            Some(value) => typed(attribute, value),
            None => Err(DynamoError::validation(format!(
                "One or more parameter values were invalid: Missing the key {} in the item",
                attribute.name
            ))),
        };
        Ok(Key {
            partition: scalar(&self.partition)?,
            sort: self.sort.as_ref().map(scalar).transpose()?,
        })
    }

    /// The key a `Key` parameter names: the key attributes and nothing else.
    pub(crate) fn key_of_key(&self, key: &Item) -> Result<Key, DynamoError> {
        let complete = self
            .attributes()
            .all(|attribute| key.contains_key(&attribute.name));
        if !complete || key.len() != self.attributes().count() {
            return Err(DynamoError::validation(format!(
                "The provided key element does not match the schema (the key is {})",
                self.describe()
            )));
        }
        self.key_of_item(key)
    }

    /// An item's key in an index; `None` when the item lacks one of the index's
    /// key attributes: DynamoDB leaves such items out of the index.
    pub(crate) fn key_in_index(&self, item: &Item) -> Option<Key> {
        let scalar = |attribute: &KeyAttribute| {
            let scalar = Scalar::of(item.get(&attribute.name)?)?;
            (scalar.kind() == attribute.kind).then_some(scalar)
        };
        Some(Key {
            partition: scalar(&self.partition)?,
            sort: match &self.sort {
                Some(sort) => Some(scalar(sort)?),
                None => None,
            },
        })
    }

    /// Copies the key attributes of `item` into `into`.
    pub(crate) fn copy_key(&self, item: &Item, into: &mut Item) {
        for attribute in self.attributes() {
            if let Some(value) = item.get(&attribute.name) {
                into.insert(attribute.name.clone(), value.clone());
            }
        }
    }

    /// `ChatId (S) and ConnectionId (S)`, for messages.
    pub(crate) fn describe(&self) -> String {
        self.attributes()
            .map(|attribute| format!("{} ({})", attribute.name, attribute.kind))
            .collect::<Vec<_>>()
            .join(" and ")
    }
}

impl crate::stack::Table {
    /// DynamoDB refuses an item whose index key attribute has another type
    /// than the index declares (an absent one only keeps it out of the index).
    pub(crate) fn check_index_keys(&self, item: &Item) -> Result<(), DynamoError> {
        for index in &self.indexes {
            for attribute in index.key.attributes() {
                let Some(value) = item.get(&attribute.name) else {
                    continue;
                };
                let empty = match Scalar::of(value) {
                    Some(Scalar::S(text)) => text.is_empty(),
                    Some(Scalar::B(bytes)) => bytes.is_empty(),
                    _ => false,
                };
                if empty && Scalar::of(value).map(|scalar| scalar.kind()) == Some(attribute.kind) {
                    return Err(DynamoError::validation(format!(
                        "One or more parameter values are not valid. A value specified for a \
                         secondary index key is not supported. The AttributeValue for a key \
                         attribute cannot contain an empty string value. IndexName: {}, \
                         IndexKey: {}",
                        index.name, attribute.name
                    )));
                }
                if Scalar::of(value).map(|scalar| scalar.kind()) != Some(attribute.kind) {
                    return Err(DynamoError::validation(format!(
                        "One or more parameter values were invalid: Type mismatch for Index Key \
                         {} Expected: {} Actual: {} IndexName: {}",
                        attribute.name,
                        attribute.kind,
                        type_name(value),
                        index.name
                    )));
                }
            }
        }
        Ok(())
    }
}

fn typed(attribute: &KeyAttribute, value: &Value) -> Result<Scalar, DynamoError> {
    let scalar = Scalar::of(value).filter(|scalar| scalar.kind() == attribute.kind);
    let Some(scalar) = scalar else {
        return Err(DynamoError::validation(format!(
            "One or more parameter values were invalid: Type mismatch for key {} expected: {} \
             actual: {}",
            attribute.name,
            attribute.kind,
            type_name(value)
        )));
    };
    let empty = match &scalar {
        Scalar::S(text) => text.is_empty(),
        Scalar::B(bytes) => bytes.is_empty(),
        Scalar::N(_) => false,
    };
    if empty {
        return Err(DynamoError::validation(format!(
            "One or more parameter values are not valid. The AttributeValue for a key attribute \
             cannot contain an empty {} value. Key: {}",
            if attribute.kind == ScalarKind::S {
                "string"
            } else {
                "binary"
            },
            attribute.name
        )));
    }
    Ok(scalar)
}

fn type_name(value: &Value) -> &str {
    tagged(value).map_or("?", |(tag, _)| tag)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn chat() -> KeySchema {
        let attribute = |name: &str| KeyAttribute {
            name: name.to_owned(),
            kind: ScalarKind::S,
        };
        KeySchema {
            partition: attribute("ChatId"),
            sort: Some(attribute("ConnectionId")),
        }
    }

    fn item(value: Value) -> Item {
        value.as_object().cloned().expect("an object")
    }

    #[test]
    fn keys_are_checked_as_dynamodb_does() {
        let schema = chat();
        let key = schema
            .key_of_item(&item(
                json!({"ChatId": {"S": "a"}, "ConnectionId": {"S": "b"}, "x": {"N": "1"}}),
            ))
            .expect("a key");
        assert_eq!(key.partition, Scalar::S("a".to_owned()));

        let mismatch = schema
            .key_of_item(&item(
                json!({"ChatId": {"N": "1"}, "ConnectionId": {"S": "b"}}),
            ))
            .expect_err("a number for a string key");
        assert_eq!(
            mismatch.message,
            "One or more parameter values were invalid: Type mismatch for key ChatId expected: S \
             actual: N"
        );
        let missing = schema
            .key_of_item(&item(json!({"ChatId": {"S": "a"}})))
            .expect_err("no sort key");
        assert!(
            missing
                .message
                .ends_with("Missing the key ConnectionId in the item")
        );

        let extra = schema
            .key_of_key(&item(
                json!({"ChatId": {"S": "a"}, "ConnectionId": {"S": "b"}, "x": {"S": "c"}}),
            ))
            .expect_err("not only the key");
        assert!(
            extra
                .message
                .starts_with("The provided key element does not match the schema")
        );

        let empty = schema
            .key_of_item(&item(
                json!({"ChatId": {"S": ""}, "ConnectionId": {"S": "b"}}),
            ))
            .expect_err("an empty key");
        assert!(
            empty.message.contains("empty string value. Key: ChatId"),
            "{}",
            empty.message
        );
    }

    #[test]
    fn an_empty_string_is_no_index_key() {
        use crate::stack::{Index, Location, Projection, Table};
        let key = |name: &str| KeySchema {
            partition: KeyAttribute {
                name: name.to_owned(),
                kind: ScalarKind::S,
            },
            sort: None,
        };
        let table = Table {
            logical_id: "Chats".to_owned(),
            declared_name: None,
            name: "Chats".to_owned(),
            key: key("ChatId"),
            attributes: Vec::new(),
            indexes: vec![Index {
                name: "ByParticipant".to_owned(),
                key: key("ParticipantId"),
                projection: Projection::All,
                local: false,
            }],
            billing_mode: "PAY_PER_REQUEST".to_owned(),
            at: Location {
                file: "serverless.yml".into(),
                line: 1,
                column: 1,
            },
        };
        let error = table
            .check_index_keys(&item(json!({"ParticipantId": {"S": ""}})))
            .expect_err("empty");
        assert!(
            error
                .message
                .contains("secondary index key is not supported"),
            "{}",
            error.message
        );
    }

    #[test]
    fn items_without_an_index_key_are_not_in_the_index() {
        let index = KeySchema {
            partition: KeyAttribute {
                name: "ConnectionId".to_owned(),
                kind: ScalarKind::S,
            },
            sort: None,
        };
        assert!(
            index
                .key_in_index(&item(json!({"ChatId": {"S": "a"}})))
                .is_none()
        );
        assert!(
            index
                .key_in_index(&item(json!({"ConnectionId": {"S": "a"}})))
                .is_some()
        );
    }
}
