//! `checker stack FILE [--json]`: how the checker reads a `serverless.yml`, its
//! routes, functions and DynamoDB tables, as text or as JSON for other tools
//! (`scripts/serverless-package-check` compares it with Serverless's own output).

use std::path::PathBuf;
use std::process::ExitCode;

use checker::stack::{Stack, StackOptions};
use serde_json::Value;

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
    let reading = stack.reading();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&reading)?);
    } else {
        print!("{}", text(&reading));
    }
    Ok(ExitCode::SUCCESS)
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
        // A $connect authorizer runs first, reading the identity where it says.
        let authorized = match route.get("authorizer") {
            Some(authorizer) => format!(
                " (authorizer {}, identity from {})",
                str(&authorizer["function"]),
                list(&authorizer["identitySource"])
                    .iter()
                    .map(str)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            None => String::new(),
        };
        out.push_str(&format!(
            "  {:<14} -> {}{two_way}{authorized}\n",
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
