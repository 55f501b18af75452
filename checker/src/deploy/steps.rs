//! The steps of a planned deployment that run tools: building the Lambdas,
//! Serverless's `deploy`, `info` and `remove`, and reading what they say.

use std::path::Path;

use super::plan::Deployment;
use super::{Outcome, artifacts, build_and_place, endpoint, serverless};

/// How a `serverless remove` ended.
#[derive(Debug)]
pub enum Removal {
    Removed,
    /// There is no such stack (another learner id or region?): nothing to remove.
    NotThere,
    Failed(Outcome),
}

impl Deployment {
    /// `cargo lambda build` of the stack's binaries, each zip placed where
    /// its `serverless.yml` expects it.
    pub fn build(&self) -> anyhow::Result<()> {
        let artifacts = artifacts(&self.stack, self.service.variant);
        build_and_place(&self.root, &artifacts, self.stack.architecture == "arm64")
    }

    /// `serverless <command> --stage ID [--region R]` in the stack's folder,
    /// its output echoed as it comes when `echo`.
    pub fn serverless(
        &self,
        serverless_js: &Path,
        command: &str,
        echo: bool,
    ) -> anyhow::Result<Outcome> {
        let mut args = vec![command.to_owned(), "--stage".to_owned(), self.id.clone()];
        if let Some(region) = &self.region {
            args.push("--region".to_owned());
            args.push(region.clone());
        }
        serverless(serverless_js, &self.stack.dir, &args, echo)
    }

    /// The deployed API's `wss://` endpoint: from what `serverless deploy`
    /// printed, else from `serverless info`; `None` when neither shows one.
    pub fn endpoint(
        &self,
        serverless_js: &Path,
        deployed: &Outcome,
    ) -> anyhow::Result<Option<String>> {
        if let Some(url) = endpoint::parse(&deployed.output) {
            return Ok(Some(url));
        }
        let info = self.serverless(serverless_js, "info", false)?;
        Ok(endpoint::parse(&info.output))
    }

    /// `serverless remove`; a stack that does not exist is nothing to remove.
    pub fn remove(&self, serverless_js: &Path) -> anyhow::Result<Removal> {
        let outcome = self.serverless(serverless_js, "remove", true)?;
        if outcome.success {
            return Ok(Removal::Removed);
        }
        let stack_name = self.stack_name();
        // A removal can fail on another question than whether the stack exists
        // (ministack answers Serverless's first one, for the deployment bucket of
        // a deleted stack, with `Resource [ServerlessDeploymentBucket] does not
        // exist in stack [X]`): then `serverless info` asks that one.
        let gone = says_stack_is_gone(&outcome.output, &stack_name) || {
            let info = self.serverless(serverless_js, "info", false)?;
            !info.success && says_stack_is_gone(&info.output, &stack_name)
        };
        if gone {
            return Ok(Removal::NotThere);
        }
        Ok(Removal::Failed(outcome))
    }
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
