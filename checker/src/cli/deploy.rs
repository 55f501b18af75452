//! `checker deploy [EXERCISE] [--solutions] [--learner ID]` and `checker remove
//! [EXERCISE]`: an exercise on AWS with the Serverless Framework v3, graded
//! there with the same checks as `check --endpoint`, and removed again.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use checker::deploy::{self, learner, prerequisites};
use checker::exercises::{Exercise, Variant, Workshop};
use checker::grade;
use checker::stack::{Stack, StackOptions};

/// How long a new endpoint may take to answer (DNS of a new API), unless
/// `CHECKER_DEPLOY_PATIENCE` says how many seconds (the tests say 0).
fn patience() -> Duration {
    let seconds = std::env::var("CHECKER_DEPLOY_PATIENCE")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(60);
    Duration::from_secs(seconds)
}

#[derive(Debug, clap::Args)]
pub(crate) struct DeployArgs {
    /// The exercise to deploy (`02`, `02-there-and-back-again`); the
    /// repository's root `serverless.yml` (the finished app, graded as the
    /// last exercise) when left out.
    exercise: Option<String>,
    /// Deploy the exercise's reference solution instead of your copy.
    #[arg(long, requires = "exercise")]
    solutions: bool,
    /// Your learner id, the Serverless stage: names every resource, so that
    /// learners can share an AWS account. Default: `.checker/learner`, created
    /// on the first deploy from your git user name (or `$USER`).
    #[arg(long, value_name = "ID")]
    learner: Option<String>,
    /// The AWS region (default: the serverless.yml's, `eu-west-1`).
    #[arg(long)]
    region: Option<String>,
}

#[derive(Debug, clap::Args)]
pub(crate) struct RemoveArgs {
    /// The exercise whose deployment to remove; the root `serverless.yml` when left out.
    exercise: Option<String>,
    /// Read the reference solution's serverless.yml (the same service name).
    #[arg(long, requires = "exercise")]
    solutions: bool,
    /// The learner id the deploy used (default: `.checker/learner`).
    #[arg(long, value_name = "ID")]
    learner: Option<String>,
    /// The AWS region the deploy used.
    #[arg(long)]
    region: Option<String>,
}

/// What a command works on.
struct Service {
    /// The exercise whose checks grade it.
    exercise: Exercise,
    variant: Variant,
    file: PathBuf,
    /// What the learner types after `deploy`/`remove`/`check`: `02`, or nothing.
    short: Option<String>,
}

fn service(
    workshop: &Workshop,
    root: &Path,
    exercise: Option<&str>,
    solutions: bool,
) -> anyhow::Result<Service> {
    let variant = if solutions {
        Variant::Solution
    } else {
        Variant::Learner
    };
    match exercise {
        Some(asked) => {
            let exercise = workshop.find(asked)?.clone();
            let file = workshop.dir(&exercise, variant).join("serverless.yml");
            let short = exercise.name.split('-').next().map(str::to_owned);
            Ok(Service {
                exercise,
                variant,
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
                file: root.join("serverless.yml"),
                short: None,
            })
        }
    }
}

/// `cargo run -p checker -- <command> [02] [--solutions] [--learner ID] [--region R]`.
fn command_line(
    command: &str,
    service: &Service,
    learner: Option<&str>,
    region: Option<&str>,
) -> String {
    let mut line = format!("cargo run -p checker -- {command}");
    if let Some(short) = &service.short {
        line.push(' ');
        line.push_str(short);
    }
    if service.variant == Variant::Solution && command == "deploy" {
        line.push_str(" --solutions");
    }
    if let Some(id) = learner {
        line.push_str(&format!(" --learner {id}"));
    }
    if let Some(region) = region {
        line.push_str(&format!(" --region {region}"));
    }
    line
}

