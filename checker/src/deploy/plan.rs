//! A deployment planned: which `serverless.yml` (an exercise's, or the
//! repository's root app), which learner id as the stage, the stack read
//! with it, and whether every prerequisite of the command holds. `deploy`
//! and `remove` both start here.

use std::path::{Path, PathBuf};

use anyhow::Context;

use super::{learner, prerequisites};
use crate::stack::{Stack, StackOptions};
use crate::workshop::{Exercise, Variant, Workshop};

/// What a deployment is planned for: deploying builds, so it needs
/// more than removing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Deploy,
    Remove,
}

impl Action {
    pub fn name(self) -> &'static str {
        match self {
            Self::Deploy => "deploy",
            Self::Remove => "remove",
        }
    }
}

/// What the learner asked for.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// An exercise by name or number; the root `serverless.yml` when `None`.
    pub exercise: Option<&'a str>,
    pub variant: Variant,
    /// `--learner ID`.
    pub learner: Option<&'a str>,
    /// `--region R`.
    pub region: Option<&'a str>,
}

/// What a command works on.
#[derive(Debug, Clone)]
pub struct Service {
    /// The exercise whose checks grade it.
    pub exercise: Exercise,
    pub variant: Variant,
    pub file: PathBuf,
    /// What the learner types after `deploy`/`remove`/`check`: `02`, or nothing.
    pub short: Option<String>,
}

/// A deployment ready to run: every prerequisite of its command holds.
#[derive(Debug)]
pub struct Deployment {
    pub root: PathBuf,
    pub service: Service,
    /// The learner id: the Serverless stage.
    pub id: String,
    pub source: learner::IdSource,
    pub stack: Stack,
    /// `--region`, as asked.
    pub region: Option<String>,
}

/// A plan: ready, or the paragraphs that say what is missing first.
#[derive(Debug)]
pub enum Planned {
    Ready(Box<Deployment>),
    Missing(Vec<String>),
}

impl Deployment {
    /// Whether the stack stores what its clients leave behind: tables, and
    /// no `$disconnect` route to tidy up (exercise 03, by design).
    pub fn keeps_ids_of_closed_connections(&self) -> bool {
        !self.stack.tables.is_empty()
            && !self
                .stack
                .routes
                .iter()
                .any(|route| route.key == "$disconnect")
    }

    /// Finds the service, the learner id and the stack, and checks the
    /// prerequisites of `action`.
    pub fn plan(
        workshop: &Workshop,
        request: &Request<'_>,
        action: Action,
    ) -> anyhow::Result<Planned> {
        let root = workshop.root.clone();
        let service = service(workshop, request)?;
        let (mut id, source) = learner_id(&root, request.learner)?;
        let stack = load_stack(workshop, &service, &mut id, &source, request.region)?;
        let missing = missing_prerequisites(&stack, &root, &id, action == Action::Deploy);
        if !missing.is_empty() {
            return Ok(Planned::Missing(missing));
        }
        Ok(Planned::Ready(Box::new(Self {
            root,
            service,
            id,
            source,
            stack,
            region: request.region.map(str::to_owned),
        })))
    }

    /// `{service}-{stage}`: the CloudFormation stack's name.
    pub fn stack_name(&self) -> String {
        format!("{}-{}", self.stack.service, self.stack.stage)
    }

    /// `path` relative to the workshop, as the learner reads it.
    pub fn relative(&self, path: &Path) -> String {
        relative(&self.root, path)
    }

    /// `cargo run -p checker -- <command> [02] [--solutions] [--learner ID] [--region R]`,
    /// with `--learner` only when the id came from it.
    pub fn command_line(&self, action: Action) -> String {
        let mut line = format!("cargo run -p checker -- {}", action.name());
        if let Some(short) = &self.service.short {
            line.push(' ');
            line.push_str(short);
        }
        if self.service.variant == Variant::Solution && action == Action::Deploy {
            line.push_str(" --solutions");
        }
        if matches!(self.source, learner::IdSource::Option) {
            line.push_str(&format!(" --learner {}", self.id));
        }
        if let Some(region) = &self.region {
            line.push_str(&format!(" --region {region}"));
        }
        line
    }

    /// `cargo run -p checker -- check 02 --endpoint URL` (`compare` with
    /// `--solutions` for a solution).
    pub fn check_line(&self, command: &str, url: &str) -> String {
        let short = self
            .service
            .short
            .clone()
            .unwrap_or_else(|| self.service.exercise.short_name().to_owned());
        let solutions = if command == "compare" && self.service.variant == Variant::Solution {
            " --solutions"
        } else {
            ""
        };
        format!("cargo run -p checker -- {command} {short} --endpoint {url}{solutions}")
    }

    /// Saves an id derived just now for the next deploys; whether it did.
    pub fn save_learner_id(&self) -> anyhow::Result<bool> {
        if !matches!(self.source, learner::IdSource::Derived { .. }) {
            return Ok(false);
        }
        learner::store(&self.root, &self.id).context("cannot save the learner id")?;
        Ok(true)
    }

