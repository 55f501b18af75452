//! What a deploy needs before it starts, each missing piece explained in one
//! paragraph that ends with the command to run next. All checks are quick:
//! they look at the environment, files and PATH, and run `rustc` at most once.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// The environment a check looks at: the process's, or a test's.
pub struct Environment<'a> {
    pub var: &'a dyn Fn(&str) -> Option<OsString>,
}

impl Environment<'_> {
    fn get(&self, name: &str) -> Option<OsString> {
        (self.var)(name).filter(|value| !value.is_empty())
    }

    fn home(&self) -> Option<PathBuf> {
        self.get("HOME")
            .or_else(|| self.get("USERPROFILE"))
            .map(PathBuf::from)
    }
}

/// The process's own environment.
pub fn process_env(name: &str) -> Option<OsString> {
    std::env::var_os(name)
}

/// Whether the AWS SDK that Serverless uses could find credentials: keys or a
/// profile in the environment, a web identity or container role, or the shared
/// files in `~/.aws` (or where `AWS_SHARED_CREDENTIALS_FILE`/`AWS_CONFIG_FILE` say).
pub fn has_aws_credentials(env: &Environment<'_>) -> bool {
    let vars = [
        "AWS_ACCESS_KEY_ID",
        "AWS_PROFILE",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    ];
    if vars.iter().any(|var| env.get(var).is_some()) {
        return true;
    }
    let mut files: Vec<PathBuf> = ["AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE"]
        .iter()
        .filter_map(|var| env.get(var).map(PathBuf::from))
        .collect();
    if let Some(home) = env.home() {
        files.push(home.join(".aws").join("credentials"));
        files.push(home.join(".aws").join("config"));
    }
    files
        .iter()
        .any(|file| std::fs::read_to_string(file).is_ok_and(|text| text.contains('[')))
}

/// `name` on the environment's `PATH`, as a shell would find it.
pub fn find_program(env: &Environment<'_>, name: &str) -> Option<PathBuf> {
    let path = env.get("PATH")?;
    std::env::split_paths(&path)
        .filter(|dir| !dir.as_os_str().is_empty())
        .flat_map(|dir| {
            let plain = dir.join(name);
            let exe = dir.join(format!("{name}.exe"));
            [plain, exe]
        })
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    let Ok(metadata) = std::fs::metadata(path) else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        metadata.is_file() && metadata.permissions().mode() & 0o111 != 0
    }
    #[cfg(not(unix))]
    {
        metadata.is_file()
    }
}

/// `cargo-lambda` where cargo looks for subcommands: `PATH`, then `$CARGO_HOME/bin`
/// (`~/.cargo/bin` by default).
pub fn find_cargo_lambda(env: &Environment<'_>) -> Option<PathBuf> {
    find_program(env, "cargo-lambda").or_else(|| {
        let cargo_home = env
            .get("CARGO_HOME")
            .map(PathBuf::from)
            .or_else(|| env.home().map(|home| home.join(".cargo")))?;
        let bin = cargo_home.join("bin");
        [bin.join("cargo-lambda"), bin.join("cargo-lambda.exe")]
            .into_iter()
            .find(|candidate| is_executable(candidate))
    })
}

/// The Rust target `cargo lambda build` compiles for, by `provider.architecture`.
pub fn rust_target(architecture: &str) -> &'static str {
    if architecture == "arm64" {
        "aarch64-unknown-linux-gnu"
    } else {
        "x86_64-unknown-linux-gnu"
    }
}

/// Whether the standard library for `target` is installed for the toolchain
/// `dir` uses; `None` when `rustc` cannot say.
pub fn rust_target_installed(dir: &Path, target: &str) -> Option<bool> {
    let output = std::process::Command::new("rustc")
        .args(["--print", "sysroot"])
        .current_dir(dir)
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()
        .filter(|output| output.status.success())?;
    let sysroot = String::from_utf8(output.stdout).ok()?;
    Some(
        Path::new(sysroot.trim())
            .join("lib")
            .join("rustlib")
            .join(target)
            .join("lib")
            .is_dir(),
    )
}

