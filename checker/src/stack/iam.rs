//! The functions' execution role, as Serverless v3 builds it
//! (`IamRoleLambdaExecution`, `lib/plugins/aws/package/lib/merge-iam-templates.js`):
//! the log rights it adds by itself, the statements of
//! `provider.iam.role.statements` (older: `provider.iamRoleStatements`), and
//! `execute-api:ManageConnections` when the service has websocket routes. The
//! emulator checks every DynamoDB and `@connections` call against it, as AWS
//! does. What the checker cannot evaluate (conditions, `NotAction`, a role
//! defined outside the file…) stops the load at its `file:line:column`:
//! guessing would pass here what AWS may refuse.

mod policy;

pub(crate) use policy::{action_matches, resource_matches};

use serde::Serialize;

use super::Function;
use super::cloudformation::{ACCOUNT_ID, Intrinsics};
use super::error::{Location, Problem, StackError, StackErrorKind};
use super::reader::Reader;
use super::yaml::{Kind, MapKey, Node, Pos};

/// Where learners grant rights, named in messages.
pub const STATEMENTS_FIELD: &str = "provider.iam.role.statements";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Role {
    /// `RoleName`: `provider.iam.role.name`, else `{service}-{stage}-{region}-lambdaRole`.
    pub name: String,
    /// In the order of the policy Serverless writes.
    pub statements: Vec<Statement>,
    /// Where the statements are written (`provider.iam.role.statements` or
    /// `provider.iamRoleStatements`), else `provider`: where to grant more.
    pub grant_at: Location,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Effect {
    Allow,
    Deny,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Statement {
    pub effect: Effect,
    pub actions: Vec<String>,
    /// ARNs (or `*`), CloudFormation functions worked out.
    pub resources: Vec<String>,
    pub origin: StatementOrigin,
}

/// Who wrote a statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StatementOrigin {
    /// The serverless.yml, at this statement.
    Declared(Location),
    /// Serverless itself, for this reason.
    Serverless(&'static str),
}

/// What IAM decides for one request.
#[derive(Debug, PartialEq, Eq)]
pub enum Decision<'a> {
    Allowed,
    /// No statement allows it (an implicit deny).
    NotAllowed,
    /// This `Deny` statement refuses it, whatever allows it.
    Denied(&'a Statement),
}

impl Role {
    /// IAM's evaluation of one role's policy: an explicit `Deny` wins, else an
    /// `Allow` allows, else the request is denied.
    pub fn decide(&self, action: &str, resource: &str) -> Decision<'_> {
        let applies = |statement: &&Statement| {
            statement
                .actions
                .iter()
                .any(|pattern| policy::action_matches(pattern, action))
                && statement
                    .resources
                    .iter()
                    .any(|pattern| policy::resource_matches(pattern, resource))
        };
        let mut allowed = false;
        for statement in self.statements.iter().filter(applies) {
            match statement.effect {
                Effect::Deny => return Decision::Denied(statement),
                Effect::Allow => allowed = true,
            }
        }
        if allowed {
            Decision::Allowed
        } else {
            Decision::NotAllowed
        }
    }

    /// `arn:aws:sts::{account}:assumed-role/{role}/{function}`: who a Lambda is
    /// to IAM, as AWS names it in AccessDenied messages.
    pub fn session_arn(&self, deployed_function: &str) -> String {
        format!(
            "arn:aws:sts::{ACCOUNT_ID}:assumed-role/{}/{deployed_function}",
            self.name
        )
    }
}

/// What the role is read from.
pub(super) struct Sources<'a> {
    pub(super) reader: &'a Reader<'a>,
    pub(super) intrinsics: &'a Intrinsics<'a>,
    pub(super) provider: &'a Node,
    /// Where `provider:` is written.
    pub(super) provider_at: Pos,
    /// The `functions:` entries, and what was read from them.
    pub(super) entries: &'a [(MapKey, Node)],
    pub(super) functions: &'a [Function],
    pub(super) has_websocket_routes: bool,
}

