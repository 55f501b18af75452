//! DynamoDB's expressions, the part of them the workshop's code writes:
//! conditions (`KeyConditionExpression`, `FilterExpression`,
//! `ConditionExpression`) and projections on top-level attributes, with
//! `#name` and `:value` placeholders resolved while parsing.

mod eval;
mod key_condition;
mod lexer;
mod limits;
mod parser;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::error::DynamoError;
use super::value::{self, Item};

pub(crate) use key_condition::{KeyCondition, key_condition};

/// What a condition may use here, for "does not support" messages.
pub(crate) const SUPPORTED_CONDITIONS: &str = "comparisons (=, <>, <, <=, >, >=), BETWEEN, \
    begins_with, contains, attribute_exists, attribute_not_exists, AND, OR, NOT and \
    parentheses, on top-level attributes";

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Operand {
    /// A top-level attribute name, placeholders resolved.
    Path(String),
    /// An attribute value from `ExpressionAttributeValues`.
    Value(Value),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Comparator {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Comparator {
    /// The comparator that reads the same with its operands swapped (`:a < x` is `x > :a`).
    pub(crate) fn flipped(self) -> Comparator {
        match self {
            Comparator::Lt => Comparator::Gt,
            Comparator::Le => Comparator::Ge,
            Comparator::Gt => Comparator::Lt,
            Comparator::Ge => Comparator::Le,
            same => same,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Condition {
    Compare(Operand, Comparator, Operand),
    Between(Operand, Operand, Operand),
    BeginsWith(Operand, Operand),
    Contains(Operand, Operand),
    Exists(String),
    NotExists(String),
    And(Box<Condition>, Box<Condition>),
    Or(Box<Condition>, Box<Condition>),
    Not(Box<Condition>),
}

/// `ExpressionAttributeNames` and `ExpressionAttributeValues` of one request,
/// and which of them its expressions used: DynamoDB refuses unused ones.
pub(crate) struct Placeholders<'a> {
    names: Option<&'a BTreeMap<String, String>>,
    values: Option<&'a Item>,
    used_names: BTreeSet<String>,
    used_values: BTreeSet<String>,
}

impl<'a> Placeholders<'a> {
    pub(crate) fn new(
        names: Option<&'a BTreeMap<String, String>>,
        values: Option<&'a Item>,
    ) -> Result<Self, DynamoError> {
        if names.is_some_and(BTreeMap::is_empty) {
            return Err(DynamoError::validation(
                "ExpressionAttributeNames must not be empty",
            ));
        }
        if values.is_some_and(Item::is_empty) {
            return Err(DynamoError::validation(
                "ExpressionAttributeValues must not be empty",
            ));
        }
        for (key, value) in values.into_iter().flatten() {
            value::check(value).map_err(|error| {
                DynamoError::validation(format!(
                    "ExpressionAttributeValues contains invalid value: {} for key {key}",
                    error.message
                ))
            })?;
        }
        Ok(Self {
            names,
            values,
            used_names: BTreeSet::new(),
            used_values: BTreeSet::new(),
        })
    }

    fn name(&mut self, parameter: &str, placeholder: &str) -> Result<String, DynamoError> {
        let Some(name) = self.names.and_then(|names| names.get(placeholder)) else {
            return Err(DynamoError::validation(format!(
                "Invalid {parameter}: An expression attribute name used in the document path is \
                 not defined; attribute name: {placeholder}"
            )));
        };
        self.used_names.insert(placeholder.to_owned());
        Ok(name.clone())
    }

    fn value(&mut self, parameter: &str, placeholder: &str) -> Result<Value, DynamoError> {
        let Some(value) = self.values.and_then(|values| values.get(placeholder)) else {
            return Err(DynamoError::validation(format!(
                "Invalid {parameter}: An expression attribute value used in expression is not \
                 defined; attribute value: {placeholder}"
            )));
        };
        self.used_values.insert(placeholder.to_owned());
        Ok(value.clone())
    }

    /// Once every expression of the request is parsed: no placeholder left unused.
    pub(crate) fn finish(self) -> Result<(), DynamoError> {
        let unused = |defined: Option<Vec<&String>>, used: &BTreeSet<String>| {
            let unused: Vec<&str> = defined
                .into_iter()
                .flatten()
                .filter(|key| !used.contains(*key))
                .map(String::as_str)
                .collect();
            (!unused.is_empty()).then(|| unused.join(", "))
        };
        if let Some(keys) = unused(
            self.names.map(|names| names.keys().collect()),
            &self.used_names,
        ) {
            return Err(DynamoError::validation(format!(
                "Value provided in ExpressionAttributeNames unused in expressions: keys: {{{keys}}}"
            )));
        }
        if let Some(keys) = unused(
            self.values.map(|values| values.keys().collect()),
            &self.used_values,
        ) {
            return Err(DynamoError::validation(format!(
                "Value provided in ExpressionAttributeValues unused in expressions: keys: \
                 {{{keys}}}"
            )));
        }
        Ok(())
    }
}

/// A condition; `parameter` names it in errors (`FilterExpression`…).
pub(crate) fn condition(
    parameter: &'static str,
    text: &str,
    placeholders: &mut Placeholders<'_>,
) -> Result<Condition, DynamoError> {
    parser::Parser::new(parameter, text, placeholders)?.condition()
}

/// A `ProjectionExpression`: the attribute names it keeps.
pub(crate) fn projection(
    text: &str,
    placeholders: &mut Placeholders<'_>,
) -> Result<Vec<String>, DynamoError> {
    parser::Parser::new("ProjectionExpression", text, placeholders)?.projection()
}

/// The attributes of `item` a projection names (those it has).
pub(crate) fn project(item: &Item, names: &[String]) -> Item {
    names
        .iter()
        .filter_map(|name| Some((name.clone(), item.get(name)?.clone())))
        .collect()
}
