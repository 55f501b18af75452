//! The `checker serve` process: it serves the root stack, reports build and
//! configuration errors, and leaves no Lambda process behind, however it ends.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use checker::cargo_build::Profile;
use checker::emulator::{EmulatorError, Settings};
use checker::launch::StartError;

use crate::support;

/// `checker serve …` with its stdout piped; returns the child and the WebSocket URL it printed.
pub fn serve(args: &[&str]) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_checker"))
        .arg("serve")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("checker starts");
    let url = printed_url(&mut child);
    (child, url)
}

/// The WebSocket URL a `checker serve` child printed on its piped stdout.
/// The rest of stdout is drained, so the server never blocks on a full pipe.
pub fn printed_url(child: &mut Child) -> String {
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut lines = BufReader::new(stdout).lines();
    let url = checker_testkit::serve_url(&mut lines).expect("checker prints its URL");
    std::thread::spawn(move || for _ in lines.by_ref() {});
    url
}

pub fn children_of(parent: u32) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .expect("/proc is readable")
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|stat| stat.rsplit_once(") ").map(|(_, rest)| rest.to_owned()))
                .and_then(|rest| rest.split(' ').nth(1).map(str::to_owned))
                .is_some_and(|ppid| ppid == parent.to_string())
        })
        .collect()
}

/// Alive and not a zombie.
pub fn running(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            stat.rsplit_once(") ")
                .map(|(_, rest)| !rest.starts_with('Z'))
        })
        .unwrap_or(false)
}

pub fn wait_until_gone(pids: &[u32]) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while pids.iter().any(|pid| running(*pid)) {
        assert!(
            Instant::now() < deadline,
            "Lambda processes outlived the checker: {pids:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Waits until the warm Lambda processes have started.
pub fn lambda_children(parent: u32, at_least: usize) -> Vec<u32> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let children = children_of(parent);
        if children.len() >= at_least {
            return children;
        }
        assert!(
            Instant::now() < deadline,
            "expected {at_least} Lambda processes, found {children:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .args([format!("-{name}"), child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
}

pub fn wait_exit(child: &mut Child) -> std::process::ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = child.try_wait().expect("the checker can be waited for") {
            return status;
        }
        assert!(Instant::now() < deadline, "the checker did not stop");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_runs_the_root_stack_and_ctrl_c_ends_every_lambda() {
    let (mut child, url) = tokio::task::spawn_blocking(|| serve(&["--port", "0"]))
        .await
        .unwrap();
    // The root stack is the finished workshop app: the chat rooms.
    let mut ws = support::connect(&url).await;
    support::send(&mut ws, r#"{"action":"ping"}"#).await;
    assert_eq!(support::next_text(&mut ws).await, r#"{"event":"pong"}"#);
    let join = r#"{"action":"joinChat","chatId":"rust","participantId":"Ann"}"#;
    support::send(&mut ws, join).await;
    let joined: serde_json::Value =
        serde_json::from_str(&support::next_text(&mut ws).await).unwrap();
    assert_eq!(joined["event"], "participantJoinedChat");
    support::send(&mut ws, "hello from a client").await;
    let said: serde_json::Value = serde_json::from_str(&support::next_text(&mut ws).await).unwrap();
    assert_eq!(said["message"], "hello from a client");
    let lambdas = lambda_children(child.id(), 5);
    signal(&child, "INT");
    assert!(wait_exit(&mut child).success());
    wait_until_gone(&lambdas);
}

#[test]
fn killing_the_checker_outright_ends_every_lambda() {
    let config = support::stacks_dir().join("fixtures.yml");
    let (mut child, _url) = serve(&["--port", "0", "--config", config.to_str().unwrap()]);
    let lambdas = lambda_children(child.id(), 5);
    signal(&child, "KILL");
    wait_exit(&mut child);
    wait_until_gone(&lambdas);
}

#[test]
fn a_compile_error_is_shown_as_cargo_prints_it_and_nothing_starts() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "Cargo.toml",
        "[package]\nname = \"broken\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[[bin]]\nname = \"broken-lambda\"\npath = \"main.rs\"\n\n[workspace]\n",
    );
    write(
        dir.path(),
        "main.rs",
        "fn main() {\n    let number: u32 = \"not a number\";\n}\n",
    );
    write(
        dir.path(),
        "serverless.yml",
        "service: broken\nprovider:\n  name: aws\n  runtime: provided.al2023\nfunctions:\n  onMessage:\n    handler: bootstrap\n    package:\n      artifact: target/lambda/broken-lambda.zip\n    events:\n      - websocket: $default\n",
    );
    let output = Command::new(env!("CARGO_BIN_EXE_checker"))
        .args(["serve", "--port", "0", "--config"])
        .arg(dir.path().join("serverless.yml"))
        .output()
        .expect("checker runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains("error[E0308]: mismatched types"),
        "{stderr}"
    );
    assert!(stderr.contains("main.rs:2:"), "{stderr}");
    assert!(stderr.contains("do not compile"), "{stderr}");
    assert!(!stdout.contains("Serving"), "{stdout}");
}

#[test]
fn a_bad_serverless_yml_is_reported_with_its_location() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "serverless.yml",
        "service: bad\nprovider:\n  name: aws\n  runtime: provided.al2023\nfunctions:\n  onMessage:\n    handler: bootstrap\n    events:\n      - websocket: $default\n",
    );
    let output = Command::new(env!("CARGO_BIN_EXE_checker"))
        .args(["serve", "--port", "0", "--config"])
        .arg(dir.path().join("serverless.yml"))
        .output()
        .expect("checker runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("serverless.yml:6:"), "{stderr}");
    assert!(stderr.contains("artifact"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_port_in_use_says_what_to_do() {
    let holder = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = holder.local_addr().unwrap().port();
    let settings = Settings {
        port,
        ..Settings::default()
    };
    let Err(error) =
        checker_testkit::start("tests/stacks/fixtures.yml", settings, Profile::Dev).await
    else {
        panic!("the port is taken");
    };
    let Some(StartError::Emulator(EmulatorError::PortInUse { .. })) = error.downcast_ref() else {
        panic!("not a port in use: {error:?}");
    };
    let message = error.to_string();
    assert!(
        message.contains(&format!("port {port} is already in use")),
        "{message}"
    );
    assert!(message.contains("--port 0"), "{message}");
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}
