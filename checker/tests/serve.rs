//! `checker serve --config` on a Serverless service outside the workshop: its
//! own cargo workspace is built, its Lambda answers a real client, and the
//! terminal log shows the connection, both frames and the Lambda's output.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

/// A cold build of the service's dependencies on a loaded 2-core machine.
const BUILD_WAIT: Duration = Duration::from_secs(600);
const WAIT: Duration = Duration::from_secs(20);

/// Kills `checker serve` (and with it every Lambda process) however the test ends.
struct Served(Child);

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn copy_project(from: &Path, to: &Path) {
    std::fs::create_dir_all(to.join("src/bin")).unwrap();
    for file in ["Cargo.toml", "serverless.yml", "src/bin/reply.rs"] {
        std::fs::copy(from.join(file), to.join(file)).unwrap();
    }
    // The workshop's lock file pins the versions the workspace already fetched.
    let lock = Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.lock");
    std::fs::copy(lock, to.join("Cargo.lock")).unwrap();
}

/// Every line `checker serve` prints, as it prints it.
fn lines_of(child: &mut Child) -> mpsc::Receiver<String> {
    let (sender, receiver) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    receiver
}

/// Reads lines until one contains `wanted`; fails with what was read otherwise.
fn wait_for_line(
    lines: &mpsc::Receiver<String>,
    wanted: &str,
    wait: Duration,
    seen: &mut Vec<String>,
) -> String {
    let deadline = std::time::Instant::now() + wait;
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) => {
                seen.push(line.clone());
                if line.contains(wanted) {
                    return line;
                }
            }
            Err(_) => panic!(
                "no line with {wanted:?}; checker serve printed:\n{}",
                seen.join("\n")
            ),
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn serves_a_service_outside_the_workshop() {
    // A fixed place under the target folder, so later runs build incrementally.
    let scratch = Path::new(env!("CARGO_TARGET_TMPDIR")).join("serve-external");
    let project = scratch.join("service");
    let _ = std::fs::remove_dir_all(&project);
    copy_project(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/external"),
        &project,
    );

    let mut child = Command::new(env!("CARGO_BIN_EXE_checker"))
        .args(["serve", "--port", "0", "--config"])
        .arg(project.join("serverless.yml"))
        .env("CARGO_TARGET_DIR", scratch.join("target"))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("checker runs");
    let lines = lines_of(&mut child);
    let _served = Served(child);
    let mut seen = Vec::new();

    let serving = wait_for_line(
        &lines,
        "Serving external-service (stage dev) at ",
        BUILD_WAIT,
        &mut seen,
    );
    let url = serving.rsplit(' ').next().unwrap().to_owned();
    wait_for_line(&lines, "$default       -> reply", WAIT, &mut seen);

    let (mut ws, _) = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(url.as_str()))
        .await
        .expect("the handshake finishes in time")
        .expect("the handshake succeeds");
    ws.send(Message::text("hello")).await.unwrap();
    let reply = tokio::time::timeout(WAIT, ws.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(reply, Message::text("you said: hello"));
    ws.close(None).await.unwrap();

    // Lambda output comes through a pipe of its own: its place among the
    // other lines may vary, so the whole log is read first.
    wait_for_line(&lines, " disconnected (close code 1005", WAIT, &mut seen);
    let id = seen
        .iter()
        .find_map(|line| line.strip_prefix("+ ")?.strip_suffix(" connected"))
        .unwrap_or_else(|| panic!("no connection line:\n{}", seen.join("\n")))
        .to_owned();
    for expected in [
        format!("> {id} hello"),
        format!("< {id} you said: hello"),
        "[reply] replying to hello".to_owned(),
        format!("- {id} disconnected (close code 1005: Client-side close frame status not set)"),
    ] {
        assert!(
            seen.contains(&expected),
            "no line {expected:?}; checker serve printed:\n{}",
            seen.join("\n")
        );
    }
}
