//! From the resolved YAML tree to a checked [`Stack`]: the provider, the functions
//! and their artifacts; routes are in `events`, environments in `environment`.

mod environment;

use std::collections::BTreeMap;
use std::path::{Component, Path};
use std::time::Duration;

use super::error::{Location, StackError, StackErrorKind};
use super::yaml::{Key, Kind, Node, Pos};
use super::{Function, Stack, StackOptions, events};

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

/// What functions inherit from `provider` and the service.
struct Defaults {
    environment: BTreeMap<String, String>,
    timeout: Duration,
    memory_size: u32,
    /// The service's `package.artifact`, and where it is written.
    artifact: Option<(String, Pos)>,
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
    let route_selection_expression = r
        .text(
            provider,
            "websocketsApiRouteSelectionExpression",
            "provider.websocketsApiRouteSelectionExpression",
            "`websocketsApiRouteSelectionExpression: $request.body.action`",
        )?
        .unwrap_or_else(|| "$request.body.action".to_owned());
    let resources_node = root.get("resources");
    let context = environment::Context {
        reader: &r,
        resources: resources_node,
        service: &service,
        stage: &stage,
        region: &region,
    };
    let defaults = Defaults {
        environment: context.environment(provider, "provider.environment")?,
        timeout: timeout(&r, provider, "of the provider")?.unwrap_or(DEFAULT_TIMEOUT),
        memory_size: memory_size(&r, provider, "of the provider")?.unwrap_or(DEFAULT_MEMORY_MB),
        artifact: match r.mapping(
            root,
            "package",
            "package",
            "`package: { individually: true }`",
        )? {
            Some(package) => r
                .text(
                    package,
                    "artifact",
                    "package.artifact",
                    "`artifact: target/lambda/app.zip`",
                )?
                .zip(package.get("artifact").map(|node| node.pos)),
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
    let functions = entries
        .iter()
        .map(|(key, body)| function(&context, &defaults, key, body))
        .collect::<Result<Vec<_>, _>>()?;
    check_artifact_names(&functions)?;
    Ok(Stack {
        file: file.to_path_buf(),
        dir: super::folder(file),
        service,
        stage,
        region,
        runtime,
        architecture,
        route_selection_expression,
        routes: events::routes(&r, entries)?,
        functions,
        resources: resources_node.map_or(serde_json::Value::Null, Node::to_json),
    })
}

fn function(
    context: &environment::Context<'_>,
    defaults: &Defaults,
    key: &Key,
    body: &Node,
) -> Result<Function, StackError> {
    let r = context.reader;
    let name = &key.name;
    let field = |leaf: &str| format!("functions.{name}.{leaf}");
    let handler_example =
        "`handler: bootstrap` (provided runtimes ignore it, but Serverless requires it)";
    let handler = match &body.kind {
        Kind::Map(_) => r.text(body, "handler", &field("handler"), "`handler: bootstrap`")?,
        Kind::Null => None,
        _ => {
            return Err(r.wrong(
                body,
                &format!("functions.{name}"),
                "a mapping",
                "`onConnect: { handler: bootstrap }`",
            ));
        }
    };
    let Some(handler) = handler else {
        return Err(StackErrorKind::Missing {
            at: r.at(key.pos),
            field: field("handler"),
            example: handler_example.to_owned(),
        }
        .into());
    };
    let package = r.mapping(
        body,
        "package",
        &field("package"),
        "`package: { artifact: target/lambda/app.zip }`",
    )?;
    let own_artifact = match package {
        Some(package) => r
            .text(
                package,
                "artifact",
                &field("package.artifact"),
                "`artifact: target/lambda/app.zip`",
            )?
            .zip(package.get("artifact").map(|node| node.pos)),
        None => None,
    };
    let Some((artifact, artifact_pos)) = own_artifact.or_else(|| defaults.artifact.clone()) else {
        let at = r.at(package.map_or(key.pos, |package| package.pos));
        return Err(StackErrorKind::NoArtifact {
            at,
            function: name.clone(),
        }
        .into());
    };
    let artifact_at = r.at(artifact_pos);
    let binary = Path::new(&artifact)
        .file_name()
        .and_then(|file_name| file_name.to_str())
        .and_then(|file_name| file_name.strip_suffix(".zip"))
        .filter(|binary| !binary.is_empty())
        .map(str::to_owned);
    let Some(binary) = binary else {
        return Err(StackErrorKind::ArtifactNotZip {
            at: artifact_at,
            function: name.clone(),
            artifact,
        }
        .into());
    };
    let mut environment = defaults.environment.clone();
    environment.extend(context.environment(body, &field("environment"))?);
    let whose = format!("of function \"{name}\"");
    Ok(Function {
        name: name.clone(),
        handler,
        artifact,
        binary,
        environment,
        timeout: timeout(r, body, &whose)?.unwrap_or(defaults.timeout),
        memory_size: memory_size(r, body, &whose)?.unwrap_or(defaults.memory_size),
        at: r.at(key.pos),
        artifact_at,
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

/// `timeout` in seconds, as a number or numeric text (an `${env:...}` gives text).
fn timeout(r: &Reader<'_>, parent: &Node, whose: &str) -> Result<Option<Duration>, StackError> {
    let Some(node) = parent.get("timeout").filter(|node| node.kind != Kind::Null) else {
        return Ok(None);
    };
    let seconds = node
        .as_text()
        .and_then(|text| text.trim().parse::<f64>().ok());
    match seconds {
        Some(seconds) if seconds > 0.0 && seconds <= 900.0 => {
            Ok(Some(Duration::from_secs_f64(seconds)))
        }
        _ => Err(StackErrorKind::Timeout {
            at: r.at(node.pos),
            whose: whose.to_owned(),
            found: node.kind.to_string(),
        }
        .into()),
    }
}

fn memory_size(r: &Reader<'_>, parent: &Node, whose: &str) -> Result<Option<u32>, StackError> {
    let Some(node) = parent
        .get("memorySize")
        .filter(|node| node.kind != Kind::Null)
    else {
        return Ok(None);
    };
    let megabytes = node
        .as_text()
        .and_then(|text| text.trim().parse::<u32>().ok());
    match megabytes {
        Some(megabytes) if (128..=10240).contains(&megabytes) => Ok(Some(megabytes)),
        _ => Err(StackErrorKind::MemorySize {
            at: r.at(node.pos),
            whose: whose.to_owned(),
            found: node.kind.to_string(),
        }
        .into()),
    }
}

/// Serverless v3 uploads artifacts by file name only (serverless/serverless#5939):
/// two different artifacts with one file name would overwrite each other.
fn check_artifact_names(functions: &[Function]) -> Result<(), StackError> {
    for (i, function) in functions.iter().enumerate() {
        let file_name = Path::new(&function.artifact).file_name();
        let clash = functions[..i].iter().find(|other| {
            Path::new(&other.artifact).file_name() == file_name
                && normal(&other.artifact) != normal(&function.artifact)
        });
        if let Some(other) = clash {
            return Err(StackErrorKind::ArtifactNameClash {
                at: function.artifact_at.clone(),
                function: function.name.clone(),
                artifact: function.artifact.clone(),
                other_at: other.artifact_at.clone(),
                other_function: other.name.clone(),
                other_artifact: other.artifact.clone(),
                file_name: format!("{}.zip", function.binary),
            }
            .into());
        }
    }
    Ok(())
}

/// The artifact's path without `./` parts, so `./a.zip` and `a.zip` are one file.
fn normal(artifact: &str) -> Vec<Component<'_>> {
    Path::new(artifact)
        .components()
        .filter(|c| *c != Component::CurDir)
        .collect()
}
