//! `checker deploy` and `checker remove` without AWS: what they say when a
//! prerequisite is missing, before doing anything slow. Real processes, in a
//! scratch copy of the workshop (`CHECKER_ROOT`) with an empty `HOME`.
//! The steps after the checks run with stand-ins on `PATH` for `cargo`,
//! `node` (Serverless) and `rustc`, which record how they were called and
//! print what the real ones print. (The learner id and the endpoint parser
//! have unit tests in `src/deploy/`.)

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

const CREDENTIALS: &str = "No AWS credentials found";
const CARGO_LAMBDA: &str = "cargo-lambda is not installed";

/// A scratch workshop: `exercises/info.toml` and exercise 02's `serverless.yml`.
struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    fn new() -> Self {
        let repo = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("repo");
        let exercise = root.join("exercises/02-there-and-back-again");
        std::fs::create_dir_all(&exercise).unwrap();
        std::fs::copy(
            repo.join("exercises/info.toml"),
            root.join("exercises/info.toml"),
        )
        .unwrap();
        std::fs::copy(
            repo.join("checker/stubs/02-there-and-back-again/serverless.yml"),
            exercise.join("serverless.yml"),
        )
        .unwrap();
        for exercise in ["02-there-and-back-again", "03-websockets-party"] {
            let solution = root.join("solutions").join(exercise);
            std::fs::create_dir_all(&solution).unwrap();
            std::fs::copy(
                repo.join("solutions").join(exercise).join("serverless.yml"),
                solution.join("serverless.yml"),
            )
            .unwrap();
        }
        std::fs::create_dir_all(dir.path().join("home")).unwrap();
        std::fs::create_dir_all(dir.path().join("bin")).unwrap();
        Self { dir }
    }

    fn root(&self) -> PathBuf {
        self.dir.path().join("repo")
    }

    fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    fn bin(&self) -> PathBuf {
        self.dir.path().join("bin")
    }

    /// The checker with no AWS variables, an empty `HOME`, no `CARGO_HOME`.
    fn checker(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_checker"));
        command.args(args);
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("AWS_") {
                command.env_remove(&name);
            }
        }
        command
            .env("CHECKER_ROOT", self.root())
            .env("HOME", self.home())
            .env("USER", "Ada Lovelace")
            .env_remove("CARGO_HOME")
            .env_remove("USERPROFILE")
            // git's user.name (the learner id's source) only from the empty HOME.
            .env_remove("XDG_CONFIG_HOME")
            .env_remove("GIT_CONFIG_GLOBAL")
            .env("GIT_CONFIG_NOSYSTEM", "1");
        command
    }

    /// A program in the scratch `bin` folder that fails if it is ever run.
    fn fake_program(&self, name: &str) {
        self.script(
            &self.bin().join(name),
            "echo \"$0 must not run\" >&2\nexit 99\n",
        );
    }

    fn script(&self, path: &Path, body: &str) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, format!("#!/bin/sh\n{body}")).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
    }

    fn log(&self) -> PathBuf {
        self.dir.path().join("calls.log")
    }

    fn calls(&self) -> String {
        std::fs::read_to_string(self.log()).unwrap_or_default()
    }

    /// What the stand-in Serverless prints for `command` and its exit status.
    fn serverless_says(&self, command: &str, output: &str, status: u8) {
        let dir = self.dir.path().join("sls");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{command}.out")), output).unwrap();
        std::fs::write(dir.join(format!("{command}.status")), status.to_string()).unwrap();
    }

    /// Stand-ins for everything a deploy runs: `cargo` (`metadata`, `lambda
    /// build`, which writes a fake `bootstrap.zip` per `--bin`), `cargo-lambda`,
    /// `node` (prints `sls/<command>.out`, exits with `sls/<command>.status`),
    /// `npm`, `rustc` (a sysroot with both Linux targets) and
    /// `scripts/serverless-install`; AWS keys in the environment.
    fn with_tools(&self, args: &[&str]) -> Command {
        let bin = self.bin();
        let log = self.log().display().to_string();
        let target = self.dir.path().join("target").display().to_string();
        let sls = self.dir.path().join("sls").display().to_string();
        self.script(
            &bin.join("cargo"),
            &format!(
                r#"echo "cargo $*" >> '{log}'
case "$1" in
  metadata) printf '{{"target_directory":"%s"}}\n' '{target}' ;;
  lambda)
    while [ $# -gt 0 ]; do
      if [ "$1" = --bin ]; then
        mkdir -p '{target}'/lambda/"$2"
        printf 'zip of %s' "$2" > '{target}'/lambda/"$2"/bootstrap.zip
        shift
      fi
      shift
    done ;;
  *) exit 1 ;;
esac
"#
            ),
        );
        self.fake_program("cargo-lambda");
        self.fake_program("npm");
        self.script(
            &bin.join("node"),
            &format!(
                r#"echo "node $* (in $PWD)" >> '{log}'
cat '{sls}'/"$2".out 2>/dev/null
exit "$(cat '{sls}'/"$2".status 2>/dev/null || echo 0)"
"#
            ),
        );
        let sysroot = self.dir.path().join("sysroot");
        for target in ["aarch64-unknown-linux-gnu", "x86_64-unknown-linux-gnu"] {
            std::fs::create_dir_all(sysroot.join("lib/rustlib").join(target).join("lib")).unwrap();
        }
        self.script(
            &bin.join("rustc"),
            &format!("echo '{}'\n", sysroot.display()),
        );
        self.script(
            &self.root().join("scripts/serverless-install"),
            "echo /tools/serverless/bin/serverless.js\n",
        );
        let mut command = self.checker(args);
        let path =
            std::env::join_paths([bin, PathBuf::from("/usr/bin"), PathBuf::from("/bin")]).unwrap();
        command
            .env("PATH", path)
            .env("CARGO", self.bin().join("cargo"))
            .env("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE")
            .env("AWS_SECRET_ACCESS_KEY", "secret")
            .env("CHECKER_DEPLOY_PATIENCE", "0");
        command
    }

    /// Everything in the scratch repository, to see that a command wrote nothing.
    fn files(&self) -> Vec<PathBuf> {
        fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(&path, out);
                }
                out.push(path);
            }
        }
        let mut files = Vec::new();
        walk(&self.root(), &mut files);
        files.sort();
        files
    }
}

