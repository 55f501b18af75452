//! The Serverless Framework v3 `serverless.yml` of an exercise, read into what the
//! emulator needs: functions (artifact, environment, limits) and websocket routes.
//!
//! Loading goes: YAML with positions (`yaml`) -> variables resolved (`variables`)
//! -> checked model (`build`). Errors name `file:line:column` and what to write.

mod authorizer;
mod build;
mod cloudformation;
mod error;
mod iam;
mod naming;
mod reader;
mod reading;
mod routes;
mod tables;
mod variables;
mod yaml;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use self::authorizer::{Authorizer, IdentitySource};
pub use self::cloudformation::{ACCOUNT_ID, table_arn};
pub use self::error::{Location, StackError, StackErrorKind};
pub use self::iam::{Decision, Effect, Role, STATEMENTS_FIELD, Statement, StatementOrigin};
pub(crate) use self::iam::{action_matches, resource_matches};
pub use self::tables::{Index, KeyAttribute, KeySchema, Projection, ScalarKind, Table};

#[derive(Clone, Debug)]
pub struct Stack {
    /// The serverless.yml path as given.
    pub file: PathBuf,
    /// Its folder; relative paths in the file (artifacts, `${file(...)}`) start here.
    pub dir: PathBuf,
    pub service: String,
    /// The `--stage` option, else `provider.stage`, else `dev`.
    pub stage: String,
    /// The `--region` option, else `provider.region`, else `us-east-1`.
    pub region: String,
    pub runtime: String,
    /// `x86_64` (the default) or `arm64`.
    pub architecture: String,
    /// `provider.websocketsApiRouteSelectionExpression`; absent or empty, `$request.body.action`
    /// (Serverless's fallback).
    pub route_selection_expression: String,
    /// In file order.
    pub functions: Vec<Function>,
    /// In file order.
    pub routes: Vec<Route>,
    /// The DynamoDB tables of `resources.Resources`, in file order.
    pub tables: Vec<Table>,
    /// The role every function runs with, as Serverless builds it; `None`
    /// without functions.
    pub role: Option<Role>,
}

#[derive(Clone, Debug)]
pub struct Function {
    /// Its key under `functions:`.
    pub name: String,
    /// The Lambda's name on AWS, which `AWS_LAMBDA_FUNCTION_NAME` holds: the function's
    /// `name:` if set and not empty, else `{service}-{stage}-{key}` as Serverless makes it.
    pub deployed_name: String,
    pub handler: String,
    /// `package.artifact` as written (variables resolved), else the service's.
    pub artifact: String,
    /// The cargo binary: the artifact's file name without `.zip`.
    pub binary: String,
    /// `provider.environment` overlaid by the function's own. CloudFormation
    /// `Ref`/`Fn::GetAtt` of resources in the file are turned into names and ARNs.
    pub environment: BTreeMap<String, String>,
    /// `timeout`, else `provider.timeout`, else 6 s.
    pub timeout: Duration,
    /// `memorySize`, else `provider.memorySize`, else 1024 (MB).
    pub memory_size: u32,
    /// Where the function is declared (its key), for later messages.
    pub at: Location,
    /// Where its artifact is written, e.g. for "no such cargo binary".
    pub artifact_at: Location,
}

#[derive(Clone, Debug)]
pub struct Route {
    /// `$connect`, `$disconnect`, `$default` or a custom key such as `sendMessage`.
    pub key: String,
    /// The name of the function it invokes.
    pub function: String,
    /// Long form with `routeResponseSelectionExpression: $default`: the function's
    /// response goes back to the client.
    pub two_way: bool,
    /// The Lambda authorizer API Gateway runs before the route (`$connect` only).
    pub authorizer: Option<Authorizer>,
    /// Where its `websocket:` entry is, for later messages.
    pub at: Location,
}

/// The CLI options that `${opt:...}` reads, like Serverless's `--stage` and `--region`.
#[derive(Clone, Debug, Default)]
pub struct StackOptions {
    pub stage: Option<String>,
    pub region: Option<String>,
}

impl Stack {
    /// Reads, resolves and checks `file`; `${env:...}` reads the process environment.
    pub fn load(file: &Path, options: &StackOptions) -> Result<Stack, StackError> {
        Stack::load_with_env(file, options, &|name| std::env::var(name).ok())
    }

    /// [`Stack::load`] with the environment given, so tests need not change the process's.
    pub fn load_with_env(
        file: &Path,
        options: &StackOptions,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Stack, StackError> {
        let text = std::fs::read_to_string(file).map_err(|cause| StackErrorKind::Read {
            file: file.to_path_buf(),
            cause,
        })?;
        let tree = yaml::parse(&text).map_err(|error| StackErrorKind::Yaml {
            at: Location::new(file, error.pos),
            message: error.message,
        })?;
        let tree = variables::resolve(file, &tree, options, env)?;
        build::stack(file, &tree, options)
    }

    pub fn route(&self, key: &str) -> Option<&Route> {
        self.routes.iter().find(|route| route.key == key)
    }

    pub fn function(&self, name: &str) -> Option<&Function> {
        self.functions.iter().find(|function| function.name == name)
    }

    /// The authorizer of `$connect`, the one route API Gateway authorizes.
    pub fn authorizer(&self) -> Option<&Authorizer> {
        self.route("$connect")?.authorizer.as_ref()
    }
}

/// The folder of `file`; `.` for a bare file name, so it can serve as a working directory.
fn folder(file: &Path) -> PathBuf {
    match file.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

#[cfg(test)]
mod tests;
