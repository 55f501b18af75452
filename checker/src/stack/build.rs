//! From the resolved YAML tree to a checked [`Stack`]: the provider, the functions
//! and their artifacts (`function`), environments (`environment`); routes are in `events`.

mod environment;
mod function;

use std::path::Path;
use std::time::Duration;

use super::cloudformation::Intrinsics;
use super::error::{Location, StackError, StackErrorKind};
use super::yaml::{Kind, Node, Pos};
use super::{Stack, StackOptions, events, iam, tables};

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(6);
const DEFAULT_MEMORY_MB: u32 = 1024;

/// Reads typed values out of the tree, with errors pointing into `file`.
pub(super) struct Reader<'a> {
    pub(super) file: &'a Path,
}

impl Reader<'_> {
    pub(super) fn at(&self, pos: Pos) -> Location {
        Location::new(self.file, pos)
    }

    pub(super) fn wrong(
        &self,
        node: &Node,
        field: &str,
        expected: &'static str,
        example: &str,
    ) -> StackError {
        StackErrorKind::WrongType {
            at: self.at(node.pos),
            field: field.to_owned(),
            expected,
            found: node.kind.to_string(),
            example: example.to_owned(),
        }
        .into()
    }

    /// A text value; `None` when the key is absent or empty.
    pub(super) fn text(
        &self,
        parent: &Node,
        key: &str,
        field: &str,
        example: &str,
    ) -> Result<Option<String>, StackError> {
        match parent.get(key) {
            None => Ok(None),
            Some(node) => match &node.kind {
                Kind::Null => Ok(None),
                Kind::Str(text) => Ok(Some(text.clone())),
                _ => Err(self.wrong(node, field, "a text", example)),
            },
        }
    }

    /// A mapping's entries; `None` when the key is absent or empty.
    pub(super) fn mapping<'n>(
        &self,
        parent: &'n Node,
        key: &str,
        field: &str,
        example: &str,
    ) -> Result<Option<&'n Node>, StackError> {
        match parent.get(key) {
            None => Ok(None),
            Some(node) => match &node.kind {
                Kind::Null => Ok(None),
                Kind::Map(_) => Ok(Some(node)),
                _ => Err(self.wrong(node, field, "a mapping", example)),
            },
        }
    }
}

pub(super) fn stack(file: &Path, root: &Node, options: &StackOptions) -> Result<Stack, StackError> {
    let r = Reader { file };
    let top = Pos { line: 1, column: 1 };
    let service = match &root.kind {
        Kind::Map(_) => r.text(root, "service", "service", "`service: my-service`")?,
        _ => None,
    };
    let Some(service) = service else {
        return Err(StackErrorKind::Missing {
            at: r.at(top),
            field: "service".to_owned(),
            example: "`service: my-service` at the top of the file, with `provider:` and \
                      `functions:` below it"
                .to_owned(),
        }
        .into());
    };
    let provider_example = "`provider: { name: aws, runtime: provided.al2023 }`";
    let Some(provider) = r.mapping(root, "provider", "provider", provider_example)? else {
        return Err(StackErrorKind::Missing {
            at: r.at(top),
            field: "provider".to_owned(),
            example: provider_example.to_owned(),
        }
        .into());
    };
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
    let architecture = architecture(&r, provider)?;
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
    let resources = root.get("resources");
    let tables = tables::tables(&r, resources)?;
    let intrinsics = Intrinsics {
        resources,
        tables: &tables,
        service: &service,
        stage: &stage,
        region: &region,
    };
    let context = environment::Context {
        reader: &r,
        intrinsics: &intrinsics,
        service: &service,
        stage: &stage,
    };
    let defaults = function::Defaults {
        environment: context.environment(provider, "provider.environment")?,
        timeout: function::timeout(&r, provider, "of the provider")?.unwrap_or(DEFAULT_TIMEOUT),
        memory_size: function::memory_size(&r, provider, "of the provider")?
            .unwrap_or(DEFAULT_MEMORY_MB),
        artifact: match r.mapping(
            root,
            "package",
            "package",
            "`package: { individually: true }`",
        )? {
            Some(package) => artifact(&r, package, "package.artifact")?,
            None => None,
        },
    };
    let entries = match r.mapping(
        root,
        "functions",
        "functions",
        "`functions: { onConnect: { handler: bootstrap } }`",
    )? {
        Some(functions) => functions.entries().unwrap_or_default(),
        None => &[],
    };
    function::check_indentation(&r, entries)?;
    let functions = entries
        .iter()
        .map(|(key, body)| function::function(&context, &defaults, key, body))
        .collect::<Result<Vec<_>, _>>()?;
    function::check_logical_ids(&functions)?;
    function::check_deployed_names(&functions)?;
    function::check_artifact_names(&functions)?;
    let routes = events::routes(&r, entries)?;
    let role = iam::role(&iam::Sources {
        reader: &r,
        intrinsics: &intrinsics,
        provider,
        provider_at: root
            .entries()
            .and_then(|entries| entries.iter().find(|(key, _)| key.name == "provider"))
            .map_or(top, |(key, _)| key.pos),
        entries,
        functions: &functions,
        has_websocket_events: !routes.is_empty(),
    })?;
    Ok(Stack {
        file: file.to_path_buf(),
        dir: super::folder(file),
        service,
        stage,
        region,
        runtime,
        architecture,
        route_selection_expression,
        routes,
        functions,
        tables,
        role,
    })
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