/// Runs `command` and returns its output and how long it took.
fn run(mut command: Command) -> (Output, Duration, String) {
    let started = Instant::now();
    let output = command.output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output, started.elapsed(), stderr)
}

#[test]
fn deploy_without_credentials_says_how_to_configure_them_and_does_nothing() {
    let scratch = Scratch::new();
    let before = scratch.files();
    let (output, took, stderr) = run(scratch.checker(&["deploy", "02"]));
    assert!(!output.status.success(), "{stderr}");
    assert!(took < Duration::from_secs(10), "took {took:?}");
    assert!(stderr.starts_with("Cannot deploy yet:"), "{stderr}");
    assert!(stderr.contains(CREDENTIALS), "{stderr}");
    assert!(stderr.contains("aws configure"), "{stderr}");
    assert!(stderr.contains("AWS_ACCESS_KEY_ID"), "{stderr}");
    // Nothing built, installed, deployed or saved.
    assert!(!stderr.contains("Building"), "{stderr}");
    assert!(!stderr.contains("Learner id"), "{stderr}");
    assert!(output.stdout.is_empty());
    assert_eq!(scratch.files(), before, "the deploy wrote files");
    assert!(!scratch.home().join(".aws").exists());
}

#[test]
fn remove_without_credentials_says_how_to_configure_them() {
    let scratch = Scratch::new();
    let before = scratch.files();
    let (output, took, stderr) = run(scratch.checker(&["remove", "02"]));
    assert!(!output.status.success(), "{stderr}");
    assert!(took < Duration::from_secs(10), "took {took:?}");
    assert!(stderr.starts_with("Cannot remove yet:"), "{stderr}");
    assert!(stderr.contains(CREDENTIALS), "{stderr}");
    // Removing builds nothing: cargo-lambda is no prerequisite.
    assert!(!stderr.contains(CARGO_LAMBDA), "{stderr}");
    assert_eq!(scratch.files(), before);
}

