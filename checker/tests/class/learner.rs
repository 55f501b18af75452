//! The learner's side, through the real `checker` binary: `join`, then
//! `check` sends its result (and nothing else); with the class server gone
//! or silent, the check's verdict and report are unchanged and one line says
//! results are not being sent.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use checker::class::link::{Link, Membership};
use checker::class::server::Limits;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::support::{self, Learner};

const STEP: &str = "alice connects and $connect runs";
const NOT_SENT: &str = "Class: results are not being sent";

/// A workshop of its own with exercise 01's stub `serverless.yml`, under the
/// repository's git-ignored `target/` so cargo builds the stub's Lambda from
/// the real workspace.
fn scratch_workshop() -> tempfile::TempDir {
    let parent = support::root().join("target").join("class-learners");
    std::fs::create_dir_all(&parent).unwrap();
    let dir = tempfile::tempdir_in(parent).unwrap();
    let exercises = dir.path().join("exercises");
    std::fs::create_dir_all(exercises.join("01-connect")).unwrap();
    let root = support::root();
    std::fs::copy(
        root.join("exercises/info.toml"),
        exercises.join("info.toml"),
    )
    .unwrap();
    // The stub as shipped (its binary built by the stub store's crate),
    // whatever exercises/ holds now.
    let stub = std::fs::read_to_string(root.join("checker/stubs/01-connect/serverless.yml"))
        .unwrap()
        .replace("ex01-on-connect.zip", "ex01-on-connect-stub.zip");
    std::fs::write(exercises.join("01-connect/serverless.yml"), stub).unwrap();
    dir
}

struct Run {
    ok: bool,
    stdout: String,
    took: Duration,
}

fn checker(workshop: &Path, args: &[&str]) -> Run {
    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_checker"))
        .args(args)
        .env("CHECKER_ROOT", workshop)
        .output()
        .expect("checker runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    Run {
        ok: output.status.success(),
        stdout: format!("{stdout}{stderr}"),
        took: started.elapsed(),
    }
}

fn checker_dir(workshop: &Path) -> PathBuf {
    workshop.join(".checker")
}

