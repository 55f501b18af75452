//! Lambda environment variables. Values are text; the CloudFormation functions
//! that workshop files put there (`!Ref Table`, `!GetAtt Table.Arn`) are worked
//! out by [`Intrinsics`].

use std::collections::BTreeMap;

use crate::stack::cloudformation::Intrinsics;
use crate::stack::error::{StackError, StackErrorKind};
use crate::stack::reader::Reader;

/// The environment variables Lambda sets and refuses in a function's
/// configuration (the "reserved environment variables" of Lambda's guide).
const RESERVED: [&str; 18] = [
    "_HANDLER",
    "_X_AMZN_TRACE_ID",
    "AWS_ACCESS_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_DEFAULT_REGION",
    "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_LAMBDA_RUNTIME_API",
    "AWS_REGION",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "LAMBDA_RUNTIME_DIR",
    "LAMBDA_TASK_ROOT",
];
use crate::stack::yaml::{Kind, Node};

pub(super) struct Context<'a> {
    pub(super) reader: &'a Reader<'a>,
    pub(super) intrinsics: &'a Intrinsics<'a>,
    pub(super) service: &'a str,
    pub(super) stage: &'a str,
}

impl Context<'_> {
    /// The `environment` mapping under `parent` (empty when absent).
    pub(super) fn environment(
        &self,
        parent: &Node,
        field: &str,
    ) -> Result<BTreeMap<String, String>, StackError> {
        let example = "`environment: { TABLE_NAME: connections }`";
        let Some(environment) = self.reader.mapping(parent, "environment", field, example)? else {
            return Ok(BTreeMap::new());
        };
        let mut variables = BTreeMap::new();
        for (key, node) in environment.entries().unwrap_or_default() {
            let value = match (&node.kind, node.as_text()) {
                (_, Some(text)) => text,
                (Kind::Map(entries), _) if entries.len() == 1 => self
                    .intrinsics
                    .text(node)
                    .map_err(|(pos, problem)| StackErrorKind::Intrinsic {
                        at: self.reader.at(pos),
                        name: key.name.clone(),
                        problem,
                    })?,
                _ => {
                    let field = format!("{field}.{}", key.name);
                    let example = format!("`{}: some-value`", key.name);
                    return Err(self.reader.wrong(node, &field, "a text", &example));
                }
            };
            if RESERVED.contains(&key.name.as_str()) {
                return Err(StackErrorKind::Intrinsic {
                    at: self.reader.at(key.pos),
                    name: key.name.clone(),
                    problem: "is one Lambda sets itself, and Lambda refuses to deploy a function \
                              that sets it (\"Reserved keys used in this request\"): remove it, \
                              and read what Lambda gives, or give your value another name"
                        .to_owned(),
                }
                .into());
            }
            variables.insert(key.name.clone(), value);
        }
        Ok(variables)
    }
}
