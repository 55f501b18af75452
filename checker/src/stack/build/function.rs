//! One function of `functions:`: handler, artifact (and the cargo binary it
//! names), environment, timeout and memory.

use std::collections::BTreeMap;
use std::path::{Component, Path};
use std::time::Duration;

use super::environment;
use crate::stack::Function;
use crate::stack::error::{self, Location, StackError, StackErrorKind};
use crate::stack::naming;
use crate::stack::reader::Reader;
use crate::stack::yaml::{Kind, MapKey, Node, Pos};

/// The longest Lambda function name AWS takes.
const MAX_DEPLOYED_NAME: usize = 64;

/// What functions inherit from `provider` and the service.
pub(super) struct Defaults {
    pub(super) environment: BTreeMap<String, String>,
    pub(super) timeout: Duration,
    pub(super) memory_size: u32,
    /// The service's `package.artifact`, and where it is written.
    pub(super) artifact: Option<(String, Pos)>,
}

/// Keys a function has, which YAML indented one level too little makes
/// function names of their own.
const FUNCTION_PROPERTIES: &[&str] = &[
    "events",
    "handler",
    "package",
    "environment",
    "timeout",
    "memorySize",
    "runtime",
    "architecture",
    "role",
];

/// A function's property written at the level of the function names (one
/// indentation too little: `events:` under `functions:` instead of under
/// `onMessage:`) is named, with the indentation that was probably meant.
pub(super) fn check_indentation(
    r: &Reader<'_>,
    entries: &[(MapKey, Node)],
) -> Result<(), StackError> {
    let mut previous: Option<&(MapKey, Node)> = None;
    for entry in entries {
        let (key, body) = entry;
        let looks_like_function =
            matches!(&body.kind, Kind::Map(_)) && body.get("handler").is_some();
        if FUNCTION_PROPERTIES.contains(&key.name.as_str()) && !looks_like_function {
            let fix = match previous {
                Some((function, function_body)) => {
                    // The previous function's own keys show the column meant.
                    let column = function_body
                        .entries()
                        .and_then(|entries| entries.first())
                        .map_or(function.pos.column + 2, |(first, _)| first.pos.column);
                    let more = column.saturating_sub(key.pos.column);
                    format!(
                        "it probably belongs to function \"{}\" above: indent `{}:` and the \
                         lines under it by {more} more space(s), so that `{}:` starts in column \
                         {column}, under that function's other keys",
                        function.name, key.name, key.name
                    )
                }
                None => format!(
                    "indent it under the function it belongs to, e.g. `onConnect:` then \
                     `  {}: …` two spaces further in",
                    key.name
                ),
            };
            return Err(StackErrorKind::MisindentedProperty {
                at: r.at(key.pos),
                property: key.name.clone(),
                fix,
            }
            .into());
        }
        previous = Some(entry);
    }
    Ok(())
}