/// The learner id and a sentence saying where it comes from.
fn learner_id(root: &Path, explicit: Option<&str>) -> anyhow::Result<(String, learner::Source)> {
    let stored_at = learner::file(root);
    let stored = learner::stored(root);
    let name = if explicit.is_none() && stored.is_none() {
        learner::name_to_derive_from(root)
    } else {
        None
    };
    Ok(learner::choose(explicit, stored, &stored_at, name)?)
}

fn describe(id: &str, source: &learner::Source, root: &Path, saved: bool) -> String {
    match source {
        learner::Source::Option => format!("Learner id: {id} (from --learner)."),
        learner::Source::File(path) => format!(
            "Learner id: {id} (from {}; --learner ID uses another).",
            relative(root, path)
        ),
        learner::Source::Derived { from } if saved => format!(
            "Learner id: {id} (from {from:?}; saved in {} for the next deploys, --learner ID uses another).",
            relative(root, &learner::file(root))
        ),
        learner::Source::Derived { from } => format!(
            "Learner id: {id} (from {from:?}: there is no {} yet; --learner ID uses another).",
            relative(root, &learner::file(root))
        ),
    }
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

fn report_missing(what: &str, missing: &[String]) -> ExitCode {
    eprintln!("Cannot {what} yet:");
    for paragraph in missing {
        eprintln!("\n{paragraph}");
    }
    ExitCode::FAILURE
}

fn serverless_args(command: &str, stage: &str, region: Option<&str>) -> Vec<String> {
    let mut args = vec![command.to_owned(), "--stage".to_owned(), stage.to_owned()];
    if let Some(region) = region {
        args.push("--region".to_owned());
        args.push(region.to_owned());
    }
    args
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
    source: &learner::Source,
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
    if let learner::Source::Derived { from } = source {
        let budget = derived_budget(workshop, &stack, id);
        if let Some(shorter) = learner::sanitize_to(from, budget).filter(|short| short != id) {
            *id = shorter;
            return load(id);
        }
    }
    Ok(stack)
}

/// What `deploy` and `remove` both start from, once every prerequisite holds.
struct Prepared {
    root: PathBuf,
    workshop: Workshop,
    service: Service,
    id: String,
    source: learner::Source,
    stack: Stack,
}

/// Finds the service, the learner id and the stack, and checks the
/// prerequisites of `command` (building needs more of them than removing);
/// `Err` carries the exit code after reporting what is missing.
fn prepare(
    command: &str,
    target: (Option<&str>, bool),
    learner: Option<&str>,
    region: Option<&str>,
) -> anyhow::Result<Result<Prepared, ExitCode>> {
    let (exercise, solutions) = target;
    let workshop = super::workshop()?;
    let root = workshop.root.clone();
    let service = service(&workshop, &root, exercise, solutions)?;
    let (mut id, source) = learner_id(&root, learner)?;
    let stack = load_stack(&workshop, &service, &mut id, &source, region)?;
    let missing = missing_prerequisites(&stack, &root, &id, command == "deploy");
    if !missing.is_empty() {
        return Ok(Err(report_missing(command, &missing)));
    }
    Ok(Ok(Prepared {
        root,
        workshop,
        service,
        id,
        source,
        stack,
    }))
}

pub(crate) async fn deploy(args: DeployArgs) -> anyhow::Result<ExitCode> {
    let target = (args.exercise.as_deref(), args.solutions);
    let prepared = match prepare(
        "deploy",
        target,
        args.learner.as_deref(),
        args.region.as_deref(),
    )? {
        Ok(prepared) => prepared,
        Err(code) => return Ok(code),
    };
    let Prepared {
        root,
        workshop,
        service,
        id,
        source,
        stack,
    } = prepared;
    let learner_flag = matches!(source, learner::Source::Option).then_some(id.as_str());
    let region_flag = args.region.as_deref();
    let remove_line = command_line("remove", &service, learner_flag, region_flag);
    let deploy_line = command_line("deploy", &service, learner_flag, region_flag);

    let saved = match source {
        learner::Source::Derived { .. } => {
            learner::store(&root, &id).context("cannot save the learner id")?;
            true
        }
        _ => false,
    };
    eprintln!("{}", describe(&id, &source, &root, saved));
    eprintln!(
        "Deploying {} as the stack {}-{} in {} ({} Lambdas).",
        relative(&root, &stack.file),
        stack.service,
        stack.stage,
        stack.region,
        stack.architecture
    );

    let artifacts = deploy::artifacts(&stack, service.variant);
    eprintln!("\n1/4 Building the Lambdas with cargo lambda ...");
    deploy::build_and_place(&root, &artifacts, stack.architecture == "arm64")?;

    eprintln!("\n2/4 Serverless Framework v3 ...");
    let serverless = deploy::install_serverless(&root)?;

    eprintln!("\n3/4 serverless deploy (a first deploy takes a few minutes) ...");
    let outcome = deploy::serverless(
        &serverless,
        &stack.dir,
        &serverless_args("deploy", &id, region_flag),
        true,
    )?;
    if !outcome.success {
        eprintln!("\nThe deploy failed halfway. Serverless's last lines:\n");
        for line in outcome.last_lines(15) {
            eprintln!("    {line}");
        }
        eprintln!(
            "\nWhat it created so far stays in your AWS account. Remove it with `{remove_line}`, fix what the lines above say, then deploy again: `{deploy_line}`."
        );
        return Ok(ExitCode::FAILURE);
    }
    let url = match deploy::endpoint::parse(&outcome.output) {
        Some(url) => url,
        None => {
            let info = deploy::serverless(
                &serverless,
                &stack.dir,
                &serverless_args("info", &id, region_flag),
                false,
            )?;
            match deploy::endpoint::parse(&info.output) {
                Some(url) => url,
                None => {
                    eprintln!(
                        "\nServerless deployed the stack but shows no wss:// endpoint (neither `serverless deploy` nor `serverless info` printed one). A WebSocket API exists only when a function has a `websocket` event: check {} (`cargo run -p checker -- stack {}` shows its routes), then deploy again: `{deploy_line}`.",
                        relative(&root, &stack.file),
                        relative(&root, &stack.file),
                    );
                    return Ok(ExitCode::FAILURE);
                }
            }
        }
    };

    eprintln!("\n4/4 Checking {} against {url} ...", service.exercise.name);
    let check_line = |command: &str| {
        let short = service.short.clone().unwrap_or_else(|| {
            service
                .exercise
                .name
                .split('-')
                .next()
                .unwrap_or_default()
                .to_owned()
        });
        let solutions = if command == "compare" && service.variant == Variant::Solution {
            " --solutions"
        } else {
            ""
        };
        format!("cargo run -p checker -- {command} {short} --endpoint {url}{solutions}")
    };
    let patience = patience();
    if let Err(error) = deploy::wait_until_answering(&url, patience).await {
        eprintln!(
            "\nThe stack is deployed, but {url} does not answer after {} s ({error}). A new API can take a minute or two to be reachable: try `{}` in a few minutes. If it still does not answer, check that {} is the endpoint `serverless info --stage {id}` shows (in {}), and that nothing between you and AWS blocks WebSockets (a proxy, a firewall). Remove the stack with `{remove_line}`.",
            patience.as_secs(),
            check_line("check"),
            url,
            relative(&root, &stack.dir),
        );
        return Ok(ExitCode::FAILURE);
    }
    let graded = grade::check_remote(&service.exercise, &url).await;
    let passed = graded.verdict.passed();
    let walk = super::check::Walk {
        unchanged: &[],
        walking: false,
    };
    super::check::print_human(&workshop, &[graded], service.variant, &walk, None)?;
    println!("\nDeployed at {url}");
    println!("  check it again:      {}", check_line("check"));
    println!("  compare with local:  {}", check_line("compare"));
    println!("  remove it when done: {remove_line}");
    if keeps_ids_of_closed_connections(&stack) {
        println!(
            "\nNothing in this stack takes a client's connection id out of its table when the client leaves (there is no $disconnect route): the ids of this check's clients stay, and a later check's broadcasts meet them (410 Gone). Remove and deploy again to check it afresh."
        );
    }
    Ok(if passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

pub(crate) async fn remove(args: RemoveArgs) -> anyhow::Result<ExitCode> {
    let target = (args.exercise.as_deref(), args.solutions);
    let prepared = match prepare(
        "remove",
        target,
        args.learner.as_deref(),
        args.region.as_deref(),
    )? {
        Ok(prepared) => prepared,
        Err(code) => return Ok(code),
    };
    let Prepared {
        root,
        service,
        id,
        source,
        stack,
        ..
    } = prepared;
    eprintln!("{}", describe(&id, &source, &root, false));
    let stack_name = format!("{}-{}", stack.service, stack.stage);
    eprintln!("Removing the stack {stack_name} in {} ...", stack.region);
    let serverless = deploy::install_serverless(&root)?;
    let region_flag = args.region.as_deref();
    let outcome = deploy::serverless(
        &serverless,
        &stack.dir,
        &serverless_args("remove", &id, region_flag),
        true,
    )?;
    if outcome.success {
        println!("Removed {stack_name}: nothing of it is left in your AWS account.");
        return Ok(ExitCode::SUCCESS);
    }
    // A removal can fail on another question than whether the stack exists
    // (ministack answers Serverless's first one, for the deployment bucket of
    // a deleted stack, with `Resource [ServerlessDeploymentBucket] does not
    // exist in stack [X]`): then `serverless info` asks that one.
    let gone = says_stack_is_gone(&outcome.output, &stack_name) || {
        let info = deploy::serverless(
            &serverless,
            &stack.dir,
            &serverless_args("info", &id, region_flag),
            false,
        )?;
        !info.success && says_stack_is_gone(&info.output, &stack_name)
    };
    if gone {
        println!(
            "There is no stack {stack_name} in {}: nothing to remove. (Another learner id or region? --learner ID, --region R.)",
            stack.region
        );
        return Ok(ExitCode::SUCCESS);
    }
    eprintln!("\nThe removal failed. Serverless's last lines:\n");
    for line in outcome.last_lines(15) {
        eprintln!("    {line}");
    }
    let learner_flag = matches!(source, learner::Source::Option).then_some(id.as_str());
    eprintln!(
        "\nRun `{}` again once the cause is fixed; if it keeps failing, delete the stack {stack_name} in the AWS console (CloudFormation, region {}).",
        command_line("remove", &service, learner_flag, region_flag),
        stack.region
    );
    Ok(ExitCode::FAILURE)
}

/// Whether Serverless's output says that CloudFormation has no stack
/// `stack_name`: AWS's `Stack 'X' does not exist` (DescribeStackResource, what
/// `serverless remove` asks first) and `Stack with id X does not exist`
/// (DescribeStacks, what `serverless info` asks), or another implementation's
/// `Stack [X] does not exist`.
fn says_stack_is_gone(output: &str, stack_name: &str) -> bool {
    let output = anstream::adapter::strip_str(output).to_string();
    [
        format!("Stack '{stack_name}'"),
        format!("Stack with id {stack_name}"),
        format!("Stack [{stack_name}]"),
    ]
    .iter()
    .any(|stack| output.contains(&format!("{stack} does not exist")))
}

/// Whether `stack` stores what its clients leave behind: tables, and no
/// `$disconnect` route to tidy up (exercise 03, by design).
fn keeps_ids_of_closed_connections(stack: &Stack) -> bool {
    !stack.tables.is_empty() && !stack.routes.iter().any(|route| route.key == "$disconnect")
}
