//! `checker deploy [EXERCISE] [--solutions] [--learner ID]` and `checker remove
//! [EXERCISE]`: an exercise on AWS with the Serverless Framework v3, graded
//! there with the same checks as `check --endpoint`, and removed again. The
//! library's `deploy` plans and runs; this prints.

use std::process::ExitCode;
use std::time::Duration;

use checker::deploy::{self, Action, Deployment, Planned, Removal, Request};
use checker::grade;
use checker::report::{Next, Walk};
use checker::workshop::Workshop;

use super::Solutions;

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
#[command(mut_arg("solutions", |arg| arg.help(
    "Deploy the exercise's reference solution instead of your copy"
).requires("exercise")))]
pub(crate) struct DeployArgs {
    /// The exercise to deploy (`02`, `02-there-and-back-again`); the
    /// repository's root `serverless.yml` (the finished app, graded as the
    /// last exercise) when left out.
    exercise: Option<String>,
    #[command(flatten)]
    solutions: Solutions,
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
#[command(mut_arg("solutions", |arg| arg.help(
    "Read the reference solution's serverless.yml (the same service name)"
).requires("exercise")))]
pub(crate) struct RemoveArgs {
    /// The exercise whose deployment to remove; the root `serverless.yml` when left out.
    exercise: Option<String>,
    #[command(flatten)]
    solutions: Solutions,
    /// The learner id the deploy used (default: `.checker/learner`).
    #[arg(long, value_name = "ID")]
    learner: Option<String>,
    /// The AWS region the deploy used.
    #[arg(long)]
    region: Option<String>,
}

/// The workshop and the planned deployment, or the exit code once what is
/// missing is reported: how `deploy` and `remove` both begin.
fn plan(
    action: Action,
    exercise: Option<&str>,
    solutions: Solutions,
    (learner, region): (Option<&str>, Option<&str>),
) -> anyhow::Result<Result<(Workshop, Deployment), ExitCode>> {
    let workshop = super::workshop()?;
    let request = Request {
        exercise,
        variant: solutions.variant(),
        learner,
        region,
    };
    match Deployment::plan(&workshop, &request, action)? {
        Planned::Ready(deployment) => Ok(Ok((workshop, *deployment))),
        Planned::Missing(missing) => {
            eprintln!("Cannot {} yet:", action.name());
            for paragraph in missing {
                eprintln!("\n{paragraph}");
            }
            Ok(Err(ExitCode::FAILURE))
        }
    }
}

pub(crate) async fn deploy(args: DeployArgs) -> anyhow::Result<ExitCode> {
    let flags = (args.learner.as_deref(), args.region.as_deref());
    let (workshop, deployment) = match plan(
        Action::Deploy,
        args.exercise.as_deref(),
        args.solutions,
        flags,
    )? {
        Ok(planned) => planned,
        Err(code) => return Ok(code),
    };
    let remove_line = deployment.command_line(Action::Remove);
    let deploy_line = deployment.command_line(Action::Deploy);
    let saved = deployment.save_learner_id()?;
    let stack = &deployment.stack;
    eprintln!("{}", deployment.describe_learner(saved));
    eprintln!(
        "Deploying {} as the stack {} in {} ({} Lambdas).",
        deployment.relative(&stack.file),
        deployment.stack_name(),
        stack.region,
        stack.architecture
    );

    eprintln!("\n1/4 Building the Lambdas with cargo lambda ...");
    deployment.build()?;

    eprintln!("\n2/4 Serverless Framework v3 ...");
    let serverless = deploy::install_serverless(&deployment.root)?;

    eprintln!("\n3/4 serverless deploy (a first deploy takes a few minutes) ...");
    let outcome = deployment.serverless(&serverless, "deploy", true)?;
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
    let Some(url) = deployment.endpoint(&serverless, &outcome)? else {
        let file = deployment.relative(&stack.file);
        eprintln!(
            "\nServerless deployed the stack but shows no wss:// endpoint (neither `serverless deploy` nor `serverless info` printed one). A WebSocket API exists only when a function has a `websocket` event: check {file} (`cargo run -p checker -- stack {file}` shows its routes), then deploy again: `{deploy_line}`."
        );
        return Ok(ExitCode::FAILURE);
    };
    check_deployed(&workshop, &deployment, &url).await
}

/// Step 4: waits for the new endpoint to answer, checks it there and says
/// what to run next.
async fn check_deployed(
    workshop: &Workshop,
    deployment: &Deployment,
    url: &str,
) -> anyhow::Result<ExitCode> {
    let service = &deployment.service;
    let remove_line = deployment.command_line(Action::Remove);
    eprintln!("\n4/4 Checking {} against {url} ...", service.exercise.name);
    let patience = patience();
    if let Err(error) = deploy::wait_until_answering(url, patience).await {
        eprintln!(
            "\nThe stack is deployed, but {url} does not answer after {} s ({error}). A new API can take a minute or two to be reachable: try `{}` in a few minutes. If it still does not answer, check that {} is the endpoint `serverless info --stage {}` shows (in {}), and that nothing between you and AWS blocks WebSockets (a proxy, a firewall). Remove the stack with `{remove_line}`.",
            patience.as_secs(),
            deployment.check_line("check", url),
            url,
            deployment.id,
            deployment.relative(&deployment.stack.dir),
        );
        return Ok(ExitCode::FAILURE);
    }
    let graded = grade::check_remote(&service.exercise, url).await;
    let passed = graded.verdict.passed();
    let walk = Walk {
        unchanged: &[],
        walking: false,
    };
    let results = [graded];
    let next = Next::after(workshop, &results, service.variant, &walk);
    super::check::print_human(workshop, &results, &walk, next, None)?;
    println!("\nDeployed at {url}");
    println!(
        "  check it again:      {}",
        deployment.check_line("check", url)
    );
    println!(
        "  compare with local:  {}",
        deployment.check_line("compare", url)
    );
    println!("  remove it when done: {remove_line}");
    if deployment.keeps_ids_of_closed_connections() {
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
    let flags = (args.learner.as_deref(), args.region.as_deref());
    let (_, deployment) = match plan(
        Action::Remove,
        args.exercise.as_deref(),
        args.solutions,
        flags,
    )? {
        Ok(planned) => planned,
        Err(code) => return Ok(code),
    };
    eprintln!("{}", deployment.describe_learner(false));
    let stack_name = deployment.stack_name();
    let region = &deployment.stack.region;
    eprintln!("Removing the stack {stack_name} in {region} ...");
    let serverless = deploy::install_serverless(&deployment.root)?;
    match deployment.remove(&serverless)? {
        Removal::Removed => {
            println!("Removed {stack_name}: nothing of it is left in your AWS account.");
            Ok(ExitCode::SUCCESS)
        }
        Removal::NotThere => {
            println!(
                "There is no stack {stack_name} in {region}: nothing to remove. (Another learner id or region? --learner ID, --region R.)"
            );
            Ok(ExitCode::SUCCESS)
        }
        Removal::Failed(outcome) => {
            eprintln!("\nThe removal failed. Serverless's last lines:\n");
            for line in outcome.last_lines(15) {
                eprintln!("    {line}");
            }
            eprintln!(
                "\nRun `{}` again once the cause is fixed; if it keeps failing, delete the stack {stack_name} in the AWS console (CloudFormation, region {region}).",
                deployment.command_line(Action::Remove),
            );
            Ok(ExitCode::FAILURE)
        }
    }
}
