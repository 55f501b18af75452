//! Lambda environment variables. Values are text; the CloudFormation functions
//! that workshop files put there (`!Ref Table`, `!GetAtt Table.Arn`) are worked
//! out by [`Intrinsics`].

use std::collections::BTreeMap;

use crate::stack::cloudformation::Intrinsics;
use crate::stack::error::{StackError, StackErrorKind};
use crate::stack::reader::Reader;
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
            variables.insert(key.name.clone(), value);
        }
        Ok(variables)
    }
}
