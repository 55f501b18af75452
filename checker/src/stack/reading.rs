//! The stack as data: what `checker stack --json` prints
//! (`scripts/serverless-package-check` compares it with Serverless's own
//! output) and what the console shows.

use serde_json::{Value, json};

use super::{Index, Role, Route, Stack, StatementOrigin, Table};

impl Stack {
    /// The stack as `checker stack --json` prints it and the console shows it.
    pub fn reading(&self) -> Value {
        let stack = self;
        let routes: Vec<Value> = stack.routes.iter().map(route).collect();
        let functions: Vec<Value> = stack
            .functions
            .iter()
            .map(|f| {
                json!({
                    "name": f.name,
                    "deployedName": f.deployed_name,
                    "artifact": f.artifact,
                    "binary": f.binary,
                    "timeout": f.timeout.as_secs_f64(),
                    "memorySize": f.memory_size,
                })
            })
            .collect();
        json!({
            "service": stack.service,
            "stage": stack.stage,
            "region": stack.region,
            "routeSelectionExpression": stack.route_selection_expression,
            "routes": routes,
            "functions": functions,
            "tables": stack.tables.iter().map(table).collect::<Vec<_>>(),
            "role": stack.role.as_ref().map(role),
        })
    }
}

/// A route, with its authorizer when it has one: the function API Gateway
/// invokes (Serverless lets it, with `lambda:InvokeFunction` for
/// `apigateway.amazonaws.com`) and where it reads the identity.
fn route(route: &Route) -> Value {
    let mut reading =
        json!({"key": route.key, "function": route.function, "twoWay": route.two_way});
    if let Some(authorizer) = &route.authorizer {
        let sources: Vec<String> = authorizer
            .identity_sources
            .iter()
            .map(ToString::to_string)
            .collect();
        reading["authorizer"] = json!({
            "function": authorizer.function,
            "identitySource": sources,
        });
    }
    reading
}

/// The execution role: its name and its policy's statements, in CloudFormation's
/// shape with every function worked out, each with where it comes from.
fn role(role: &Role) -> Value {
    let statements: Vec<Value> = role
        .statements
        .iter()
        .map(|statement| {
            let from = match &statement.origin {
                StatementOrigin::Declared(at) => at.to_string(),
                StatementOrigin::Serverless(why) => format!("added by Serverless ({why})"),
            };
            json!({
                "Effect": statement.effect,
                "Action": statement.actions,
                "Resource": statement.resources,
                "from": from,
            })
        })
        .collect();
    json!({ "name": role.name, "statements": statements })
}

/// A table as the emulator creates it, its parts in CloudFormation's shape.
fn table(table: &Table) -> Value {
    let indexes = |local: bool| -> Vec<&Index> {
        table
            .indexes
            .iter()
            .filter(|index| index.local == local)
            .collect()
    };
    json!({
        "logicalId": table.logical_id,
        "tableName": table.declared_name,
        "name": table.name,
        "keySchema": table.key,
        "attributeDefinitions": table.attributes,
        "billingMode": table.billing_mode,
        "globalSecondaryIndexes": indexes(false),
        "localSecondaryIndexes": indexes(true),
    })
}
