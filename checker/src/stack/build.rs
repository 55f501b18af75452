//! From the resolved YAML tree to a checked [`Stack`]: the provider, the functions
//! and their artifacts (`function`), environments (`environment`); the routes
//! (`routes`), tables (`tables`) and role (`iam`) are read beside it.

mod environment;
mod function;

use std::path::Path;
use std::time::Duration;

use super::cloudformation::Intrinsics;
use super::error::{StackError, StackErrorKind};
use super::reader::Reader;
use super::yaml::{Kind, MapKey, Node, Pos};
use super::{Function, Stack, StackOptions, iam, routes, tables};

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(6);
const DEFAULT_MEMORY_MB: u32 = 1024;

pub(super) fn stack(file: &Path, root: &Node, options: &StackOptions) -> Result<Stack, StackError> {
    let r = Reader { file };
    let service = service(&r, root)?;
    let (provider, provider_at) = provider(&r, root)?;
    let settings = ProviderSettings::read(&r, provider, options)?;
    let resources = root.get("resources");
    let tables = tables::tables(&r, resources)?;
    let intrinsics = Intrinsics {
        resources,
        tables: &tables,
        service: &service,
        stage: &settings.stage,
        region: &settings.region,
    };
    let context = environment::Context {
        reader: &r,
        intrinsics: &intrinsics,
        service: &service,
        stage: &settings.stage,
    };
    let defaults = defaults(&context, root, provider)?;
    let entries = match r.mapping(
        root,
        "functions",
        "functions",
        "`functions: { onConnect: { handler: bootstrap } }`",
    )? {
        Some(functions) => functions.entries().unwrap_or_default(),
        None => &[],
    };
    let functions = functions(&context, &defaults, entries)?;
    let routes = routes::routes(&r, entries)?;
    let role = iam::role(&iam::Sources {
        reader: &r,
        intrinsics: &intrinsics,
        provider,
        provider_at,
        entries,
        functions: &functions,
        has_websocket_routes: !routes.is_empty(),
    })?;
    Ok(Stack {
        file: file.to_path_buf(),
        dir: super::folder(file),
        service,
        stage: settings.stage,
        region: settings.region,
        runtime: settings.runtime,
        architecture: settings.architecture,
        route_selection_expression: settings.route_selection_expression,
        routes,
        functions,
        tables,
        role,
    })
}

/// Where a field missing from the top of the file is reported.
const TOP: Pos = Pos { line: 1, column: 1 };

fn service(r: &Reader<'_>, root: &Node) -> Result<String, StackError> {
    let service = match &root.kind {
        Kind::Map(_) => r.text(root, "service", "service", "`service: my-service`")?,
        _ => None,
    };
    service.ok_or_else(|| {
        StackErrorKind::Missing {
            at: r.at(TOP),
            field: "service".to_owned(),
            example: "`service: my-service` at the top of the file, with `provider:` and \
                      `functions:` below it"
                .to_owned(),
        }
        .into()
    })
}

/// The `provider` mapping, and where its key is written.
fn provider<'n>(r: &Reader<'_>, root: &'n Node) -> Result<(&'n Node, Pos), StackError> {
    let provider_example = "`provider: { name: aws, runtime: provided.al2023 }`";
    let Some(provider) = r.mapping(root, "provider", "provider", provider_example)? else {
        return Err(StackErrorKind::Missing {
            at: r.at(TOP),
            field: "provider".to_owned(),
            example: provider_example.to_owned(),
        }
        .into());
    };
    let at = root
        .entries()
        .and_then(|entries| entries.iter().find(|(key, _)| key.name == "provider"))
        .map_or(TOP, |(key, _)| key.pos);
    Ok((provider, at))
}

/// The provider's settings that are plain values.
struct ProviderSettings {
    runtime: String,
    stage: String,
    region: String,
    architecture: String,
    route_selection_expression: String,
}