#[test]
fn credentials_in_the_shared_file_count() {
    let scratch = Scratch::new();
    std::fs::create_dir_all(scratch.home().join(".aws")).unwrap();
    std::fs::write(
        scratch.home().join(".aws/credentials"),
        "[default]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = secret\n",
    )
    .unwrap();
    let mut command = scratch.checker(&["deploy", "02"]);
    command.env("PATH", scratch.bin());
    let (output, _, stderr) = run(command);
    assert!(!output.status.success());
    assert!(!stderr.contains(CREDENTIALS), "{stderr}");
}

#[test]
fn deploy_without_cargo_lambda_says_to_pip_install_it() {
    let scratch = Scratch::new();
    scratch.fake_program("node");
    scratch.fake_program("npm");
    let before = scratch.files();
    let mut command = scratch.checker(&["deploy", "02"]);
    command
        .env("PATH", scratch.bin())
        .env("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE")
        .env("AWS_SECRET_ACCESS_KEY", "secret");
    let (output, took, stderr) = run(command);
    assert!(!output.status.success(), "{stderr}");
    assert!(took < Duration::from_secs(10), "took {took:?}");
    assert!(stderr.contains(CARGO_LAMBDA), "{stderr}");
    assert!(stderr.contains("pip install cargo-lambda"), "{stderr}");
    assert!(!stderr.contains(CREDENTIALS), "{stderr}");
    assert!(!stderr.contains("Node.js and npm"), "{stderr}");
    assert!(!stderr.contains("must not run"), "{stderr}");
    assert_eq!(scratch.files(), before);
}

#[test]
fn deploy_without_node_says_how_to_install_it() {
    let scratch = Scratch::new();
    scratch.fake_program("cargo-lambda");
    let mut command = scratch.checker(&["deploy", "02"]);
    command
        .env("PATH", scratch.bin())
        .env("AWS_PROFILE", "workshop");
    let (output, _, stderr) = run(command);
    assert!(!output.status.success(), "{stderr}");
    assert!(
        stderr.contains("Node.js and npm are not on PATH"),
        "{stderr}"
    );
    assert!(stderr.contains("https://nodejs.org"), "{stderr}");
    assert!(!stderr.contains(CARGO_LAMBDA), "{stderr}");
    assert!(!stderr.contains(CREDENTIALS), "{stderr}");
}

#[test]
fn a_learner_id_too_long_for_aws_names_is_caught_before_deploying() {
    let scratch = Scratch::new();
    for program in ["cargo-lambda", "node", "npm"] {
        scratch.fake_program(program);
    }
    let mut command = scratch.checker(&["deploy", "02", "--learner", "maximilian-muste"]);
    command
        .env("PATH", scratch.bin())
        .env("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE");
    let (output, _, stderr) = run(command);
    assert!(!output.status.success(), "{stderr}");
    assert!(
        stderr.contains("rust-ws-02-there-and-back-again-maximilian-muste-eu-west-1-lambdaRole"),
        "{stderr}"
    );
    assert!(stderr.contains("--learner maximilian"), "{stderr}");
    assert!(!stderr.contains("must not run"), "{stderr}");
    assert!(!stderr.contains(CARGO_LAMBDA), "{stderr}");
}

#[test]
fn a_learner_id_that_cannot_be_a_stage_is_refused() {
    let scratch = Scratch::new();
    let (output, _, stderr) = run(scratch.checker(&["deploy", "02", "--learner", "Ada Lovelace"]));
    assert!(!output.status.success());
    assert!(stderr.contains("--learner ada-lovelace"), "{stderr}");
}