/// The role Serverless would create; `None` without functions (it creates none).
pub(super) fn role(sources: &Sources<'_>) -> Result<Option<Role>, StackError> {
    if sources.functions.is_empty() {
        return Ok(None);
    }
    let r = sources.reader;
    let provider = sources.provider;
    refuse_outside_roles(sources)?;
    let iam_role = provider.get("iam").and_then(|iam| iam.get("role"));
    let name = match iam_role {
        Some(role) => r.text(role, "name", "provider.iam.role.name", "`name: my-role`")?,
        None => None,
    }
    .filter(|name| !name.is_empty());
    let name = name.unwrap_or_else(|| {
        let stack = sources.intrinsics;
        format!(
            "{}-{}-{}-lambdaRole",
            stack.service, stack.stage, stack.region
        )
    });
    let mut statements = log_statements(sources)?;
    // `iam.role.statements` wins; the older `iamRoleStatements` counts only without it.
    let declared = iam_role
        .and_then(|role| role.get("statements"))
        .map(|node| (node, STATEMENTS_FIELD))
        .or_else(|| {
            provider
                .get("iamRoleStatements")
                .map(|node| (node, "provider.iamRoleStatements"))
        });
    let grant_at = r.at(declared.map_or(sources.provider_at, |(node, _)| node.pos));
    if let Some((node, field)) = declared {
        statements.extend(declared_statements(sources, node, field)?);
    }
    if sources.has_websocket_routes {
        statements.push(Statement {
            effect: Effect::Allow,
            actions: vec!["execute-api:ManageConnections".to_owned()],
            resources: vec!["arn:aws:execute-api:*:*:*/@connections/*".to_owned()],
            origin: StatementOrigin::Serverless("websocket events: `@connections`"),
        });
    }
    Ok(Some(Role {
        name,
        statements,
        grant_at,
    }))
}

/// Roles and policies defined outside the file: the checker cannot know what they allow.
fn refuse_outside_roles(sources: &Sources<'_>) -> Result<(), StackError> {
    let provider = sources.provider;
    let own_role = "the checker enforces the role Serverless builds from \
                    `provider.iam.role.statements`, and cannot know what a role defined \
                    elsewhere allows; remove it and list what the functions need under \
                    `provider.iam.role.statements`";
    let iam_role = provider.get("iam").and_then(|iam| iam.get("role"));
    let mut refused: Vec<(&Node, &str, &str)> = Vec::new();
    if let Some(node) = provider.get("role") {
        refused.push((node, "`provider.role` names a role of its own", own_role));
    }
    if let Some(node) = iam_role.filter(|role| !is_role_mapping(role)) {
        refused.push((node, "`provider.iam.role` names an existing role", own_role));
    }
    let managed = "managed policies are defined outside this file, so the checker cannot \
                   know what they allow; list the rights the functions need as statements \
                   under `provider.iam.role.statements` instead";
    let boundary = "a permissions boundary limits the role in ways the checker does not \
                    evaluate; remove it here (AWS would still apply it when deployed)";
    let in_role = |key: &str| iam_role.and_then(|role| role.get(key));
    for (node, what, why) in [
        (
            in_role("managedPolicies"),
            "`provider.iam.role.managedPolicies`",
            managed,
        ),
        (
            provider.get("iamManagedPolicies"),
            "`provider.iamManagedPolicies`",
            managed,
        ),
        (
            in_role("permissionsBoundary"),
            "`provider.iam.role.permissionsBoundary`",
            boundary,
        ),
        (
            in_role("permissionBoundary"),
            "`provider.iam.role.permissionBoundary`",
            boundary,
        ),
        (
            provider.get("rolePermissionsBoundary"),
            "`provider.rolePermissionsBoundary`",
            boundary,
        ),
    ] {
        if let Some(node) = node.filter(|node| !is_empty(node)) {
            refused.push((node, what, why));
        }
    }
    for (key, body) in sources.entries {
        if let Some(node) = body.get("role") {
            let what = format!(
                "`functions.{}.role` gives the function a role of its own",
                key.name
            );
            return Err(unsupported(sources, node.pos, &what, own_role));
        }
    }
    match refused.first() {
        Some((node, what, why)) => Err(unsupported(sources, node.pos, what, why)),
        None => Ok(()),
    }
}

