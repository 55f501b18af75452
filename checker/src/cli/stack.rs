//! `checker stack FILE [--json]`: how the checker reads a `serverless.yml`, its
//! routes, functions and DynamoDB tables, as text or as JSON for other tools
//! (`scripts/serverless-package-check` compares it with Serverless's own output).

use std::path::PathBuf;
use std::process::ExitCode;

use checker::stack::{Index, Origin, Role, Stack, StackOptions, Table};
use serde_json::{Value, json};

#[derive(Debug, clap::Args)]
pub(crate) struct StackArgs {
    /// The `serverless.yml` to read.
    file: PathBuf,
    /// Print JSON: service, stage, region, routeSelectionExpression, routes, functions, tables,
    /// role (the execution role's statements, as the emulator enforces them).
    #[arg(long)]
    json: bool,
    /// The stage, as `serverless package --stage` would take it.
    #[arg(long)]
    stage: Option<String>,
}

pub(crate) fn run(args: &StackArgs) -> anyhow::Result<ExitCode> {
    let options = StackOptions {
        stage: args.stage.clone(),
        region: None,
    };
    let stack = Stack::load(&args.file, &options)?;
    let reading = reading(&stack);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&reading)?);
    } else {
        print!("{}", text(&reading));
    }
    Ok(ExitCode::SUCCESS)
}

/// The stack as the JSON `--json` prints.
fn reading(stack: &Stack) -> Value {
    let routes: Vec<Value> = stack
        .routes
        .iter()
        .map(|route| json!({"key": route.key, "function": route.function, "twoWay": route.two_way}))
        .collect();
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

/// The execution role: its name and its policy's statements, in CloudFormation's
/// shape with every function worked out, each with where it comes from.
fn role(role: &Role) -> Value {
    let statements: Vec<Value> = role
        .statements
        .iter()
        .map(|statement| {
            let from = match &statement.origin {
                Origin::Declared(at) => at.to_string(),
                Origin::Serverless(why) => format!("added by Serverless ({why})"),
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

/// The same reading for a person.
fn text(reading: &Value) -> String {
    let str = |value: &Value| value.as_str().unwrap_or_default().to_owned();
    let mut out = format!(
        "{} (stage {}), route selection expression {}\n",
        str(&reading["service"]),
        str(&reading["stage"]),
        str(&reading["routeSelectionExpression"]),
    );
    let list = |value: &Value| value.as_array().cloned().unwrap_or_default();
    out.push_str("Routes:\n");
    for route in list(&reading["routes"]) {
        let two_way = if route["twoWay"] == true {
            " (two-way)"
        } else {
            ""
        };
        out.push_str(&format!(
            "  {:<14} -> {}{two_way}\n",
            str(&route["key"]),
            str(&route["function"])
        ));
    }
    out.push_str("Functions:\n");
    for function in list(&reading["functions"]) {
        out.push_str(&format!(
            "  {:<14} {}\n",
            str(&function["name"]),
            str(&function["artifact"])
        ));
    }
    let tables = list(&reading["tables"]);
    if !tables.is_empty() {
        out.push_str("DynamoDB tables:\n");
        for table in tables {
            let name = match &table["tableName"] {
                Value::String(name) => name.clone(),
                Value::Null => "(named by CloudFormation)".to_owned(),
                other => other.to_string(),
            };
            out.push_str(&format!("  {:<14} {name}\n", str(&table["logicalId"])));
        }
    }
    if let Some(role) = reading["role"].as_object() {
        out.push_str(&format!(
            "IAM role {} (every function):\n",
            role.get("name").map(str).unwrap_or_default()
        ));
        let joined = |value: &Value| list(value).iter().map(str).collect::<Vec<_>>().join(", ");
        for statement in role.get("statements").map(list).unwrap_or_default() {
            out.push_str(&format!(
                "  {} {}\n    on {}\n    from {}\n",
                str(&statement["Effect"]),
                joined(&statement["Action"]),
                joined(&statement["Resource"]),
                str(&statement["from"]),
            ));
        }
    }
    out
}