const DEPLOY_FAILED: &str = "
Deploying rust-ws-02-there-and-back-again to stage ada (eu-west-1)

✖ Stack rust-ws-02-there-and-back-again-ada failed to deploy (42s)
Environment: linux, node 20.11.1, framework 3.40.0, plugin 7.2.3, SDK 4.5.1
Credentials: Local, environment variables

Error:
CREATE_FAILED: OnMessageLambdaFunction (AWS::Lambda::Function)
Resource handler returned message: \"Uploaded file must be a non-empty zip\"
";

#[test]
fn a_deploy_that_fails_halfway_shows_serverless_last_lines_and_how_to_clean_up() {
    let scratch = Scratch::new();
    scratch.serverless_says("deploy", DEPLOY_FAILED, 1);
    let (output, _, stderr) = run(scratch.with_tools(&["deploy", "02", "--learner", "ada"]));
    assert!(!output.status.success(), "{stderr}");
    let calls = scratch.calls();
    // Built for arm64, one --bin per function, from the workspace.
    assert!(
        calls.contains(
            "cargo lambda build --release --output-format zip --arm64 --bin ex02-on-connect --bin ex02-on-message"
        ),
        "{calls}"
    );
    // Each zip at its function's artifact path.
    let artifacts = scratch
        .root()
        .join("exercises/02-there-and-back-again/target/lambda");
    assert_eq!(
        std::fs::read_to_string(artifacts.join("ex02-on-connect.zip")).unwrap(),
        "zip of ex02-on-connect"
    );
    assert_eq!(
        std::fs::read_to_string(artifacts.join("ex02-on-message.zip")).unwrap(),
        "zip of ex02-on-message"
    );
    // Serverless deploy with the learner id as the stage, in the exercise folder.
    assert!(
        calls.contains(&format!(
            "node /tools/serverless/bin/serverless.js deploy --stage ada (in {})",
            scratch
                .root()
                .join("exercises/02-there-and-back-again")
                .display()
        )),
        "{calls}"
    );
    assert!(
        stderr.contains("Learner id: ada (from --learner)"),
        "{stderr}"
    );
    assert!(stderr.contains("The deploy failed halfway"), "{stderr}");
    assert!(
        stderr.contains("Uploaded file must be a non-empty zip"),
        "{stderr}"
    );
    assert!(
        stderr.contains("`cargo run -p checker -- remove 02 --learner ada`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("`cargo run -p checker -- deploy 02 --learner ada`"),
        "{stderr}"
    );
    assert!(!stderr.contains("must not run"), "{stderr}");
}

#[test]
fn solutions_deploy_the_solution_binaries_under_the_artifact_names() {
    let scratch = Scratch::new();
    scratch.serverless_says("deploy", DEPLOY_FAILED, 1);
    let (_, _, stderr) =
        run(scratch.with_tools(&["deploy", "02", "--solutions", "--learner", "ada"]));
    let calls = scratch.calls();
    assert!(
        calls.contains("--bin ex02-on-connect-solution --bin ex02-on-message-solution"),
        "{calls}\n{stderr}"
    );
    let artifacts = scratch
        .root()
        .join("solutions/02-there-and-back-again/target/lambda");
    assert_eq!(
        std::fs::read_to_string(artifacts.join("ex02-on-connect.zip")).unwrap(),
        "zip of ex02-on-connect-solution"
    );
    assert!(
        stderr.contains("deploy 02 --solutions --learner ada"),
        "{stderr}"
    );
}

#[test]
fn the_first_deploy_saves_a_learner_id_derived_from_the_user_name() {
    let scratch = Scratch::new();
    scratch.serverless_says("deploy", DEPLOY_FAILED, 1);
    let (_, _, stderr) = run(scratch.with_tools(&["deploy", "02"]));
    // "Ada Lovelace" -> ada-lovelace, cut to the 11 characters that exercise 02's
    // IAM role name (`{service}-{stage}-eu-west-1-lambdaRole`, at most 64) leaves.
    let saved = std::fs::read_to_string(scratch.root().join(".checker/learner")).unwrap();
    assert_eq!(saved, "ada-lovelac\n");
    assert!(
        stderr
            .contains("Learner id: ada-lovelac (from \"Ada Lovelace\"; saved in .checker/learner"),
        "{stderr}"
    );
    assert!(scratch.calls().contains("deploy --stage ada-lovelac"));
    // Without --learner, the commands it suggests need none.
    assert!(
        stderr.contains("`cargo run -p checker -- remove 02`"),
        "{stderr}"
    );

    // The next command reads it back.
    scratch.serverless_says("remove", "", 0);
    let (output, _, stderr) = run(scratch.with_tools(&["remove", "02"]));
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("Learner id: ada-lovelac (from .checker/learner"),
        "{stderr}"
    );
    assert!(scratch.calls().contains("remove --stage ada-lovelac"));
}

