//! A pass over a request's JSON before any tree is built, allocating
//! nothing per value: what the tree of `serde_json::Value`s (and the typed
//! parameters made from it) will cost in memory, and the placeholders of
//! the top level, so that a request DynamoDB refuses anyway for unused
//! placeholders is refused without building its tree. An object of one
//! entry (`{"S":"x"}`) costs a whole B-tree node, about 640 bytes: 12 MB of
//! such values make about 400 MB of tree.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use super::error::DynamoError;

/// A map's node (`BTreeMap<String, Value>`'s leaf of 11 entries), as allocated.
const NODE_BYTES: usize = 640;
/// Entries per node, on average, once a map is built.
const ENTRIES_PER_NODE: usize = 8;
/// A `Value` in an array's buffer, with its growth.
const ELEMENT_BYTES: usize = 48;
/// What the allocator adds to a string's bytes.
const STRING_OVERHEAD: usize = 24;
/// An expression's bytes at most: a longer one is refused by its own check.
const MAX_EXPRESSION_BYTES: usize = 4096;

/// What the pass found.
#[derive(Debug, Default)]
pub(crate) struct Survey<'b> {
    /// The estimated bytes of the request's tree.
    pub(crate) tree_bytes: usize,
    /// The top level's `TableName`, when it is a string.
    pub(crate) table: Option<Cow<'b, str>>,
    /// The texts of the top level's `…Expression` parameters.
    expressions: Vec<Cow<'b, str>>,
    /// The keys of the top level's `ExpressionAttributeNames`.
    names: Option<Vec<Cow<'b, str>>>,
    /// The keys of the top level's `ExpressionAttributeValues`.
    values: Option<Vec<Cow<'b, str>>>,
}

/// Surveys `body`: an error only for what is not JSON (or nests past serde_json's limit).
pub(crate) fn survey(body: &[u8]) -> Result<Survey<'_>, serde_json::Error> {
    let mut survey = Survey::default();
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    SurveyPass {
        survey: &mut survey,
        keep: Keep::TopLevel,
    }
    .deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok(survey)
}

impl Survey<'_> {
    /// DynamoDB's refusal of placeholders no expression of the request
    /// names (names first, as the full check does), told from the
    /// expressions' text alone: every `#name` and `:value` an expression
    /// holds is one it uses once it parses. Nothing is refused when an
    /// expression is past its limit (its own check answers).
    pub(crate) fn unused_placeholders(&self) -> Result<(), DynamoError> {
        if self
            .expressions
            .iter()
            .any(|text| text.len() > MAX_EXPRESSION_BYTES)
        {
            return Ok(());
        }
        let written: BTreeSet<&str> = self
            .expressions
            .iter()
            .flat_map(|text| placeholders(text))
            .collect();
        for (parameter, keys) in [
            ("ExpressionAttributeNames", &self.names),
            ("ExpressionAttributeValues", &self.values),
        ] {
            let mut unused: Vec<&str> = keys
                .iter()
                .flatten()
                .map(|key| key.as_ref())
                .filter(|key| !written.contains(key))
                .collect();
            if unused.is_empty() {
                continue;
            }
            // The full check lists them in the order of the parsed map: sorted.
            unused.sort_unstable();
            unused.dedup();
            return Err(DynamoError::validation(format!(
                "Value provided in {parameter} unused in expressions: keys: {{{}}}",
                unused.join(", ")
            )));
        }
        Ok(())
    }
}

/// The `#name` and `:value` placeholders written in an expression, as the lexer splits them.
fn placeholders(text: &str) -> impl Iterator<Item = &str> {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    text.match_indices(['#', ':'])
        .filter_map(move |(start, _)| {
            let rest = &text[start + 1..];
            let length = rest.find(|c: char| !word(c)).unwrap_or(rest.len());
            (length > 0).then(|| &text[start..start + 1 + length])
        })
}

/// What of a value the pass keeps besides its cost.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Keep {
    /// The request itself: its parameters are looked at by name.
    TopLevel,
    /// A map's keys (the placeholders' maps).
    Keys,
    /// A string's text (an expression).
    Text,
    Nothing,
}

