//! The class server: the join code, the instructor's key, every bound, and a restart.

use std::process::Command;
use std::time::Duration;

use checker::class::link::{self, PostError};
use checker::class::server::Limits;
use serde_json::json;
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

use crate::support::{self, Learner};

const ONE: &str = "01-connect";
const TWO: &str = "02-there-and-back-again";

#[tokio::test]
async fn results_are_taken_only_with_the_join_code() {
    let dir = tempfile::tempdir().unwrap();
    let class = support::start(&dir.path().join("class.db"), Limits::default()).await;
    let address = class.address();

    // A made-up code: refused, said so, nothing kept.
    let learner_dir = tempfile::tempdir().unwrap();
    let wrong = format!("http://{address}/ABCDEF");
    let refused = link::join(learner_dir.path(), &wrong, "Mallory")
        .await
        .unwrap_err();
    assert!(
        refused.to_string().contains("not the class's join code"),
        "{refused}"
    );
    assert!(!learner_dir.path().join("class.toml").exists());
    let (status, _) = support::post(
        &class,
        &json!({"code": "ABCDEF", "learner": "a".repeat(32), "name": "Mallory",
                "results": [{"exercise": ONE, "passed": true}]}),
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(support::board(&class).await["learners"], json!([]));

    // The code as the instructor printed it, typed in lower case with a dash.
    let typed = format!(
        "http://{address}/{}-{}",
        class.code()[..3].to_lowercase(),
        &class.code()[3..]
    );
    let membership = link::join(learner_dir.path(), &typed, "Ada").await.unwrap();
    assert_eq!(membership.code, class.code());
    assert_eq!(
        support::states(&support::board(&class).await, "Ada"),
        ["not-started"; 6]
    );

    // The board and the CSV answer only to the instructor's key.
    for head in [
        "GET /api/board HTTP/1.1".to_owned(),
        "GET /api/board HTTP/1.1\r\nAuthorization: Bearer 0123".to_owned(),
        format!("GET /api/board?key={} HTTP/1.1", class.code()),
        "GET /class.csv HTTP/1.1".to_owned(),
    ] {
        let (status, body) = support::request(&class, &head, b"").await;
        assert_eq!(status, 401, "{head}: {body}");
        assert!(!body.contains("Ada"), "{body}");
    }
    let (status, csv) = support::request(
        &class,
        &format!("GET /class.csv?key={} HTTP/1.1", class.key()),
        b"",
    )
    .await;
    assert_eq!(status, 200);
    assert!(csv.contains("Ada,"), "{csv}");

    // Opening the join address in a browser says how to join, the same for any code.
    let (status, right) =
        support::request(&class, &format!("GET /{} HTTP/1.1", class.code()), b"").await;
    let (_, made_up) = support::request(&class, "GET /ZZZZZZ HTTP/1.1", b"").await;
    assert_eq!(status, 200);
    assert!(right.contains("checker -- join"), "{right}");
    assert_eq!(right, made_up);
}

#[tokio::test]
async fn guessing_codes_is_cut_short() {
    let dir = tempfile::tempdir().unwrap();
    let limits = Limits {
        wrong_codes_per_minute: 3,
        ..Limits::default()
    };
    let class = support::start(&dir.path().join("class.db"), limits).await;
    for guess in ["AAAAAA", "BBBBBB", "CCCCCC"] {
        let mut report = support::report(&class, "Mallory", json!([]));
        report["code"] = json!(guess);
        assert_eq!(support::post(&class, &report).await.0, 403);
    }
    // Even the right code, from that address, for the rest of the minute.
    let (status, body) =
        support::post(&class, &support::report(&class, "Mallory", json!([]))).await;
    assert_eq!(status, 429, "{body}");
    assert!(body.contains("wait a minute"), "{body}");
}

#[tokio::test]
async fn each_request_name_step_and_learner_is_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let limits = Limits {
        burst: 3,
        per_minute: 1,
        max_learners: 3,
        ..Limits::default()
    };
    let class = support::start(&dir.path().join("class.db"), limits).await;
    let post = "POST /api/results HTTP/1.1\r\nContent-Type: application/json";

    // Too large (said before the body is read), not JSON, not a report.
    let large = vec![b' '; checker::class::MAX_REPORT_BYTES + 1];
    assert_eq!(support::request(&class, post, &large).await.0, 413);
    let form = "POST /api/results HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded";
    assert_eq!(support::request(&class, form, b"code=1").await.0, 415);
    assert_eq!(support::request(&class, post, b"{\"code\":").await.0, 400);

    // A name too long, too many results, an exercise the class does not have.
    let long_name = "n".repeat(checker::class::MAX_NAME_CHARS + 1);
    let (status, body) =
        support::post(&class, &support::report(&class, &long_name, json!([]))).await;
    assert_eq!(status, 400, "{body}");
    let many: Vec<_> = (0..=checker::class::MAX_RESULTS_PER_REPORT)
        .map(|_| json!({"exercise": ONE, "passed": true}))
        .collect();
    let (status, _) = support::post(&class, &support::report(&class, "Bo", json!(many))).await;
    assert_eq!(status, 400);
    let (status, body) = support::post(
        &class,
        &support::report(
            &class,
            "Bo",
            json!([{"exercise": "99-nope", "passed": true}]),
        ),
    )
    .await;
    assert_eq!((status, body.contains("99-nope")), (400, true), "{body}");
    assert_eq!(support::board(&class).await["learners"], json!([]));

    // A step's title is cut, control characters and all.
    let mut ada = Learner::join(&class, "Ada").await;
    let step = format!("\x1b[2J{}", "s".repeat(1000));
    assert_eq!(ada.check(&[(ONE, Some(step.as_str()))]).await, None);
    let board = support::board(&class).await;
    let shown = board["learners"][0]["cells"][0]["step"].as_str().unwrap();
    assert_eq!(shown.chars().count(), checker::class::MAX_STEP_CHARS);
    assert!(!shown.contains('\x1b'), "{shown:?}");

    // Ada's burst is 3 reports (her join was one): the next waits, Bo's are his own.
    assert_eq!(ada.check(&[(ONE, None)]).await, None);
    let refused = ada.check(&[(TWO, None)]).await.expect("a line for Ada");
    assert!(refused.contains("too many results at once"), "{refused}");
    let mut bo = Learner::join(&class, "Bo").await;
    assert_eq!(bo.check(&[(ONE, None)]).await, None);

    // Three learners fill this class; a fourth is refused, the three go on.
    let _cy = Learner::join(&class, "Cy").await;
    let fourth = tempfile::tempdir().unwrap();
    let full = link::join(fourth.path(), &support::join_url(&class), "Dee")
        .await
        .unwrap_err();
    assert!(
        matches!(
            &full,
            link::LinkError::Send(PostError::Refused { status: 507, .. })
        ),
        "{full}"
    );
    assert_eq!(bo.check(&[(TWO, Some("echo"))]).await, None);
    assert_eq!(
        support::board(&class).await["learners"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
}

#[tokio::test]
async fn the_database_stops_growing_at_its_bound() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("class.db");
    let limits = Limits {
        store_bytes: 64 * 1024,
        max_learners: 10_000,
        ..Limits::default()
    };
    let class = support::start(&db, limits).await;
    let results = json!([
        {"exercise": ONE, "passed": true},
        {"exercise": TWO, "passed": false, "step": "s".repeat(150)},
    ]);
    let mut full = None;
    for index in 0..2_000 {
        let name = format!("learner {index} {}", "x".repeat(25));
        let (status, body) =
            support::post(&class, &support::report(&class, &name, results.clone())).await;
        if status != 200 {
            full = Some((index, status, body));
            break;
        }
    }
    let (kept, status, body) = full.expect("the database fills up");
    assert_eq!(status, 507, "{body}");
    assert!(body.contains("database is full"), "{body}");
    assert!(kept > 10, "only {kept} learners fit");
    let size = std::fs::metadata(&db).unwrap().len();
    assert!(size <= limits.store_bytes, "{size} bytes");
    // Full, not broken: the instructor still sees the class.
    let board = support::board(&class).await;
    assert_eq!(board["learners"].as_array().unwrap().len(), kept);
}

#[tokio::test]
async fn connections_beyond_the_bound_are_closed_and_the_server_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let limits = Limits {
        max_connections: 4,
        ..Limits::default()
    };
    let class = support::start(&dir.path().join("class.db"), limits).await;
    let mut idle = Vec::new();
    for _ in 0..4 {
        idle.push(TcpStream::connect(class.address()).await.unwrap());
    }
    // Give the server the time to take the four in.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut fifth = TcpStream::connect(class.address()).await.unwrap();
    let mut byte = [0_u8; 1];
    let read = tokio::time::timeout(Duration::from_secs(5), fifth.read(&mut byte))
        .await
        .expect("the fifth connection is closed at once");
    assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
    drop(idle);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(support::board(&class).await["learners"], json!([]));
}