#[test]
fn an_endpoint_that_does_not_answer_is_explained() {
    let scratch = Scratch::new();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let deployed = format!(
        "\n✔ Service deployed to stack rust-ws-02-there-and-back-again-ada (68s)\n\nendpoint: wss://127.0.0.1:{port}/ada\nfunctions:\n  onConnect: rust-ws-02-there-and-back-again-ada-onConnect (1.2 MB)\n"
    );
    scratch.serverless_says("deploy", &deployed, 0);
    let (output, _, stderr) = run(scratch.with_tools(&["deploy", "02", "--learner", "ada"]));
    assert!(!output.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!("wss://127.0.0.1:{port}/ada does not answer")),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "cargo run -p checker -- check 02 --endpoint wss://127.0.0.1:{port}/ada"
        )),
        "{stderr}"
    );
}

#[test]
fn the_probe_of_a_new_endpoint_runs_no_connect() {
    // A WebSocket handshake would run the stack's `$connect`: in exercise 03
    // that stores a connection id, which every broadcast of the checks then
    // meets as a stale one (410). The probe is a plain GET, answered 426.
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let requests = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let seen = std::sync::Arc::clone(&requests);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            stream
                .set_read_timeout(Some(Duration::from_secs(5)))
                .unwrap();
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
                head.push(byte[0]);
            }
            seen.lock()
                .unwrap()
                .push(String::from_utf8_lossy(&head).into_owned());
            let _ = stream.write_all(
                b"HTTP/1.1 426 Upgrade Required\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
        }
    });
    let scratch = Scratch::new();
    scratch.serverless_says(
        "deploy",
        &format!("\n✔ Service deployed to stack rust-ws-02-there-and-back-again-ada (68s)\n\nendpoint: ws://127.0.0.1:{port}/ada\n"),
        0,
    );
    let (_, _, stderr) = run(scratch.with_tools(&["deploy", "02", "--learner", "ada"]));
    // The probe answered, so the checks ran (and met 426 on every handshake).
    assert!(!stderr.contains("does not answer"), "{stderr}");
    let requests = requests.lock().unwrap();
    let probe = requests.first().expect("the deploy sent no request");
    assert!(probe.starts_with("GET /ada HTTP/1.1\r\n"), "{probe}");
    assert!(
        probe
            .to_ascii_lowercase()
            .contains(&format!("host: 127.0.0.1:{port}")),
        "{probe}"
    );
    assert!(!probe.to_ascii_lowercase().contains("upgrade"), "{probe}");
    assert!(
        requests[1..]
            .iter()
            .all(|request| request.to_ascii_lowercase().contains("upgrade: websocket")),
        "{requests:?}"
    );
}

#[test]
fn no_endpoint_in_deploy_or_info_is_explained() {
    let scratch = Scratch::new();
    scratch.serverless_says("deploy", "\n✔ Service deployed to stack x (3s)\n", 0);
    scratch.serverless_says("info", "service: x\nstage: ada\n", 0);
    let (output, _, stderr) = run(scratch.with_tools(&["deploy", "02", "--learner", "ada"]));
    assert!(!output.status.success(), "{stderr}");
    assert!(scratch.calls().contains("info --stage ada"));
    assert!(stderr.contains("shows no wss:// endpoint"), "{stderr}");
    assert!(stderr.contains("`websocket` event"), "{stderr}");
}