/// `provider.iam.role` as statements to build a role from, not an existing role
/// (a name, an ARN, or a CloudFormation function such as `Fn::GetAtt`).
fn is_role_mapping(node: &Node) -> bool {
    match node.entries() {
        Some(entries) => !entries.iter().any(|(key, _)| key.name.contains("::")),
        None => node.kind == Kind::Null,
    }
}

fn is_empty(node: &Node) -> bool {
    match &node.kind {
        Kind::Null => true,
        Kind::Seq(items) => items.is_empty(),
        _ => false,
    }
}

fn unsupported(sources: &Sources<'_>, pos: Pos, what: &str, why: &str) -> StackError {
    StackErrorKind::Iam {
        at: sources.reader.at(pos),
        problem: format!("{what}: {why}"),
    }
    .into()
}

/// The log rights Serverless gives every role: its functions' log groups, by
/// the service's prefix (`/aws/lambda/{service}-{stage}*`) and by the names of
/// functions named otherwise; a `Deny` for functions with `disableLogs`.
fn log_statements(sources: &Sources<'_>) -> Result<Vec<Statement>, StackError> {
    let stack = sources.intrinsics;
    let prefix = format!("{}-{}", stack.service, stack.stage);
    let group = |name: &str| {
        format!(
            "arn:aws:logs:{}:{ACCOUNT_ID}:log-group:/aws/lambda/{name}",
            stack.region
        )
    };
    // CreateLogStream takes the log groups, PutLogEvents their streams.
    let mut group_arns = Vec::new();
    let mut stream_arns = Vec::new();
    let mut canonical = false;
    let mut silent = Vec::new();
    for (function, (key, body)) in sources.functions.iter().zip(sources.entries) {
        let disabled = match body.get("disableLogs").map(|node| &node.kind) {
            None | Some(Kind::Null) | Some(Kind::Bool(false)) => false,
            Some(Kind::Bool(true)) => true,
            Some(_) => {
                let node = body.get("disableLogs").unwrap_or(body);
                let field = format!("functions.{}.disableLogs", key.name);
                return Err(sources.reader.wrong(
                    node,
                    &field,
                    "true or false",
                    "`disableLogs: true`",
                ));
            }
        };
        let name = &function.deployed_name;
        if name.starts_with(&prefix) {
            if disabled {
                silent.push(name.clone());
            } else {
                canonical = true;
            }
        } else if !disabled {
            group_arns.push(format!("{}:*", group(name)));
            stream_arns.push(format!("{}:*:*", group(name)));
        }
    }
    let origin = StatementOrigin::Serverless("the functions' logs");
    let mut statements = Vec::new();
    if canonical {
        group_arns.push(format!("{}*:*", group(&prefix)));
        stream_arns.push(format!("{}*:*:*", group(&prefix)));
    }
    statements.push(Statement {
        effect: Effect::Allow,
        actions: [
            "logs:CreateLogStream",
            "logs:CreateLogGroup",
            "logs:TagResource",
        ]
        .map(str::to_owned)
        .to_vec(),
        resources: group_arns,
        origin: origin.clone(),
    });
    statements.push(Statement {
        effect: Effect::Allow,
        actions: vec!["logs:PutLogEvents".to_owned()],
        resources: stream_arns,
        origin: origin.clone(),
    });
    if canonical && !silent.is_empty() {
        statements.push(Statement {
            effect: Effect::Deny,
            actions: vec!["logs:PutLogEvents".to_owned()],
            resources: silent
                .iter()
                .map(|name| format!("{}:*", group(name)))
                .collect(),
            origin,
        });
    }
    Ok(statements)
}