impl ProviderSettings {
    fn read(r: &Reader<'_>, provider: &Node, options: &StackOptions) -> Result<Self, StackError> {
        let runtime = r.text(
            provider,
            "runtime",
            "provider.runtime",
            "`runtime: provided.al2023`",
        )?;
        let Some(runtime) = runtime else {
            return Err(StackErrorKind::Missing {
                at: r.at(provider.pos),
                field: "provider.runtime".to_owned(),
                example: "`runtime: provided.al2023` under `provider:` (Rust Lambdas run on the \
                          OS-only runtime)"
                    .to_owned(),
            }
            .into());
        };
        if !runtime.starts_with("provided") {
            let node = provider.get("runtime").unwrap_or(provider);
            return Err(r.wrong(
                node,
                "provider.runtime",
                "an OS-only runtime, which runs the `bootstrap` a Rust build makes (another \
                 runtime looks for a script of its language and every invocation fails on AWS)",
                "`runtime: provided.al2023`",
            ));
        }
        let stage = match &options.stage {
            Some(stage) => stage.clone(),
            None => r
                .text(provider, "stage", "provider.stage", "`stage: dev`")?
                .unwrap_or_else(|| "dev".to_owned()),
        };
        let region = match &options.region {
            Some(region) => region.clone(),
            None => r
                .text(provider, "region", "provider.region", "`region: eu-west-1`")?
                .unwrap_or_else(|| "us-east-1".to_owned()),
        };
        let architecture = architecture(r, provider)?;
        // Serverless falls back on any falsy value, the empty text included.
        let route_selection_expression = r
            .text(
                provider,
                "websocketsApiRouteSelectionExpression",
                "provider.websocketsApiRouteSelectionExpression",
                "`websocketsApiRouteSelectionExpression: $request.body.action`",
            )?
            .filter(|expression| !expression.is_empty())
            .unwrap_or_else(|| "$request.body.action".to_owned());
        Ok(Self {
            runtime,
            stage,
            region,
            architecture,
            route_selection_expression,
        })
    }
}

/// What functions inherit from the provider and the service's `package`.
fn defaults(
    context: &environment::Context<'_>,
    root: &Node,
    provider: &Node,
) -> Result<function::Defaults, StackError> {
    let r = context.reader;
    Ok(function::Defaults {
        environment: context.environment(provider, "provider.environment")?,
        timeout: function::timeout(r, provider, "of the provider")?.unwrap_or(DEFAULT_TIMEOUT),
        memory_size: function::memory_size(r, provider, "of the provider")?
            .unwrap_or(DEFAULT_MEMORY_MB),
        artifact: match r.mapping(
            root,
            "package",
            "package",
            "`package: { individually: true }`",
        )? {
            Some(package) => artifact(r, package, "package.artifact")?,
            None => None,
        },
    })
}

/// The functions of `functions:`, checked one by one and against each other.
fn functions(
    context: &environment::Context<'_>,
    defaults: &function::Defaults,
    entries: &[(MapKey, Node)],
) -> Result<Vec<Function>, StackError> {
    function::check_indentation(context.reader, entries)?;
    let functions = entries
        .iter()
        .map(|(key, body)| function::function(context, defaults, key, body))
        .collect::<Result<Vec<_>, _>>()?;
    function::check_logical_ids(&functions)?;
    function::check_deployed_names(&functions)?;
    function::check_artifact_names(&functions)?;
    Ok(functions)
}

fn architecture(r: &Reader<'_>, provider: &Node) -> Result<String, StackError> {
    let Some(node) = provider
        .get("architecture")
        .filter(|node| node.kind != Kind::Null)
    else {
        return Ok("x86_64".to_owned());
    };
    match &node.kind {
        Kind::Str(text) if text == "x86_64" || text == "arm64" => Ok(text.clone()),
        other => Err(StackErrorKind::Architecture {
            at: r.at(node.pos),
            found: other.to_string(),
        }
        .into()),
    }
}

/// `package.artifact` under `package`, and where it is written.
fn artifact(
    r: &Reader<'_>,
    package: &Node,
    field: &str,
) -> Result<Option<(String, Pos)>, StackError> {
    let example = "`artifact: target/lambda/<binary>.zip`";
    let artifact = r.text(package, "artifact", field, example)?;
    Ok(artifact.zip(package.get("artifact").map(|node| node.pos)))
}
