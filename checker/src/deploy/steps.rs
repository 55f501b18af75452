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
        // CloudFormation says `Stack 'X' does not exist` (DescribeStackResource,
        // what Serverless v3 asks first) or `Stack with id X does not exist`.
        let output = anstream::adapter::strip_str(&outcome.output).to_string();
        if [
            format!("Stack '{stack_name}' does not exist"),
            format!("Stack with id {stack_name} does not exist"),
        ]
        .iter()
        .any(|message| output.contains(message.as_str()))
        {
            return Ok(Removal::NotThere);
        }
        Ok(Removal::Failed(outcome))
    }
}