/// The statements written in the file, checked as IAM checks a policy on deploy.
fn declared_statements(
    sources: &Sources<'_>,
    node: &Node,
    field: &str,
) -> Result<Vec<Statement>, StackError> {
    let r = sources.reader;
    let example = "`- { Effect: Allow, Action: [dynamodb:PutItem], Resource: [!GetAtt ConnectionsTable.Arn] }`";
    let items = match &node.kind {
        Kind::Null => return Ok(Vec::new()),
        Kind::Seq(items) => items,
        _ => return Err(r.wrong(node, field, "a list of statements", example)),
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| statement(sources, item, &format!("{field}.{i}")))
        .collect()
}

fn statement(sources: &Sources<'_>, item: &Node, field: &str) -> Result<Statement, StackError> {
    let r = sources.reader;
    let fail = |pos: Pos, problem: String| -> StackError {
        StackErrorKind::Iam {
            at: r.at(pos),
            problem,
        }
        .into()
    };
    let Some(entries) = item.entries() else {
        return Err(r.wrong(
            item,
            field,
            "a mapping",
            "`- Effect: Allow` with `Action:` and `Resource:` below it",
        ));
    };
    let (mut effect, mut actions, mut resources) = (None, None, None);
    for (key, value) in entries {
        match key.name.as_str() {
            "Sid" => {}
            "Effect" => {
                effect = match value.as_text().as_deref() {
                    Some("Allow") => Some(Effect::Allow),
                    Some("Deny") => Some(Effect::Deny),
                    _ => {
                        return Err(fail(
                            value.pos,
                            format!(
                                "the statement's `Effect` is {}; IAM knows `Allow` and `Deny` \
                                 (spelled so)",
                                value.kind
                            ),
                        ));
                    }
                }
            }
            "Action" => actions = Some(self::actions(value).map_err(|(pos, p)| fail(pos, p))?),
            "Resource" => {
                resources = Some(self::resources(sources, value).map_err(|(pos, p)| fail(pos, p))?)
            }
            "NotAction" | "NotResource" | "Principal" | "NotPrincipal" | "Condition" => {
                return Err(fail(
                    key.pos,
                    format!(
                        "the statement has `{}`, which the checker does not evaluate, so it \
                         cannot tell what this statement allows (and guessing could pass here \
                         what AWS refuses); write it with `Effect`, `Action` and `Resource` \
                         only, naming the actions and ARNs it is about",
                        key.name
                    ),
                ));
            }
            other => {
                return Err(fail(
                    key.pos,
                    format!(
                        "the statement has `{other}`, which IAM does not know; a statement has \
                         `Effect`, `Action` and `Resource` (and optionally `Sid`)"
                    ),
                ));
            }
        }
    }
    let missing = |what: &str, example: &str| -> StackError {
        StackErrorKind::Missing {
            at: r.at(item.pos),
            field: format!("{field}.{what}"),
            example: example.to_owned(),
        }
        .into()
    };
    Ok(Statement {
        effect: effect.ok_or_else(|| missing("Effect", "`Effect: Allow`"))?,
        actions: actions.ok_or_else(|| missing("Action", "`Action: [dynamodb:PutItem]`"))?,
        resources: resources
            .ok_or_else(|| missing("Resource", "`Resource: [!GetAtt ConnectionsTable.Arn]`"))?,
        origin: StatementOrigin::Declared(r.at(item.pos)),
    })
}

/// `Action`: one action or a list, each `service:Action` (wildcards allowed) or `*`.
fn actions(node: &Node) -> Result<Vec<String>, Problem> {
    let items = one_or_many(node);
    if items.is_empty() {
        return Err((
            node.pos,
            "the statement's `Action` names no action; write e.g. `Action: [dynamodb:PutItem]`"
                .to_owned(),
        ));
    }
    items
        .into_iter()
        .map(|item| {
            let Kind::Str(action) = &item.kind else {
                return Err((
                    item.pos,
                    format!(
                        "an `Action` is {}; write an action such as `dynamodb:Query`",
                        item.kind
                    ),
                ));
            };
            let well_formed = action == "*"
                || action.split_once(':').is_some_and(|(service, name)| {
                    !service.is_empty()
                        && service
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '-')
                        && !name.is_empty()
                        && name
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '*' || c == '?')
                });
            if well_formed {
                Ok(action.clone())
            } else {
                Err((
                    item.pos,
                    format!(
                        "the action `{action}` is not `service:Action`; IAM refuses it on \
                         deploy. Write e.g. `dynamodb:Query` or `dynamodb:*`"
                    ),
                ))
            }
        })
        .collect()
}

