//! The operations' parameters as their JSON bodies carry them. A parameter
//! this local DynamoDB does not implement is refused by name rather than
//! ignored: code relying on it would behave differently on AWS.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::error::DynamoError;
use super::expression::{self, Condition, Placeholders, Update};
use super::value::Item;

/// Parameters that change only what is reported, never what happens: accepted, ignored.
const IGNORED: [&str; 2] = ["ReturnConsumedCapacity", "ReturnItemCollectionMetrics"];

/// An operation's parameters: the ones it supports, and the rest.
pub(crate) trait Parameters: DeserializeOwned {
    const OPERATION: &'static str;
    const SUPPORTED: &'static [&'static str];
    fn rest(&self) -> &Item;
}

/// The body of `operation`, refusing parameters it does not support.
pub(crate) fn parse<P: Parameters>(body: Value) -> Result<P, DynamoError> {
    let parameters: P = serde_json::from_value(body).map_err(|error| {
        DynamoError::validation(format!("1 validation error detected: {error}"))
    })?;
    let refused = parameters
        .rest()
        .iter()
        .find(|(name, value)| !value.is_null() && !IGNORED.contains(&name.as_str()));
    if let Some((name, _)) = refused {
        return Err(DynamoError::unsupported(
            format_args!("the parameter {name} of {}", P::OPERATION),
            &format!(
                "these parameters of {}: {}",
                P::OPERATION,
                P::SUPPORTED.join(", ")
            ),
        ));
    }
    Ok(parameters)
}

macro_rules! parameters {
    ($name:ident, [$($supported:literal),* $(,)?]) => {
        impl Parameters for $name {
            const OPERATION: &'static str = stringify!($name);
            const SUPPORTED: &'static [&'static str] = &[$($supported),*];
            fn rest(&self) -> &Item {
                &self.rest
            }
        }
    };
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct PutItem {
    pub(crate) table_name: String,
    pub(crate) item: Item,
    /// Before `rest`: a flattened struct takes its parameters, a map gets what is left.
    #[serde(flatten)]
    pub(crate) write: ConditionalWrite,
    #[serde(flatten)]
    rest: Item,
}
parameters!(
    PutItem,
    [
        "TableName",
        "Item",
        "ReturnValues (NONE, ALL_OLD)",
        "ReturnValuesOnConditionCheckFailure",
        "ConditionExpression",
        "ExpressionAttributeNames",
        "ExpressionAttributeValues",
    ]
);

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct GetItem {
    pub(crate) table_name: String,
    pub(crate) key: Item,
    pub(crate) projection_expression: Option<String>,
    pub(crate) expression_attribute_names: Option<BTreeMap<String, String>>,
    /// Every read is consistent here.
    #[serde(rename = "ConsistentRead")]
    _consistent_read: Option<bool>,
    #[serde(flatten)]
    rest: Item,
}
parameters!(
    GetItem,
    [
        "TableName",
        "Key",
        "ProjectionExpression",
        "ExpressionAttributeNames",
        "ConsistentRead",
    ]
);

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct DeleteItem {
    pub(crate) table_name: String,
    pub(crate) key: Item,
    #[serde(flatten)]
    pub(crate) write: ConditionalWrite,
    #[serde(flatten)]
    rest: Item,
}
parameters!(
    DeleteItem,
    [
        "TableName",
        "Key",
        "ReturnValues (NONE, ALL_OLD)",
        "ReturnValuesOnConditionCheckFailure",
        "ConditionExpression",
        "ExpressionAttributeNames",
        "ExpressionAttributeValues",
    ]
);

/// Query and Scan share everything but the key condition.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct QueryOrScan {
    pub(crate) table_name: String,
    pub(crate) index_name: Option<String>,
    pub(crate) key_condition_expression: Option<String>,
    pub(crate) filter_expression: Option<String>,
    pub(crate) projection_expression: Option<String>,
    pub(crate) expression_attribute_names: Option<BTreeMap<String, String>>,
    pub(crate) expression_attribute_values: Option<Item>,
    pub(crate) limit: Option<i64>,
    pub(crate) exclusive_start_key: Option<Item>,
    pub(crate) scan_index_forward: Option<bool>,
    pub(crate) select: Option<String>,
    pub(crate) consistent_read: Option<bool>,
    #[serde(flatten)]
    rest: Item,
}

/// `QueryOrScan` as Query: it refuses what Scan alone lacks and vice versa.
pub(crate) struct Query(pub(crate) QueryOrScan);
pub(crate) struct Scan(pub(crate) QueryOrScan);

impl<'de> Deserialize<'de> for Query {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        QueryOrScan::deserialize(deserializer).map(Query)
    }
}

impl<'de> Deserialize<'de> for Scan {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut read = QueryOrScan::deserialize(deserializer)?;
        // Query-only parameters are not Scan's: let them be refused by name.
        for (name, value) in [
            (
                "KeyConditionExpression",
                read.key_condition_expression.take().map(Value::String),
            ),
            (
                "ScanIndexForward",
                read.scan_index_forward.take().map(Value::Bool),
            ),
        ] {
            if let Some(value) = value {
                read.rest.insert(name.to_owned(), value);
            }
        }
        Ok(Scan(read))
    }
}

const SELECT: &str =
    "Select (ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES, SPECIFIC_ATTRIBUTES, COUNT)";