    /// The learner id and a sentence saying where it comes from.
    pub fn describe_learner(&self, saved: bool) -> String {
        let (id, root) = (&self.id, &self.root);
        match &self.source {
            learner::IdSource::Option => format!("Learner id: {id} (from --learner)."),
            learner::IdSource::File(path) => format!(
                "Learner id: {id} (from {}; --learner ID uses another).",
                relative(root, path)
            ),
            learner::IdSource::Derived { from } if saved => format!(
                "Learner id: {id} (from {from:?}; saved in {} for the next deploys, --learner ID uses another).",
                relative(root, &learner::file(root))
            ),
            learner::IdSource::Derived { from } => format!(
                "Learner id: {id} (from {from:?}: there is no {} yet; --learner ID uses another).",
                relative(root, &learner::file(root))
            ),
        }
    }
}

fn service(workshop: &Workshop, request: &Request<'_>) -> anyhow::Result<Service> {
    match request.exercise {
        Some(asked) => {
            let exercise = workshop.find(asked)?.clone();
            let file = workshop
                .dir(&exercise, request.variant)
                .join("serverless.yml");
            let short = Some(exercise.short_name().to_owned());
            Ok(Service {
                exercise,
                variant: request.variant,
                file,
                short,
            })
        }
        None => {
            let exercise = workshop
                .exercises
                .last()
                .cloned()
                .context("exercises/info.toml lists no exercise")?;
            Ok(Service {
                exercise,
                // The root app names its binaries directly.
                variant: Variant::Learner,
                file: workshop.root.join("serverless.yml"),
                short: None,
            })
        }
    }
}

/// The learner id and where it comes from.
fn learner_id(root: &Path, explicit: Option<&str>) -> anyhow::Result<(String, learner::IdSource)> {
    let stored_at = learner::file(root);
    let stored = learner::stored(root);
    let name = if explicit.is_none() && stored.is_none() {
        learner::name_to_derive_from(root)
    } else {
        None
    };
    Ok(learner::choose(explicit, stored, &stored_at, name)?)
}

fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// The paragraphs for whatever is missing, quick checks only.
fn missing_prerequisites(stack: &Stack, root: &Path, stage: &str, build: bool) -> Vec<String> {
    let var = prerequisites::process_env;
    let env = prerequisites::Environment { var: &var };
    let mut missing = Vec::new();
    if !prerequisites::has_aws_credentials(&env) {
        missing.push(prerequisites::CREDENTIALS.to_owned());
    }
    if prerequisites::find_program(&env, "node").is_none()
        || prerequisites::find_program(&env, "npm").is_none()
    {
        missing.push(prerequisites::NODE.to_owned());
    }
    if build {
        if prerequisites::find_cargo_lambda(&env).is_none() {
            missing.push(prerequisites::CARGO_LAMBDA.to_owned());
        }
        let target = prerequisites::rust_target(&stack.architecture);
        if prerequisites::rust_target_installed(root, target) == Some(false) {
            missing.push(prerequisites::target_message(
                &relative(root, &stack.file),
                &stack.architecture,
                target,
            ));
        }
        let names: Vec<String> = stack
            .functions
            .iter()
            .map(|function| function.deployed_name.clone())
            .collect();
        let (name, len) = prerequisites::longest_name(&stack.service, stage, &stack.region, &names);
        if len > 64 {
            missing.push(prerequisites::name_message(&name, len, stage));
        }
    }
    missing
}

/// The longest stage that keeps the names of `stack` and of every exercise's
/// IAM role (same region) within AWS's limits; `stage` is the one `stack` was loaded with.
fn derived_budget(workshop: &Workshop, stack: &Stack, stage: &str) -> usize {
    let names: Vec<String> = stack
        .functions
        .iter()
        .map(|function| function.deployed_name.clone())
        .collect();
    let mut budget = prerequisites::stage_budget(&stack.service, &stack.region, stage, &names);
    for exercise in &workshop.exercises {
        let file = workshop
            .dir(exercise, Variant::Learner)
            .join("serverless.yml");
        if let Ok(other) = Stack::load(&file, &StackOptions::default()) {
            budget = budget.min(prerequisites::stage_budget(
                &other.service,
                &stack.region,
                stage,
                &[],
            ));
        }
    }
    budget
}

/// The service's stack with `id` as the stage. An id derived just now is cut
/// first to what AWS's name limits leave for the stage in every exercise.
fn load_stack(
    workshop: &Workshop,
    service: &Service,
    id: &mut String,
    source: &learner::IdSource,
    region: Option<&str>,
) -> anyhow::Result<Stack> {
    let load = |id: &str| {
        let options = StackOptions {
            stage: Some(id.to_owned()),
            region: region.map(str::to_owned),
        };
        Stack::load(&service.file, &options)
            .with_context(|| format!("with the learner id `{id}` as the stage"))
    };
    let stack = load(id)?;
    if let learner::IdSource::Derived { from } = source {
        let budget = derived_budget(workshop, &stack, id);
        if let Some(shorter) = learner::sanitize_to(from, budget).filter(|short| short != id) {
            *id = shorter;
            return load(id);
        }
    }
    Ok(stack)
}
