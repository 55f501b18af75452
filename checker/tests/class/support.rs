//! A class server on a free loopback port, and plain HTTP to it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use checker::class::link::{self, Checked, Link};
use checker::class::server::{Class, ClassConfig, Limits};
use checker::workshop::Workshop;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

pub fn workshop() -> Workshop {
    Workshop::load(&root()).expect("exercises/info.toml is valid")
}

pub fn exercises() -> Vec<(String, String)> {
    workshop()
        .exercises
        .iter()
        .map(|exercise| (exercise.name.clone(), exercise.title.clone()))
        .collect()
}

pub async fn start(db: &Path, limits: Limits) -> Class {
    start_on(db, limits, "127.0.0.1:0").await
}

pub async fn start_on(db: &Path, limits: Limits, listen: &str) -> Class {
    Class::start(ClassConfig {
        listen: listen.parse().unwrap(),
        db: db.to_owned(),
        exercises: exercises(),
        limits,
    })
    .await
    .expect("the class server starts")
}

pub fn join_url(class: &Class) -> String {
    class.join_url("127.0.0.1".parse().unwrap())
}

/// A learner with a workshop folder of their own (`.checker/` inside).
pub struct Learner {
    pub dir: tempfile::TempDir,
    pub link: Link,
}

impl Learner {
    pub async fn join(class: &Class, name: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        link::join(dir.path(), &join_url(class), name)
            .await
            .expect("the learner joins");
        let link = Link::open(dir.path()).unwrap().expect("joined");
        Self { dir, link }
    }

    /// One check run's results, as `checker check` sends them; the line it would print.
    pub async fn check(&mut self, results: &[(&str, Option<&str>)]) -> Option<String> {
        let checked: Vec<Checked> = results
            .iter()
            .map(|(exercise, step)| Checked {
                exercise: (*exercise).to_owned(),
                passed: step.is_none(),
                step: step.map(str::to_owned),
                hints_seen: u32::from(step.is_some()),
            })
            .collect();
        self.link.send(&checked).await
    }
}

/// One HTTP/1.1 request over a fresh connection: the status and the body.
pub async fn request(class: &Class, head: &str, body: &[u8]) -> (u16, String) {
    let mut stream = TcpStream::connect(class.address()).await.unwrap();
    let head = format!(
        "{head}\r\nHost: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        class.address(),
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut answer))
        .await
        .expect("the class server answers")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// Posts `report` (any JSON) as a learner's checker does.
pub async fn post(class: &Class, report: &Value) -> (u16, String) {
    request(
        class,
        "POST /api/results HTTP/1.1\r\nContent-Type: application/json",
        report.to_string().as_bytes(),
    )
    .await
}

/// The board, as the page gets it with the instructor's key.
pub async fn board(class: &Class) -> Value {
    let (status, body) = request(
        class,
        &format!(
            "GET /api/board HTTP/1.1\r\nAuthorization: Bearer {}",
            class.key()
        ),
        b"",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

/// `name`'s cell states, in exercise order (`done`, `failing`, `not-started`).
pub fn states(board: &Value, name: &str) -> Vec<String> {
    let learner = board["learners"]
        .as_array()
        .unwrap()
        .iter()
        .find(|learner| learner["name"] == name)
        .unwrap_or_else(|| panic!("{name} is not on the board: {board}"));
    learner["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|cell| cell["state"].as_str().unwrap().to_owned())
        .collect()
}

/// A report with the class's code and a fresh learner id.
pub fn report(class: &Class, name: &str, results: Value) -> Value {
    serde_json::json!({
        "code": class.code(),
        "learner": checker::class::new_secret(),
        "name": name,
        "results": results,
    })
}