/// The longest names AWS takes for a Lambda function and an IAM role.
const NAME_LIMIT: usize = 64;

/// Serverless v3 names the Lambdas' role `{service}-{stage}-{region}-lambdaRole`
/// and each Lambda `{service}-{stage}-{function}`; AWS refuses names over 64
/// characters halfway through the deploy. The longest name, and its length.
pub fn longest_name(
    service: &str,
    stage: &str,
    region: &str,
    deployed_names: &[String],
) -> (String, usize) {
    let role = format!("{service}-{stage}-{region}-lambdaRole");
    std::iter::once(role)
        .chain(deployed_names.iter().cloned())
        .map(|name| {
            let len = name.chars().count();
            (name, len)
        })
        .max_by_key(|(_, len)| *len)
        .unwrap_or_default()
}

/// How long a stage may be so that the role of `service` in `region`
/// (`{service}-{stage}-{region}-lambdaRole`) and every name in
/// `deployed_names` (made with `stage`) stay within AWS's 64 characters.
pub fn stage_budget(service: &str, region: &str, stage: &str, deployed_names: &[String]) -> usize {
    let role_fixed = service.chars().count() + region.chars().count() + "---lambdaRole".len();
    let mut budget = NAME_LIMIT.saturating_sub(role_fixed);
    for name in deployed_names {
        if name.contains(&format!("-{stage}-")) {
            let fixed = name.chars().count() - stage.chars().count();
            budget = budget.min(NAME_LIMIT.saturating_sub(fixed));
        }
    }
    budget
}

pub const CREDENTIALS: &str = "No AWS credentials found: AWS_ACCESS_KEY_ID and AWS_PROFILE are not set and there is no ~/.aws/credentials (or ~/.aws/config). Deploying needs an AWS account and an access key of an IAM user allowed to deploy (CloudFormation, Lambda, API Gateway, IAM roles, S3, DynamoDB, CloudWatch Logs). Create a key in the AWS console (IAM > Users > your user > Security credentials > Create access key), then run `aws configure` (AWS CLI), or without the AWS CLI `npx serverless@3 config credentials --provider aws --key <KEY ID> --secret <SECRET>`, or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in this shell; with IAM Identity Center (SSO) run `aws configure sso` and `export AWS_PROFILE=<profile>`.";

pub const NODE: &str = "Node.js and npm are not on PATH: the deploy runs the Serverless Framework v3, a Node.js program that the checker installs with npm into .tools/serverless the first time. Install Node.js 18 or later from https://nodejs.org (or `nvm install --lts`, `brew install node`, `sudo apt-get install nodejs npm`), open a new shell, and check that `node --version` and `npm --version` answer.";

pub const CARGO_LAMBDA: &str = "cargo-lambda is not installed: the deploy builds the Lambdas for Amazon Linux with `cargo lambda build`, which cross-compiles with Zig. Install both with `pip install cargo-lambda` (or `pip3 install --user cargo-lambda`; on macOS `brew install cargo-lambda/tap/cargo-lambda`), open a new shell, and check that `cargo lambda --version` answers.";

/// The paragraph for a missing Rust target.
pub fn target_message(file: &str, architecture: &str, target: &str) -> String {
    format!(
        "{file} deploys {architecture} Lambdas (`provider.architecture`), and the Rust standard library for {target} is not installed. Run `rustup target add {target}`."
    )
}