#[test]
fn remove_after_a_failed_deploy_or_of_nothing() {
    let scratch = Scratch::new();
    scratch.serverless_says("remove", "Removing rust-ws-02-there-and-back-again from stage ada (eu-west-1)\n\n✔ Service rust-ws-02-there-and-back-again has been successfully removed (31s)\n", 0);
    let (output, _, stderr) = run(scratch.with_tools(&["remove", "02", "--learner", "ada"]));
    assert!(output.status.success(), "{stderr}");
    assert!(
        scratch.calls().contains(&format!(
            "node /tools/serverless/bin/serverless.js remove --stage ada (in {})",
            scratch
                .root()
                .join("exercises/02-there-and-back-again")
                .display()
        )),
        "{}",
        scratch.calls()
    );
    // Removing builds nothing.
    assert!(!scratch.calls().contains("cargo lambda"));

    scratch.serverless_says(
        "remove",
        "Removing rust-ws-02-there-and-back-again from stage ada (eu-west-1)\n\n✖ Stack with id rust-ws-02-there-and-back-again-ada does not exist\n",
        1,
    );
    let (output, _, stderr) = run(scratch.with_tools(&["remove", "02", "--learner", "ada"]));
    assert!(output.status.success(), "{stderr}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("nothing to remove"), "{stdout}");

    scratch.serverless_says(
        "remove",
        "Removing rust-ws-02-there-and-back-again from stage ada (eu-west-1)\n\n\u{1b}[31m✖\u{1b}[39m Stack 'rust-ws-02-there-and-back-again-ada' does not exist\n",
        1,
    );
    let (output, _, stderr) = run(scratch.with_tools(&["remove", "02", "--learner", "ada"]));
    assert!(output.status.success(), "{stderr}");

    scratch.serverless_says(
        "remove",
        "✖ The security token included in the request is invalid.\n",
        1,
    );
    let (output, _, stderr) = run(scratch.with_tools(&["remove", "02", "--learner", "ada"]));
    assert!(!output.status.success(), "{stderr}");
    assert!(stderr.contains("The removal failed"), "{stderr}");
    assert!(
        stderr.contains("security token included in the request is invalid"),
        "{stderr}"
    );
}

#[test]
fn removing_a_stack_that_is_gone_says_there_is_nothing_to_remove() {
    let scratch = Scratch::new();
    let stack = "rust-ws-02-there-and-back-again-ada";
    let nothing = format!(
        "There is no stack {stack} in eu-west-1: nothing to remove. (Another learner id or region? --learner ID, --region R.)"
    );
    let removing =
        "Removing rust-ws-02-there-and-back-again from stage ada (eu-west-1)\n\nError:\n";
    // AWS's words (DescribeStackResource's, DescribeStacks') and ministack's.
    for said in [
        format!("Stack '{stack}' does not exist"),
        format!("Stack with id {stack} does not exist"),
        format!("Stack [{stack}] does not exist"),
    ] {
        scratch.serverless_says("remove", &format!("{removing}{said}\n"), 1);
        let (output, _, stderr) = run(scratch.with_tools(&["remove", "02", "--learner", "ada"]));
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "{said}: {stdout}\n{stderr}");
        assert_eq!(stdout.trim(), nothing, "{said}");
        assert!(!stderr.contains("The removal failed"), "{stderr}");
    }
    assert!(!scratch.calls().contains(" info "), "{}", scratch.calls());

    // ministack answers for the deployment bucket of a stack it deleted before:
    // `serverless info` says whether the stack is there.
    let bucket = format!(
        "{removing}Resource [ServerlessDeploymentBucket] does not exist in stack [{stack}]\n"
    );
    scratch.serverless_says("remove", &bucket, 1);
    scratch.serverless_says(
        "info",
        &format!("Error:\nStack with id {stack} does not exist\n"),
        1,
    );
    let (output, _, stderr) = run(scratch.with_tools(&["remove", "02", "--learner", "ada"]));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert_eq!(stdout.trim(), nothing);
    assert!(
        scratch.calls().contains(&format!(
            "node /tools/serverless/bin/serverless.js info --stage ada (in {})",
            scratch
                .root()
                .join("exercises/02-there-and-back-again")
                .display()
        )),
        "{}",
        scratch.calls()
    );

    // The stack is there after all: the removal failed, and says why.
    scratch.serverless_says("info", &format!("service: {stack}\nstage: ada\n"), 0);
    let (output, _, stderr) = run(scratch.with_tools(&["remove", "02", "--learner", "ada"]));
    assert!(!output.status.success(), "{stderr}");
    assert!(stderr.contains("The removal failed"), "{stderr}");
    assert!(
        stderr.contains("Resource [ServerlessDeploymentBucket] does not exist"),
        "{stderr}"
    );
}