#[tokio::test]
async fn the_class_survives_a_restart_and_exports_csv() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("class.db");
    let class = support::start(&db, Limits::default()).await;
    let (code, key) = (class.code().to_owned(), class.key().to_owned());
    let mut ada = Learner::join(&class, "Ada").await;
    let mut bo = Learner::join(&class, "Bo").await;
    ada.check(&[
        (ONE, None),
        (TWO, Some("alice's message comes back to alice only")),
    ])
    .await;
    bo.check(&[(ONE, Some("alice connects and $connect runs"))])
        .await;
    let port = class.address().port();
    class.stop().await;

    // Started again on the same file (and port): the same code and key, the same class.
    let class = support::start_on(&db, Limits::default(), &format!("127.0.0.1:{port}")).await;
    assert_eq!((class.code(), class.key()), (code.as_str(), key.as_str()));
    let board = support::board(&class).await;
    assert_eq!(
        support::states(&board, "Ada"),
        [
            "done",
            "failing",
            "not-started",
            "not-started",
            "not-started",
            "not-started"
        ]
    );
    assert_eq!(support::states(&board, "Bo")[0], "failing");
    // Learners who joined before go on sending, with nothing to do.
    assert_eq!(ada.check(&[(TWO, None)]).await, None);
    assert_eq!(
        support::states(&support::board(&class).await, "Ada")[1],
        "done"
    );

    // The CSV, from the page's link and from `checker class --csv`.
    let (status, from_page) =
        support::request(&class, &format!("GET /class.csv?key={key} HTTP/1.1"), b"").await;
    assert_eq!(status, 200);
    class.stop().await;
    let output = Command::new(env!("CARGO_BIN_EXE_checker"))
        .args(["class", "--csv", "--db"])
        .arg(&db)
        .env("CHECKER_ROOT", support::root())
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let from_cli = String::from_utf8(output.stdout).unwrap();
    assert_eq!(from_cli, from_page);
    let mut reader = csv::Reader::from_reader(from_cli.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2 * 6, "one row per learner and exercise");
    let row = |name: &str, exercise: &str| {
        rows.iter()
            .find(|row| &row[0] == name && &row[2] == exercise)
            .unwrap()
            .clone()
    };
    assert_eq!(&row("Ada", TWO)[3], "done");
    assert_eq!(&row("Bo", ONE)[3], "failing");
    assert_eq!(&row("Bo", ONE)[4], "alice connects and $connect runs");
    assert_eq!(&row("Bo", ONE)[5], "1", "hint stages seen");
    assert_eq!(&row("Bo", TWO)[3], "not started");
}