/// Joins `workshop` to a class at `url` without asking it (for servers that never answer).
fn joined(workshop: &Path, url: String) {
    Membership {
        url,
        code: "K7P4QX".into(),
        name: "Grace".into(),
        learner: checker::class::new_secret(),
        started: Default::default(),
    }
    .save(&checker_dir(workshop))
    .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_check_sends_its_result_and_the_class_shows_it() {
    let workshop = scratch_workshop();
    let db = tempfile::tempdir().unwrap();
    let class = support::start(&db.path().join("class.db"), Limits::default()).await;
    let url = support::join_url(&class);
    let joined = tokio::task::spawn_blocking({
        let workshop = workshop.path().to_owned();
        move || checker(&workshop, &["join", &url, "--name", "Grace <b>Hopper</b>"])
    })
    .await
    .unwrap();
    assert!(joined.ok, "{}", joined.stdout);
    assert!(
        joined.stdout.contains("never your code"),
        "{}",
        joined.stdout
    );

    let checked = tokio::task::spawn_blocking({
        let workshop = workshop.path().to_owned();
        move || checker(&workshop, &["check", "01"])
    })
    .await
    .unwrap();
    assert!(!checked.ok, "the stub fails: {}", checked.stdout);
    assert!(
        checked.stdout.contains("✗ fail  01-connect"),
        "{}",
        checked.stdout
    );
    assert!(!checked.stdout.contains("Class:"), "{}", checked.stdout);

    let board = support::board(&class).await;
    let name = "Grace <b>Hopper</b>";
    assert_eq!(support::states(&board, name)[0], "failing");
    let cell = &board["learners"][0]["cells"][0];
    assert_eq!(cell["step"], STEP);
    assert_eq!(cell["hints_seen"], 1, "the report showed the first stage");
    assert_eq!(board["most_failed"][0]["step"], STEP);
    assert_eq!(board["stuck"][0]["name"], name);

    // Leaving stops the sending.
    let left = checker(workshop.path(), &["join", "--leave"]);
    assert!(
        left.ok && left.stdout.contains("Left the class"),
        "{}",
        left.stdout
    );
    assert!(!checker_dir(workshop.path()).join("class.toml").exists());
}

/// What a check sends, as the bytes arrive: results only.
#[tokio::test(flavor = "multi_thread")]
async fn a_check_sends_results_only() {
    let workshop = scratch_workshop();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    joined(
        workshop.path(),
        format!("http://{}", listener.local_addr().unwrap()),
    );
    let received = tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        let mut request = Vec::new();
        let mut buffer = [0_u8; 4096];
        // One request: its head, then Content-Length bytes of body.
        let body = loop {
            let read = stream.read(&mut buffer).await.unwrap();
            assert!(read > 0, "the request ended early");
            request.extend_from_slice(&buffer[..read]);
            let text = String::from_utf8_lossy(&request).into_owned();
            if let Some((head, body)) = text.split_once("\r\n\r\n") {
                let length: usize = head
                    .lines()
                    .find_map(|line| {
                        line.to_lowercase()
                            .strip_prefix("content-length: ")
                            .map(str::to_owned)
                    })
                    .and_then(|length| length.trim().parse().ok())
                    .unwrap();
                if body.len() >= length {
                    break (head.to_owned(), body.to_owned());
                }
            }
        };
        stream
            .write_all(
                b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-type: application/json\r\n\r\n{}",
            )
            .await
            .unwrap();
        body
    });
    let checked = tokio::task::spawn_blocking({
        let workshop = workshop.path().to_owned();
        move || checker(&workshop, &["check", "01"])
    })
    .await
    .unwrap();
    assert!(!checked.stdout.contains("Class:"), "{}", checked.stdout);
    let (head, body) = received.await.unwrap();
    assert!(head.starts_with("POST /api/results HTTP/1.1"), "{head}");
    let report: Value = serde_json::from_str(&body).unwrap();
    let keys = |value: &Value| -> Vec<String> {
        let mut keys: Vec<String> = value.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        keys
    };
    assert_eq!(keys(&report), ["code", "learner", "name", "results"]);
    let results = report["results"].as_array().unwrap();
    assert_eq!(results.len(), 1);
    assert_eq!(
        keys(&results[0]),
        [
            "exercise",
            "hints_seen",
            "passed",
            "seconds_since_start",
            "step"
        ]
    );
    assert_eq!(results[0]["exercise"], "01-connect");
    assert_eq!(results[0]["passed"], false);
    assert_eq!(results[0]["step"], STEP);
    assert!(body.len() < 400, "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_learner_whose_class_is_gone_or_silent_keeps_working() {
    let workshop = scratch_workshop();
    let run = |args: &'static [&'static str]| {
        let workshop = workshop.path().to_owned();
        tokio::task::spawn_blocking(move || checker(&workshop, args))
    };
    // Built once, so the runs below differ only in the class.
    let alone = run(&["check", "01"]).await.unwrap();
    assert!(!alone.ok);

    // Gone: nothing listens there any more.
    let gone = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let gone_url = format!("http://{}", gone.local_addr().unwrap());
    drop(gone);
    joined(workshop.path(), gone_url);
    let refused = run(&["check", "01"]).await.unwrap();

    // Silent: takes the connection, never answers.
    let silent = TcpListener::bind("127.0.0.1:0").await.unwrap();
    joined(
        workshop.path(),
        format!("http://{}", silent.local_addr().unwrap()),
    );
    let held = tokio::spawn(async move {
        let mut streams = Vec::new();
        while let Ok((stream, _)) = silent.accept().await {
            streams.push(stream);
        }
    });
    let unanswered = run(&["check", "01"]).await.unwrap();
    held.abort();

    for (what, with_class) in [("gone", &refused), ("silent", &unanswered)] {
        assert!(!with_class.ok, "the verdict stands ({what})");
        assert!(
            with_class.stdout.contains("✗ fail  01-connect") && with_class.stdout.contains(STEP),
            "the report stands ({what}): {}",
            with_class.stdout
        );
        assert_eq!(
            with_class.stdout.matches(NOT_SENT).count(),
            1,
            "one line ({what}): {}",
            with_class.stdout
        );
    }
    assert!(
        refused.stdout.contains("cannot be reached"),
        "{}",
        refused.stdout
    );
    assert!(
        unanswered.stdout.contains("did not answer within 1.5 s"),
        "{}",
        unanswered.stdout
    );
    // Figures for the report, not a test of speed: the silent server costs at most the send's limit.
    eprintln!(
        "check 01 took {:.2} s alone, {:.2} s with its class gone, {:.2} s with its class silent",
        alone.took.as_secs_f64(),
        refused.took.as_secs_f64(),
        unanswered.took.as_secs_f64()
    );
}

/// `watch` keeps one link for all its runs: told once when sending stops,
/// once when the class is back, nothing in between.
#[tokio::test]
async fn a_link_tells_once_when_sending_stops_and_once_when_it_is_back() {
    let db = tempfile::tempdir().unwrap();
    let class = support::start(&db.path().join("class.db"), Limits::default()).await;
    let mut learner = Learner::join(&class, "Lin").await;
    let address = class.address();
    class.stop().await;

    let step = Some("alice connects and $connect runs");
    let first = learner.check(&[("01-connect", step)]).await;
    assert!(
        first
            .as_deref()
            .is_some_and(|line| line.starts_with(NOT_SENT)),
        "{first:?}"
    );
    assert_eq!(learner.check(&[("01-connect", step)]).await, None);

    let class = support::start_on(
        &db.path().join("class.db"),
        Limits::default(),
        &address.to_string(),
    )
    .await;
    let back = learner.check(&[("01-connect", None)]).await;
    assert!(
        back.as_deref().is_some_and(|line| line.contains("again")),
        "{back:?}"
    );
    assert_eq!(
        learner.check(&[("02-there-and-back-again", step)]).await,
        None
    );
    assert_eq!(
        support::states(&support::board(&class).await, "Lin")[..2],
        ["done", "failing"]
    );
    // The clock of an exercise starts at its first check, kept in `.checker/class.toml`.
    let membership = Link::open(learner.dir.path())
        .unwrap()
        .unwrap()
        .membership()
        .clone();
    assert_eq!(
        membership.started.keys().collect::<Vec<_>>(),
        ["01-connect", "02-there-and-back-again"]
    );
}
