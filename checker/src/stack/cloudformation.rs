//! The CloudFormation functions a serverless.yml puts in values the emulator
//! needs (environment variables, IAM statements): `Ref`,
//! `Fn::GetAtt <Table>.Arn`, `Fn::Join` and `Fn::Sub`, worked out from
//! `resources` and the pseudo parameters, since there is no CloudFormation to
//! do it locally.

use super::Table;
use super::error::Problem;
use super::yaml::{Kind, Node, Pos};

/// The account in ARNs the checker makes up (the one LocalStack and moto use).
pub const ACCOUNT_ID: &str = "000000000000";

/// Why a name in a CloudFormation function cannot be worked out.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Unresolved {
    #[error(
        "refers to `{0}`, but `resources.Resources` has no `{0}`; add the resource or fix the name"
    )]
    NoSuchResource(String),
    #[error(
        "refers to `{0}`, which Serverless generates for the websocket events (the API, its \
         stage or deployment): on AWS it gives the API's id, which the checker cannot know \
         when it reads the file. Serverless already grants `execute-api:ManageConnections` on \
         the API, and each event carries `requestContext.apiId`, `domainName` and `stage`: \
         read them there instead"
    )]
    GeneratedByServerless(String),
    #[error(
        "refers to `{0}`, which is not an `AWS::DynamoDB::Table`; the checker only works out \
         names and ARNs of DynamoDB tables, so use a Serverless variable such as \
         `${{self:custom.name}}` instead"
    )]
    NotATable(String),
    #[error(
        "asks for the attribute `{attribute}` of `{resource}`, which the checker cannot work \
         out locally; it knows `!GetAtt <Table>.Arn` of DynamoDB tables"
    )]
    UnknownAttribute { resource: String, attribute: String },
}

/// What the functions are worked out against.
pub(crate) struct Intrinsics<'a> {
    /// The resolved `resources` section, if any.
    pub(crate) resources: Option<&'a Node>,
    /// Its DynamoDB tables.
    pub(crate) tables: &'a [Table],
    pub(crate) service: &'a str,
    pub(crate) stage: &'a str,
    pub(crate) region: &'a str,
}

const KNOWN: &str = "`!Ref`, `!GetAtt <Table>.Arn`, `!Join` and `!Sub` on the DynamoDB tables \
                     of `resources` and the pseudo parameters (`AWS::Region`, `AWS::AccountId`…)";