impl Parameters for Query {
    const OPERATION: &'static str = "Query";
    const SUPPORTED: &'static [&'static str] = &[
        "TableName",
        "IndexName",
        "KeyConditionExpression",
        "FilterExpression",
        "ProjectionExpression",
        "ExpressionAttributeNames",
        "ExpressionAttributeValues",
        "Limit",
        "ExclusiveStartKey",
        "ScanIndexForward",
        SELECT,
        "ConsistentRead",
    ];
    fn rest(&self) -> &Item {
        &self.0.rest
    }
}

impl Parameters for Scan {
    const OPERATION: &'static str = "Scan";
    const SUPPORTED: &'static [&'static str] = &[
        "TableName",
        "IndexName",
        "FilterExpression",
        "ProjectionExpression",
        "ExpressionAttributeNames",
        "ExpressionAttributeValues",
        "Limit",
        "ExclusiveStartKey",
        SELECT,
        "ConsistentRead",
    ];
    fn rest(&self) -> &Item {
        &self.0.rest
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct DescribeTable {
    pub(crate) table_name: String,
    #[serde(flatten)]
    rest: Item,
}
parameters!(DescribeTable, ["TableName"]);

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ListTables {
    pub(crate) exclusive_start_table_name: Option<String>,
    pub(crate) limit: Option<i64>,
    #[serde(flatten)]
    rest: Item,
}
parameters!(ListTables, ["ExclusiveStartTableName", "Limit"]);

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct UpdateItem {
    pub(crate) table_name: String,
    pub(crate) key: Item,
    pub(crate) update_expression: Option<String>,
    #[serde(flatten)]
    pub(crate) write: ConditionalWrite,
    #[serde(flatten)]
    rest: Item,
}
parameters!(
    UpdateItem,
    [
        "TableName",
        "Key",
        "UpdateExpression",
        "ReturnValues",
        "ReturnValuesOnConditionCheckFailure",
        "ConditionExpression",
        "ExpressionAttributeNames",
        "ExpressionAttributeValues",
    ]
);

/// What an UpdateItem answers with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Returns {
    Nothing,
    AllOld,
    UpdatedOld,
    AllNew,
    UpdatedNew,
}

/// What the writes share (PutItem, UpdateItem, DeleteItem and a
/// transaction's actions): a condition on the item they replace, update or
/// delete, and what to answer with.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ConditionalWrite {
    return_values: Option<String>,
    return_values_on_condition_check_failure: Option<String>,
    condition_expression: Option<String>,
    expression_attribute_names: Option<BTreeMap<String, String>>,
    expression_attribute_values: Option<Item>,
}

impl ConditionalWrite {
    /// `ReturnValues` of PutItem and DeleteItem: whether to answer the old item.
    pub(crate) fn return_old(&self) -> Result<bool, DynamoError> {
        match self.returns()? {
            Returns::Nothing => Ok(false),
            Returns::AllOld => Ok(true),
            _ => Err(
                DynamoError::validation("Return values set to invalid value")
                    .advise("PutItem and DeleteItem answer with NONE or ALL_OLD only"),
            ),
        }
    }

    /// `ReturnValues` of UpdateItem.
    pub(crate) fn returns(&self) -> Result<Returns, DynamoError> {
        match self.return_values.as_deref() {
            None | Some("NONE") => Ok(Returns::Nothing),
            Some("ALL_OLD") => Ok(Returns::AllOld),
            Some("UPDATED_OLD") => Ok(Returns::UpdatedOld),
            Some("ALL_NEW") => Ok(Returns::AllNew),
            Some("UPDATED_NEW") => Ok(Returns::UpdatedNew),
            Some(other) => Err(DynamoError::validation(format!(
                "1 validation error detected: Value '{other}' at 'returnValues' failed to satisfy \
                 constraint: Member must satisfy enum value set: [ALL_NEW, UPDATED_OLD, ALL_OLD, \
                 NONE, UPDATED_NEW]"
            ))),
        }
    }

    /// A transaction's action takes no `ReturnValues`.
    pub(crate) fn has_return_values(&self) -> bool {
        self.return_values.is_some()
    }

    /// `ReturnValuesOnConditionCheckFailure`: whether a failed condition answers with the item.
    pub(crate) fn item_on_failure(&self) -> Result<bool, DynamoError> {
        match self.return_values_on_condition_check_failure.as_deref() {
            None | Some("NONE") => Ok(false),
            Some("ALL_OLD") => Ok(true),
            Some(other) => Err(DynamoError::validation(format!(
                "1 validation error detected: Value '{other}' at \
                 'returnValuesOnConditionCheckFailure' failed to satisfy constraint: Member must \
                 satisfy enum value set: [ALL_OLD, NONE]"
            ))),
        }
    }

    /// The `ConditionExpression` with its placeholders, checked for unused ones.
    pub(crate) fn condition(&self) -> Result<Option<Condition>, DynamoError> {
        self.expressions(None).map(|(condition, _)| condition)
    }

    /// The `ConditionExpression` and an `UpdateExpression`, which share the
    /// placeholders: each must be used by one of them.
    pub(crate) fn expressions(
        &self,
        update: Option<&str>,
    ) -> Result<(Option<Condition>, Option<Update>), DynamoError> {
        let mut placeholders = Placeholders::new(
            self.expression_attribute_names.as_ref(),
            self.expression_attribute_values.as_ref(),
        )?;
        let update = update
            .map(|text| expression::update(text, &mut placeholders))
            .transpose()?;
        let condition = self
            .condition_expression
            .as_deref()
            .map(|text| expression::condition("ConditionExpression", text, &mut placeholders))
            .transpose()?;
        placeholders.finish()?;
        Ok((condition, update))
    }
}