/// What a value kept.
enum Kept<'b> {
    Keys(Vec<Cow<'b, str>>),
    Text(Cow<'b, str>),
    Nothing,
}

struct SurveyPass<'s, 'b> {
    survey: &'s mut Survey<'b>,
    keep: Keep,
}

impl<'de> DeserializeSeed<'de> for SurveyPass<'_, 'de> {
    type Value = Kept<'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Kept<'de>, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> SurveyPass<'_, 'de> {
    fn string(self, text: Cow<'de, str>) -> Kept<'de> {
        self.survey.tree_bytes += text.len() + STRING_OVERHEAD;
        if self.keep == Keep::Text {
            Kept::Text(text)
        } else {
            Kept::Nothing
        }
    }

    /// Where a top-level parameter's value goes.
    fn keep_of(&self, key: &str) -> Keep {
        match key {
            "ExpressionAttributeNames" | "ExpressionAttributeValues" => Keep::Keys,
            "TableName" => Keep::Text,
            _ if key.ends_with("Expression") => Keep::Text,
            _ => Keep::Nothing,
        }
    }
}

impl<'de> Visitor<'de> for SurveyPass<'_, 'de> {
    type Value = Kept<'de>;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Kept<'de>, E> {
        Ok(Kept::Nothing)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Kept<'de>, E> {
        Ok(Kept::Nothing)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Kept<'de>, E> {
        Ok(Kept::Nothing)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Kept<'de>, E> {
        Ok(Kept::Nothing)
    }

    fn visit_unit<E>(self) -> Result<Kept<'de>, E> {
        Ok(Kept::Nothing)
    }

    fn visit_borrowed_str<E>(self, text: &'de str) -> Result<Kept<'de>, E> {
        Ok(self.string(Cow::Borrowed(text)))
    }

    fn visit_str<E>(self, text: &str) -> Result<Kept<'de>, E> {
        // An escaped string: copied only when kept.
        if self.keep == Keep::Text {
            return Ok(self.string(Cow::Owned(text.to_owned())));
        }
        self.survey.tree_bytes += text.len() + STRING_OVERHEAD;
        Ok(Kept::Nothing)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Kept<'de>, A::Error> {
        while seq
            .next_element_seed(SurveyPass {
                survey: &mut *self.survey,
                keep: Keep::Nothing,
            })?
            .is_some()
        {
            self.survey.tree_bytes += ELEMENT_BYTES;
        }
        Ok(Kept::Nothing)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Kept<'de>, A::Error> {
        let mut keys = Vec::new();
        let mut entries = 0_usize;
        while let Some(key) = map.next_key_seed(SurveyPass {
            survey: &mut *self.survey,
            keep: Keep::Text,
        })? {
            let Kept::Text(key) = key else {
                continue;
            };
            entries += 1;
            let keep = match self.keep {
                Keep::TopLevel => self.keep_of(&key),
                _ => Keep::Nothing,
            };
            let value = map.next_value_seed(SurveyPass {
                survey: &mut *self.survey,
                keep,
            })?;
            match (value, key.as_ref()) {
                (Kept::Keys(found), "ExpressionAttributeNames") => self.survey.names = Some(found),
                (Kept::Keys(found), _) => self.survey.values = Some(found),
                (Kept::Text(text), "TableName") => self.survey.table = Some(text),
                (Kept::Text(text), _) => self.survey.expressions.push(text),
                (Kept::Nothing, _) if self.keep == Keep::Keys => keys.push(key),
                (Kept::Nothing, _) => {}
            }
        }
        self.survey.tree_bytes += entries.div_ceil(ENTRIES_PER_NODE) * NODE_BYTES;
        Ok(match self.keep {
            Keep::Keys => Kept::Keys(keys),
            _ => Kept::Nothing,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_split_as_the_lexer_splits_them() {
        let found: Vec<&str> = placeholders("#a = :b AND size(#c_1)>:d2 OR x=:").collect();
        assert_eq!(found, ["#a", ":b", "#c_1", ":d2"]);
    }

    #[test]
    fn unused_values_are_refused_by_name_and_used_ones_pass() {
        let body = br#"{"TableName":"t","FilterExpression":"a = :used",
            "ExpressionAttributeValues":{":used":{"S":"x"},":b":{"S":"y"},":a":{"N":"1"}}}"#;
        let error = survey(body)
            .expect("JSON")
            .unused_placeholders()
            .expect_err("two unused");
        assert_eq!(
            error.message,
            "Value provided in ExpressionAttributeValues unused in expressions: keys: {:a, :b}"
        );
        let body = br##"{"ExpressionAttributeNames":{"#n":"x"},"ProjectionExpression":"#n",
            "KeyConditionExpression":"k = :v","ExpressionAttributeValues":{":v":{"S":"x"}}}"##;
        assert_eq!(survey(body).expect("JSON").unused_placeholders(), Ok(()));
    }

    #[test]
    fn the_cost_counts_a_node_per_small_object() {
        let values: Vec<String> = (0..1000)
            .map(|n| format!(r#"":v{n}":{{"S":"x"}}"#))
            .collect();
        let body = format!(
            r#"{{"ExpressionAttributeValues":{{{}}}}}"#,
            values.join(",")
        );
        let found = survey(body.as_bytes()).expect("JSON");
        assert!(found.tree_bytes > 1000 * NODE_BYTES, "{}", found.tree_bytes);
        assert!(
            found.tree_bytes < 1000 * 2 * NODE_BYTES,
            "{}",
            found.tree_bytes
        );
        assert_eq!(found.values.map(|keys| keys.len()), Some(1000));
        assert!(survey(b"{\"a\":").is_err());
        assert!(survey(b"{} x").is_err());
    }
}
