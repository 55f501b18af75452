//! The `checker serve` process against what its surroundings do: a log
//! reader that goes away (`serve | head`) or stops reading, a SIGKILL with
//! processes the Lambdas started, and what a killed run leaves on disk.

use std::io::{BufRead, BufReader, Lines};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::Duration;

use crate::process::{lambda_children, running, serve, signal, wait_exit, wait_until_gone};
use crate::support;

/// `checker serve --config fixtures.yml --port 0` with stdout piped and these
/// variables set; returns it once it printed its URL, with the rest of its
/// stdout, unread.
pub fn serve_fixtures(env: &[(&str, &Path)]) -> (Child, String, Lines<BufReader<ChildStdout>>) {
    let config = support::stacks_dir().join("fixtures.yml");
    let mut command = Command::new(env!("CARGO_BIN_EXE_checker"));
    command
        .args(["serve", "--port", "0", "--config"])
        .arg(config)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command.spawn().expect("checker starts");
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut lines = BufReader::new(stdout).lines();
    let url = checker_testkit::serve_url(&mut lines).expect("checker prints its URL");
    (child, url, lines)
}

pub async fn echoes(url: &str, count: usize) {
    let mut ws = support::connect(url).await;
    for n in 0..count {
        let text = format!("message {n}");
        support::send(&mut ws, &text).await;
        assert_eq!(support::next_text(&mut ws).await, text);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_keeps_serving_when_its_log_reader_goes_away() {
    let (mut child, url, lines) = tokio::task::spawn_blocking(|| serve_fixtures(&[]))
        .await
        .unwrap();
    let lambdas = lambda_children(child.id(), 5);
    // `serve | head`: the reader exits, every later log line meets a closed pipe.
    drop(lines);
    echoes(&url, 20).await;
    echoes(&url, 5).await;
    signal(&child, "INT");
    assert!(wait_exit(&mut child).success());
    wait_until_gone(&lambdas);
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_keeps_serving_and_stops_on_sigterm_when_its_log_is_not_read() {
    let (mut child, url, lines) = tokio::task::spawn_blocking(|| serve_fixtures(&[]))
        .await
        .unwrap();
    let lambdas = lambda_children(child.id(), 5);
    // Far more than the pipe and the log's queue hold, while nobody reads.
    let mut ws = support::connect(&url).await;
    for _ in 0..3 {
        support::send(&mut ws, "flood-lines:10000").await;
        assert_eq!(support::next_text(&mut ws).await, "flooded");
    }
    // The Lambda's own output is cut to its budget: messages, four lines each, fill the rest.
    echoes(&url, 3_000).await;
    // Reading again: the lines dropped meanwhile are counted.
    let (found, seen) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            if line.contains("log lines dropped: the terminal did not keep up") {
                let _ = found.send(line);
            }
        }
    });
    let mut said = None;
    for _ in 0..10 {
        echoes(&url, 1).await;
        if let Ok(line) = seen.recv_timeout(Duration::from_millis(500)) {
            said = Some(line);
            break;
        }
    }
    let said = said.expect("the dropped lines are counted");
    let count: u64 = said
        .trim_start_matches("[checker] ")
        .split(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{said}"));
    assert!(count > 0, "{said}");
    signal(&child, "TERM");
    wait_exit(&mut child);
    wait_until_gone(&lambdas);
}

#[tokio::test(flavor = "multi_thread")]
async fn killing_the_checker_outright_ends_what_its_lambdas_started() {
    let config = support::stacks_dir().join("fixtures.yml");
    let (mut child, url) = tokio::task::spawn_blocking(move || {
        serve(&["--port", "0", "--config", config.to_str().unwrap()])
    })
    .await
    .unwrap();
    let mut ws = support::connect(&url).await;
    // In the Lambda's group, and an orphan in a session of its own.
    let mut pids = Vec::new();
    for message in ["grandchild", "grandchild:setsid"] {
        support::send(&mut ws, message).await;
        let pid: u32 = support::next_text(&mut ws).await.parse().unwrap();
        assert!(running(pid), "{message}: {pid}");
        pids.push(pid);
    }
    signal(&child, "KILL");
    wait_exit(&mut child);
    wait_until_gone(&pids);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_run_leaves_nothing_in_the_temporary_folder_and_reuses_its_ca() {
    let temp = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let env = [("TMPDIR", temp.path()), ("XDG_CACHE_HOME", cache.path())];
    let mut keys = Vec::new();
    for _ in 0..2 {
        let (mut child, url, _lines) = tokio::task::spawn_blocking({
            let env = env.map(|(name, path)| (name, path.to_owned()));
            move || {
                let env: Vec<(&str, &Path)> = env
                    .iter()
                    .map(|(name, path)| (*name, path.as_path()))
                    .collect();
                serve_fixtures(&env)
            }
        })
        .await
        .unwrap();
        // fixture-echo posts back over TLS: the Lambda trusts the CA.
        let mut ws = support::connect(&url).await;
        let echo = r#"{"action":"echo","over":"tls"}"#;
        support::send(&mut ws, echo).await;
        assert_eq!(support::next_text(&mut ws).await, echo);
        signal(&child, "KILL");
        wait_exit(&mut child);
        let left: Vec<_> = std::fs::read_dir(temp.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        assert!(left.is_empty(), "left in the temporary folder: {left:?}");
        let ca = cache.path().join("checker");
        assert!(ca.join("ca-bundle.pem").is_file());
        keys.push(std::fs::read(ca.join("ca-key.pem")).expect("the CA key is kept"));
    }
    assert_eq!(keys[0], keys[1], "the second run reuses the first one's CA");
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_cache_folder_a_killed_runs_ca_folder_is_removed_by_the_next_run() {
    let temp = tempfile::tempdir().unwrap();
    let left = || -> Vec<_> {
        std::fs::read_dir(temp.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect()
    };
    // No HOME and no XDG_CACHE_HOME: both set empty, as the CA reads them.
    let env = [
        ("TMPDIR", temp.path().to_owned()),
        ("HOME", std::path::PathBuf::new()),
        ("XDG_CACHE_HOME", std::path::PathBuf::new()),
    ];
    let start = || {
        let env = env.clone();
        tokio::task::spawn_blocking(move || {
            let env: Vec<(&str, &Path)> = env
                .iter()
                .map(|(name, path)| (*name, path.as_path()))
                .collect();
            serve_fixtures(&env)
        })
    };
    let (mut first, _, _lines) = start().await.unwrap();
    let killed = left();
    assert_eq!(killed.len(), 1, "{killed:?}");
    signal(&first, "KILL");
    wait_exit(&mut first);
    assert_eq!(left(), killed, "a SIGKILL cannot remove it");
    let (mut second, url, _second_lines) = start().await.unwrap();
    echoes(&url, 1).await;
    let now = left();
    assert_eq!(now.len(), 1, "{now:?}");
    assert_ne!(now, killed, "the killed run's folder is gone");
    signal(&second, "INT");
    wait_exit(&mut second);
    assert!(left().is_empty(), "{:?}", left());
}
