//! DynamoDB's expressions: conditions (`KeyConditionExpression`,
//! `FilterExpression`, `ConditionExpression`), projections and update
//! expressions, on document paths (`a.b[0]`), with `#name` and `:value`
//! placeholders resolved while parsing and DynamoDB's reserved words refused.

mod eval;
mod key_condition;
mod lexer;
mod limits;
mod parser;
mod path;
mod reserved;
mod update;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::error::DynamoError;
use super::value::{self, Item};

pub(crate) use key_condition::{KeyCondition, key_condition};
pub(crate) use path::Path;
pub(crate) use update::Update;

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Operand {
    Path(Path),
    /// An attribute value from `ExpressionAttributeValues`.
    Value(Value),
    /// `size(path)`.
    Size(Path),
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
    In(Operand, Vec<Operand>),
    BeginsWith(Operand, Operand),
    Contains(Operand, Operand),
    Exists(Path),
    NotExists(Path),
    /// `attribute_type(path, :type)`: the type's tag (`S`, `M`…).
    AttributeType(Path, String),
    And(Box<Condition>, Box<Condition>),
    Or(Box<Condition>, Box<Condition>),
    Not(Box<Condition>),
}

impl Condition {
    /// Every document path the condition reads, in the order written.
    pub(crate) fn paths(&self) -> Vec<&Path> {
        let mut paths = Vec::new();
        self.collect_paths(&mut paths);
        paths
    }

    fn collect_paths<'c>(&'c self, paths: &mut Vec<&'c Path>) {
        let operand = |operand: &'c Operand, paths: &mut Vec<&'c Path>| match operand {
            Operand::Path(path) | Operand::Size(path) => paths.push(path),
            Operand::Value(_) => {}
        };
        match self {
            Condition::Compare(a, _, b)
            | Condition::BeginsWith(a, b)
            | Condition::Contains(a, b) => {
                operand(a, paths);
                operand(b, paths);
            }
            Condition::Between(a, b, c) => {
                operand(a, paths);
                operand(b, paths);
                operand(c, paths);
            }
            Condition::In(a, list) => {
                operand(a, paths);
                list.iter().for_each(|b| operand(b, paths));
            }
            Condition::Exists(path)
            | Condition::NotExists(path)
            | Condition::AttributeType(path, _) => {
                paths.push(path);
            }
            Condition::And(a, b) | Condition::Or(a, b) => {
                a.collect_paths(paths);
                b.collect_paths(paths);
            }
            Condition::Not(a) => a.collect_paths(paths),
        }
    }
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

/// A `ProjectionExpression`: the paths it keeps, none overlapping another.
pub(crate) fn projection(
    text: &str,
    placeholders: &mut Placeholders<'_>,
) -> Result<Vec<Path>, DynamoError> {
    parser::Parser::new("ProjectionExpression", text, placeholders)?.projection()
}

/// An `UpdateExpression`.
pub(crate) fn update(
    text: &str,
    placeholders: &mut Placeholders<'_>,
) -> Result<Update, DynamoError> {
    parser::Parser::new("UpdateExpression", text, placeholders)?.update()
}

/// What of `item` the paths name.
pub(crate) fn project(item: &Item, paths: &[Path]) -> Item {
    path::project(item, paths)
}