/// `checker serve 02 --solutions` on a free port, stopped with Ctrl-C when dropped.
struct Served {
    child: std::process::Child,
    url: String,
}

impl Served {
    fn start() -> Self {
        use std::io::BufRead;
        let mut child = Command::new(env!("CARGO_BIN_EXE_checker"))
            .args(["serve", "02", "--solutions", "--port", "0"])
            .env_remove("CHECKER_ROOT")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut lines = std::io::BufReader::new(stdout).lines();
        let url = lines
            .by_ref()
            .map_while(Result::ok)
            .find_map(|line| {
                line.strip_prefix("Serving ")
                    .and_then(|rest| rest.split(" at ").nth(1))
                    .map(str::to_owned)
            })
            .expect("checker serve printed no URL");
        // Keep reading its output so that it never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Self { child, url }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        // Ctrl-C: serve ends its Lambda processes itself.
        let interrupted = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .is_ok_and(|status| status.success());
        if !interrupted {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

#[test]
fn a_deployed_stack_that_answers_is_checked_like_check_endpoint() {
    // The "deployed" stack: the reference solution of 02, served locally.
    let served = Served::start();
    let scratch = Scratch::new();
    scratch.serverless_says(
        "deploy",
        &format!(
            "\n✔ Service deployed to stack rust-ws-02-there-and-back-again-ada (68s)\n\nendpoint: {}\nfunctions:\n  onConnect: rust-ws-02-there-and-back-again-ada-onConnect (1.2 MB)\n  onMessage: rust-ws-02-there-and-back-again-ada-onMessage (1.2 MB)\n",
            served.url
        ),
        0,
    );
    let (output, _, stderr) = run(scratch.with_tools(&["deploy", "02", "--learner", "ada"]));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("02-there-and-back-again"), "{stdout}");
    assert!(
        stdout.contains(&format!("Deployed at {}", served.url)),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!(
            "cargo run -p checker -- check 02 --endpoint {}",
            served.url
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains("cargo run -p checker -- remove 02 --learner ada"),
        "{stdout}"
    );
    assert!(!stdout.contains(KEEPS_IDS), "{stdout}");
}

const KEEPS_IDS: &str = "the ids of this check's clients stay";

#[test]
fn a_stack_that_keeps_the_ids_of_gone_clients_says_a_second_check_meets_them() {
    // Exercise 03's solution stores ids and has no $disconnect; its checks run
    // against the solution of 02, served, and fail: the lines after them count.
    let served = Served::start();
    let scratch = Scratch::new();
    scratch.serverless_says(
        "deploy",
        &format!("\n✔ Service deployed\n\nendpoint: {}\n", served.url),
        0,
    );
    let (output, _, stderr) =
        run(scratch.with_tools(&["deploy", "03", "--solutions", "--learner", "ada"]));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains(KEEPS_IDS), "{stdout}\n{stderr}");
    assert!(stdout.contains("Remove and deploy again"), "{stdout}");
}
