//! Lambda environment variables. Values are text; the CloudFormation functions
//! that workshop files put there (`!Ref Table`, `!GetAtt Table.Arn`) are worked
//! out from `resources`, since there is no CloudFormation to do it locally.

use std::collections::BTreeMap;

use super::Reader;
use crate::stack::Table;
use crate::stack::error::{StackError, StackErrorKind};
use crate::stack::yaml::{Kind, Node};

/// The account in ARNs the checker makes up (the one LocalStack and moto use).
const ACCOUNT_ID: &str = "000000000000";

pub(super) struct Context<'a> {
    pub(super) reader: &'a Reader<'a>,
    /// The resolved `resources` section, if any.
    pub(super) resources: Option<&'a Node>,
    /// Its DynamoDB tables.
    pub(super) tables: &'a [Table],
    pub(super) service: &'a str,
    pub(super) stage: &'a str,
    pub(super) region: &'a str,
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
                (Kind::Map(entries), _) if entries.len() == 1 => self.intrinsic(&key.name, node)?,
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

    /// `{ Ref: X }` or `{ Fn::GetAtt: [X, Arn] }` as text.
    fn intrinsic(&self, name: &str, node: &Node) -> Result<String, StackError> {
        let fail = |problem: String| {
            StackErrorKind::Intrinsic {
                at: self.reader.at(node.pos),
                name: name.to_owned(),
                problem,
            }
            .into()
        };
        let Some([(function, argument)]) = node.entries() else {
            return Err(fail("is not a single CloudFormation function".to_owned()));
        };
        match (function.name.as_str(), &argument.kind) {
            ("Ref", Kind::Str(target)) => self.reference(target).map_err(fail),
            ("Fn::GetAtt", Kind::Seq(parts)) => match parts.as_slice() {
                [resource, attribute] => match (&resource.kind, &attribute.kind) {
                    (Kind::Str(resource), Kind::Str(attribute)) if attribute == "Arn" => {
                        let table = self.table_name(resource).map_err(fail)?;
                        Ok(format!(
                            "arn:aws:dynamodb:{}:{ACCOUNT_ID}:table/{table}",
                            self.region
                        ))
                    }
                    _ => Err(fail(
                        "asks for an attribute the checker cannot work out locally; it knows \
                         `!GetAtt <Table>.Arn` of DynamoDB tables in `resources`, so use that or \
                         a Serverless variable such as `${self:custom.tableName}`"
                            .to_owned(),
                    )),
                },
                _ => Err(fail(
                    "has a `Fn::GetAtt` that is not `[Resource, Attribute]`; write e.g. \
                               `!GetAtt ConnectionsTable.Arn`"
                        .to_owned(),
                )),
            },
            (other, _) => Err(fail(format!(
                "uses `{other}`, which only CloudFormation evaluates; the checker works out \
                 `!Ref <Table>` and `!GetAtt <Table>.Arn` of DynamoDB tables in `resources`, so \
                 use those or a Serverless variable such as `${{self:custom.tableName}}`"
            ))),
        }
    }

    fn reference(&self, target: &str) -> Result<String, String> {
        match target {
            "AWS::Region" => Ok(self.region.to_owned()),
            "AWS::AccountId" => Ok(ACCOUNT_ID.to_owned()),
            "AWS::StackName" => Ok(format!("{}-{}", self.service, self.stage)),
            "AWS::Partition" => Ok("aws".to_owned()),
            "AWS::URLSuffix" => Ok("amazonaws.com".to_owned()),
            _ => self.table_name(target),
        }
    }

    /// What `Ref` gives for a DynamoDB table: its name (the `TableName`, else
    /// the logical id under which the emulator creates it).
    fn table_name(&self, logical_id: &str) -> Result<String, String> {
        if let Some(table) = self
            .tables
            .iter()
            .find(|table| table.logical_id == logical_id)
        {
            return Ok(table.name.clone());
        }
        let declared = self
            .resources
            .and_then(|resources| resources.get("Resources")?.get(logical_id));
        Err(match declared {
            None => format!(
                "refers to `{logical_id}`, but `resources.Resources` has no `{logical_id}`; add \
                 the resource or fix the name"
            ),
            Some(_) => format!(
                "refers to `{logical_id}`, which is not an `AWS::DynamoDB::Table`; the checker \
                 only works out names and ARNs of DynamoDB tables, so use a Serverless variable \
                 such as `${{self:custom.name}}` instead"
            ),
        })
    }
}