/// The paragraph for a name AWS would refuse.
pub fn name_message(name: &str, len: usize, stage: &str) -> String {
    let shorter = stage.len().saturating_sub(len - NAME_LIMIT);
    let suggestion: String = stage.chars().take(shorter.max(1)).collect();
    let suggestion = suggestion.trim_end_matches('-');
    format!(
        "With the learner id `{stage}`, Serverless would name a resource `{name}`: {len} characters, and AWS takes at most {NAME_LIMIT}, so the deploy would fail halfway. Use a learner id of at most {shorter} characters: add `--learner {suggestion}` (or write another id into .checker/learner)."
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env_of(vars: &[(&str, &str)]) -> HashMap<String, OsString> {
        vars.iter()
            .map(|(k, v)| ((*k).to_owned(), OsString::from(v)))
            .collect()
    }

    #[test]
    fn credentials_from_variables_or_files() {
        let home = tempfile::tempdir().unwrap();
        let home_str = home.path().to_str().unwrap();
        let vars = env_of(&[("HOME", home_str)]);
        let lookup = |name: &str| vars.get(name).cloned();
        assert!(!has_aws_credentials(&Environment { var: &lookup }));

        for var in ["AWS_ACCESS_KEY_ID", "AWS_PROFILE"] {
            let vars = env_of(&[("HOME", home_str), (var, "x")]);
            let lookup = |name: &str| vars.get(name).cloned();
            assert!(has_aws_credentials(&Environment { var: &lookup }), "{var}");
        }
        let vars = env_of(&[("HOME", home_str), ("AWS_PROFILE", "")]);
        let lookup = |name: &str| vars.get(name).cloned();
        assert!(!has_aws_credentials(&Environment { var: &lookup }));

        std::fs::create_dir(home.path().join(".aws")).unwrap();
        std::fs::write(
            home.path().join(".aws/credentials"),
            "[default]\naws_access_key_id = AKIA\naws_secret_access_key = x\n",
        )
        .unwrap();
        let vars = env_of(&[("HOME", home_str)]);
        let lookup = |name: &str| vars.get(name).cloned();
        assert!(has_aws_credentials(&Environment { var: &lookup }));
    }

    #[test]
    fn programs_on_path_and_cargo_home() {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin");
        std::fs::create_dir(&bin).unwrap();
        let vars = env_of(&[
            ("PATH", bin.to_str().unwrap()),
            ("HOME", dir.path().to_str().unwrap()),
        ]);
        let lookup = |name: &str| vars.get(name).cloned();
        let env = Environment { var: &lookup };
        assert_eq!(find_program(&env, "node"), None);
        assert_eq!(find_cargo_lambda(&env), None);

        let cargo_bin = dir.path().join(".cargo/bin");
        std::fs::create_dir_all(&cargo_bin).unwrap();
        let tool = cargo_bin.join("cargo-lambda");
        std::fs::write(&tool, "#!/bin/sh\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&tool, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        assert_eq!(find_cargo_lambda(&env), Some(tool));
    }

    #[test]
    fn names_longer_than_aws_takes() {
        let names = vec!["rust-ws-02-there-and-back-again-ada-onMessage".to_owned()];
        let (name, len) = longest_name(
            "rust-ws-02-there-and-back-again",
            "ada",
            "eu-west-1",
            &names,
        );
        assert_eq!(
            name,
            "rust-ws-02-there-and-back-again-ada-eu-west-1-lambdaRole"
        );
        assert!(len <= NAME_LIMIT);
        let (name, len) = longest_name(
            "rust-ws-02-there-and-back-again",
            "maximilian-muste",
            "eu-west-1",
            &names,
        );
        assert_eq!(len, 69);
        let message = name_message(&name, len, "maximilian-muste");
        assert!(message.contains("at most 11 characters"), "{message}");
        assert!(message.contains("--learner maximilian"), "{message}");
        assert_eq!(
            stage_budget(
                "rust-ws-02-there-and-back-again",
                "eu-west-1",
                "ada",
                &names
            ),
            11
        );
        assert_eq!(
            stage_budget(
                "rust-ws-02-there-and-back-again",
                "ap-southeast-2",
                "ada",
                &names
            ),
            6
        );
        let long =
            vec!["a-very-long-service-name-for-this-ada-aVeryLongFunctionNameIndeed".to_owned()];
        assert_eq!(stage_budget("s", "eu-west-1", "ada", &long), 2);
    }
}