pub(super) fn function(
    context: &environment::Context<'_>,
    defaults: &Defaults,
    key: &MapKey,
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
    if let Err(character) = naming::lambda_logical_id(name) {
        return Err(StackErrorKind::FunctionKey {
            at: r.at(key.pos),
            function: name.clone(),
            character,
        }
        .into());
    }
    let deployed_name = deployed_name(context, key, body)?;
    let (artifact, artifact_at, binary) = artifact(r, defaults, key, body)?;
    let mut environment = defaults.environment.clone();
    environment.extend(context.environment(body, &field("environment"))?);
    let whose = format!("of function \"{name}\"");
    Ok(Function {
        name: name.clone(),
        deployed_name,
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

/// The function's artifact (its own, else the service's), where it is
/// written, and the cargo binary it names.
fn artifact(
    r: &Reader<'_>,
    defaults: &Defaults,
    key: &MapKey,
    body: &Node,
) -> Result<(String, Location, String), StackError> {
    let name = &key.name;
    let field = |leaf: &str| format!("functions.{name}.{leaf}");
    let package = r.mapping(
        body,
        "package",
        &field("package"),
        "`package: { artifact: target/lambda/app.zip }`",
    )?;
    if let Some(package) = package {
        check_package_keys(r, key, body, package)?;
    }
    let own_artifact = match package {
        Some(package) => super::artifact(r, package, &field("package.artifact"))?,
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
    Ok((artifact, artifact_at, binary))
}

/// A function's own key (`events`, `environment`…) written under its
/// `package:`, one indentation too far in: Serverless v3 warns of the unknown
/// property and deploys the function without it, so its routes would be
/// missing on AWS as well.
fn check_package_keys(
    r: &Reader<'_>,
    function: &MapKey,
    body: &Node,
    package: &Node,
) -> Result<(), StackError> {
    let Some((property, _)) = package
        .entries()
        .unwrap_or_default()
        .iter()
        .find(|(key, _)| FUNCTION_PROPERTIES.contains(&key.name.as_str()) && key.name != "package")
    else {
        return Ok(());
    };
    let column = body
        .entries()
        .and_then(|entries| entries.iter().find(|(key, _)| key.name == "package"))
        .map_or(function.pos.column + 2, |(key, _)| key.pos.column);
    Err(StackErrorKind::PropertyUnderPackage {
        at: r.at(property.pos),
        function: function.name.clone(),
        property: property.name.clone(),
        more: property.pos.column.saturating_sub(column),
        column,
    }
    .into())
}

/// The Lambda's name on AWS: `name:`, else (also when empty, as Serverless does)
/// `{service}-{stage}-{key}`. AWS takes at most 64 letters, digits, `-` and `_`.
fn deployed_name(
    context: &environment::Context<'_>,
    key: &MapKey,
    body: &Node,
) -> Result<String, StackError> {
    let r = context.reader;
    let function = &key.name;
    let example = "`name: my-function`";
    let own = r
        .text(body, "name", &format!("functions.{function}.name"), example)?
        .filter(|name| !name.is_empty());
    let (deployed_name, at, advice) = match (own, body.get("name")) {
        (Some(own), Some(node)) => (
            own,
            node.pos,
            "change the function's `name:`, or remove it for the default \
             `<service>-<stage>-<function>`",
        ),
        _ => (
            format!("{}-{}-{function}", context.service, context.stage),
            key.pos,
            "Serverless makes that name as `<service>-<stage>-<function>`: shorten the service, \
             the stage or the function key, or give the function a `name:` of its own",
        ),
    };
    let length = deployed_name.chars().count();
    let stray = deployed_name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'));
    let problem = match stray {
        Some(c) => format!(
            "Lambda names take only letters, digits, `-` and `_`, and it has {}",
            error::shown(&c)
        ),
        None if length > MAX_DEPLOYED_NAME => format!(
            "Lambda names are at most {MAX_DEPLOYED_NAME} characters long, and it has {length}"
        ),
        None => return Ok(deployed_name),
    };
    Err(StackErrorKind::DeployedName {
        at: r.at(at),
        function: function.clone(),
        deployed_name,
        problem,
        advice: advice.to_owned(),
    }
    .into())
}

/// Serverless names a function's CloudFormation resources after its key, upper-casing
/// the first letter: `sendMessage` and `SendMessage` would be one Lambda.
pub(super) fn check_logical_ids(functions: &[Function]) -> Result<(), StackError> {
    let id = |function: &Function| naming::lambda_logical_id(&function.name).ok();
    for (i, function) in functions.iter().enumerate() {
        let logical_id = id(function);
        if let Some(other) = functions[..i].iter().find(|other| id(other) == logical_id) {
            return Err(StackErrorKind::FunctionLogicalIdClash {
                at: function.at.clone(),
                function: function.name.clone(),
                other_at: other.at.clone(),
                other_function: other.name.clone(),
                logical_id: logical_id.unwrap_or_default(),
            }
            .into());
        }
    }
    Ok(())
}

/// Two functions deployed under one Lambda name (a `name:` written twice).
pub(super) fn check_deployed_names(functions: &[Function]) -> Result<(), StackError> {
    for (i, function) in functions.iter().enumerate() {
        let same = |other: &&Function| other.deployed_name == function.deployed_name;
        if let Some(other) = functions[..i].iter().find(same) {
            return Err(StackErrorKind::DeployedNameTwice {
                at: function.at.clone(),
                function: function.name.clone(),
                other_at: other.at.clone(),
                other_function: other.name.clone(),
                deployed_name: function.deployed_name.clone(),
            }
            .into());
        }
    }
    Ok(())
}

/// `timeout` in seconds, as a number or numeric text (an `${env:...}` gives text).
pub(super) fn timeout(
    r: &Reader<'_>,
    parent: &Node,
    whose: &str,
) -> Result<Option<Duration>, StackError> {
    let Some(node) = parent.get("timeout").filter(|node| node.kind != Kind::Null) else {
        return Ok(None);
    };
    let seconds = node
        .as_text()
        .and_then(|text| text.trim().parse::<f64>().ok());
    match seconds {
        // CloudFormation's `Timeout` is an integer: 2.5 fails the deploy.
        Some(seconds) if seconds > 0.0 && seconds <= 900.0 && seconds.fract() == 0.0 => {
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

pub(super) fn memory_size(
    r: &Reader<'_>,
    parent: &Node,
    whose: &str,
) -> Result<Option<u32>, StackError> {
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
pub(super) fn check_artifact_names(functions: &[Function]) -> Result<(), StackError> {
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