impl Intrinsics<'_> {
    /// The text `node` stands for: a scalar as written, a CloudFormation
    /// function worked out.
    pub(crate) fn text(&self, node: &Node) -> Result<String, Problem> {
        if let Some(text) = node.as_text() {
            return Ok(text);
        }
        let Some([(function, argument)]) = node.entries() else {
            return Err((
                node.pos,
                format!(
                    "is {} where text or one CloudFormation function belongs",
                    node.kind
                ),
            ));
        };
        let fail = |problem: String| (argument.pos, problem);
        match function.name.as_str() {
            "Ref" => match &argument.kind {
                Kind::Str(target) => self
                    .reference(target)
                    .map_err(|unresolved| fail(unresolved.to_string())),
                other => Err(fail(format!(
                    "has a `Ref` to {other}; write the logical id, e.g. `!Ref ConnectionsTable`"
                ))),
            },
            "Fn::GetAtt" => self.get_att(argument),
            "Fn::Join" => self.join(argument),
            "Fn::Sub" => self.sub(argument),
            other => Err((
                function.pos,
                format!(
                    "uses `{other}`, which only CloudFormation evaluates; the checker works out \
                     {KNOWN}, so use those or a Serverless variable such as \
                     `${{self:custom.tableName}}`"
                ),
            )),
        }
    }

    /// What `Ref` gives: a pseudo parameter's value, or a DynamoDB table's name.
    pub(crate) fn reference(&self, target: &str) -> Result<String, Unresolved> {
        match target {
            "AWS::Region" => Ok(self.region.to_owned()),
            "AWS::AccountId" => Ok(ACCOUNT_ID.to_owned()),
            "AWS::StackName" => Ok(format!("{}-{}", self.service, self.stage)),
            "AWS::Partition" => Ok("aws".to_owned()),
            "AWS::URLSuffix" => Ok("amazonaws.com".to_owned()),
            _ => self.table(target).map(|table| table.name.clone()),
        }
    }

    /// `Fn::GetAtt`: `[Table, Arn]` (what `!GetAtt Table.Arn` becomes).
    fn get_att(&self, argument: &Node) -> Result<String, Problem> {
        let parts = match &argument.kind {
            Kind::Seq(parts) => parts.iter().map(Node::as_text).collect::<Option<Vec<_>>>(),
            Kind::Str(dotted) => dotted
                .split_once('.')
                .map(|(resource, attribute)| vec![resource.to_owned(), attribute.to_owned()]),
            _ => None,
        };
        let Some([resource, attribute]) = parts.as_deref() else {
            return Err((
                argument.pos,
                "has a `Fn::GetAtt` that is not `[Resource, Attribute]`; write e.g. \
                 `!GetAtt ConnectionsTable.Arn`"
                    .to_owned(),
            ));
        };
        self.attribute(resource, attribute)
            .map_err(|unresolved| (argument.pos, unresolved.to_string()))
    }

    fn attribute(&self, resource: &str, attribute: &str) -> Result<String, Unresolved> {
        let table = self.table(resource)?;
        if attribute != "Arn" {
            return Err(Unresolved::UnknownAttribute {
                resource: resource.to_owned(),
                attribute: attribute.to_owned(),
            });
        }
        Ok(table_arn(self.region, &table.name))
    }

    /// `Fn::Join: [separator, [values...]]`.
    fn join(&self, argument: &Node) -> Result<String, Problem> {
        let wrong = || {
            (
                argument.pos,
                "has a `Fn::Join` that is not `[separator, [values...]]`; write e.g. \
                 `!Join ['/', [!GetAtt ChatsTable.Arn, 'index/*']]`"
                    .to_owned(),
            )
        };
        let Kind::Seq(parts) = &argument.kind else {
            return Err(wrong());
        };
        let [separator, values] = parts.as_slice() else {
            return Err(wrong());
        };
        let (Kind::Str(separator), Kind::Seq(values)) = (&separator.kind, &values.kind) else {
            return Err(wrong());
        };
        let values = values
            .iter()
            .map(|value| self.text(value))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(values.join(separator))
    }

    /// `Fn::Sub: template` or `Fn::Sub: [template, {name: value}]`.
    fn sub(&self, argument: &Node) -> Result<String, Problem> {
        let (template, variables) = match &argument.kind {
            Kind::Str(template) => (template, &[][..]),
            Kind::Seq(parts) => match parts.as_slice() {
                [template, variables] => match (&template.kind, variables.entries()) {
                    (Kind::Str(template), Some(entries)) => (template, entries),
                    _ => return Err(wrong_sub(argument.pos)),
                },
                _ => return Err(wrong_sub(argument.pos)),
            },
            _ => return Err(wrong_sub(argument.pos)),
        };
        let mut values = Vec::with_capacity(variables.len());
        for (key, value) in variables {
            values.push((key.name.as_str(), self.text(value)?));
        }
        let mut out = String::new();
        let mut rest = template.as_str();
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                return Err((
                    argument.pos,
                    format!("has a `${{` without its `}}` in the `Fn::Sub` text `{template}`"),
                ));
            };
            let name = &after[..end];
            match name.strip_prefix('!') {
                // `${!Literal}` is the text `${Literal}`.
                Some(literal) => out.push_str(&format!("${{{literal}}}")),
                None => {
                    let value = match values.iter().find(|(known, _)| *known == name) {
                        Some((_, value)) => Ok(value.clone()),
                        None => match name.split_once('.') {
                            Some((resource, attribute)) => self.attribute(resource, attribute),
                            None => self.reference(name),
                        },
                    };
                    out.push_str(&value.map_err(|unresolved| {
                        (argument.pos, format!("in `${{{name}}}`: {unresolved}"))
                    })?);
                }
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    /// The DynamoDB table with that logical id.
    fn table(&self, logical_id: &str) -> Result<&Table, Unresolved> {
        if let Some(table) = self
            .tables
            .iter()
            .find(|table| table.logical_id == logical_id)
        {
            return Ok(table);
        }
        let declared = self
            .resources
            .and_then(|resources| resources.get("Resources")?.get(logical_id));
        Err(match declared {
            None if logical_id.starts_with("Websockets") => {
                Unresolved::GeneratedByServerless(logical_id.to_owned())
            }
            None => Unresolved::NoSuchResource(logical_id.to_owned()),
            Some(_) => Unresolved::NotATable(logical_id.to_owned()),
        })
    }
}

fn wrong_sub(pos: Pos) -> Problem {
    (
        pos,
        "has a `Fn::Sub` that is neither text nor `[text, {name: value}]`; write e.g. \
         `!Sub 'arn:aws:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${ChatsTable}'`"
            .to_owned(),
    )
}

/// A DynamoDB table's ARN, as `!GetAtt Table.Arn` gives it.
pub fn table_arn(region: &str, table: &str) -> String {
    format!("arn:aws:dynamodb:{region}:{ACCOUNT_ID}:table/{table}")
}