/// `Resource`: one ARN or a list, each text or a CloudFormation function
/// that gives one, or `*`.
fn resources(sources: &Sources<'_>, node: &Node) -> Result<Vec<String>, Problem> {
    let items = one_or_many(node);
    if items.is_empty() {
        return Err((node.pos, "the statement's `Resource` names nothing; write e.g. `Resource: [!GetAtt ConnectionsTable.Arn]`".to_owned()));
    }
    items
        .into_iter()
        .map(|item| {
            if let Some(account) = literal_account(item)
                .filter(|account| account != ACCOUNT_ID || written_on_line(sources, item.pos))
            {
                return Err((
                    item.pos,
                    format!(
                        "the resource writes the account `{account}` in its ARN: the stack \
                         runs in another account on AWS (and in {ACCOUNT_ID} here), so the \
                         statement grants on one side only. Let CloudFormation fill it in: \
                         `!GetAtt ConnectionsTable.Arn`, or `!Sub \
                         'arn:aws:dynamodb:${{AWS::Region}}:${{AWS::AccountId}}:table/…'`"
                    ),
                ));
            }
            let resource = sources.intrinsics.text(item)?;
            if resource == "*" || resource.starts_with("arn:") {
                Ok(resource)
            } else {
                Err((
                    item.pos,
                    format!(
                        "the resource is `{resource}`, which is not an ARN; IAM takes an ARN or \
                         `*` (and refuses anything else on deploy). For a table write \
                         `!GetAtt ConnectionsTable.Arn` (`!Ref` gives its name, not its ARN)"
                    ),
                ))
            }
        })
        .collect()
}

/// Whether the file's line `pos` has the emulator's account written out, not
/// given by `${aws:accountId}`, which Serverless resolves to it here (and to
/// the real account on deploy) before the role is read.
fn written_on_line(sources: &Sources<'_>, pos: Pos) -> bool {
    let Ok(text) = std::fs::read_to_string(sources.reader.file) else {
        return true;
    };
    let index = usize::try_from(pos.line.saturating_sub(1)).unwrap_or(usize::MAX);
    text.lines()
        .nth(index)
        .is_none_or(|line| line.contains(ACCOUNT_ID))
}

/// An account id written out (twelve digits) in an ARN of `node`, a text or a
/// CloudFormation function's arguments (`!Sub`, `!Join`).
fn literal_account(node: &Node) -> Option<String> {
    let is_account = |field: &str| field.len() == 12 && field.bytes().all(|b| b.is_ascii_digit());
    match &node.kind {
        Kind::Str(text) if is_account(text) => Some(text.clone()),
        Kind::Str(text) => {
            // `${AWS::Region}` of a `!Sub` holds colons of its own.
            let text = regex_lite::Regex::new(r"\$\{[^}]*\}")
                .expect("the pattern is valid")
                .replace_all(text, "$$");
            text.match_indices("arn:").find_map(|(start, _)| {
                let field = text[start..].split(':').nth(4)?;
                is_account(field).then(|| field.to_owned())
            })
        }
        Kind::Seq(items) => items.iter().find_map(literal_account),
        Kind::Map(entries) => entries.iter().find_map(|(_, value)| literal_account(value)),
        _ => None,
    }
}

/// A list's items, or the value alone.
fn one_or_many(node: &Node) -> Vec<&Node> {
    match &node.kind {
        Kind::Seq(items) => items.iter().collect(),
        Kind::Null => Vec::new(),
        _ => vec![node],
    }
}
