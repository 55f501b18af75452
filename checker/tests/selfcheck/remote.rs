//! Remote mode: the same scenarios against a stack already running at a URL,
//! here the emulator reached only through its URL, and the fidelity report.

use std::process::Command;
use std::time::Duration;

use checker::compare;
use checker::emulator::Settings;
use checker::grade::Submission;
use checker::workshop::Variant;

use crate::support;

const ECHO: &str = "02-there-and-back-again";

fn any_port() -> Settings {
    Settings {
        port: 0,
        ..Settings::default()
    }
}

async fn check_endpoint(exercise: &str, url: &str) -> (bool, String) {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_checker"))
        .args(["check", exercise, "--endpoint", url])
        .output()
        .await
        .expect("checker runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

#[tokio::test(flavor = "multi_thread")]
async fn check_endpoint_grades_a_running_stack_by_its_url() {
    let solved = support::serve(ECHO, Variant::Solution, any_port()).await;
    let (ok, text) = check_endpoint("02", &solved.url()).await;
    assert!(ok, "{text}");
    assert!(text.contains("✓ pass  02-there-and-back-again"), "{text}");
    solved.shutdown().await;

    // The 01 solution has no message route: against it, 02's check fails at its first message.
    let wrong = support::serve("01-connect", Variant::Solution, any_port()).await;
    let (ok, text) = check_endpoint("02", &wrong.url()).await;
    assert!(!ok, "{text}");
    assert!(
        text.contains("✗ alice's message comes back to alice only"),
        "{text}"
    );
    assert!(text.contains(r#""message": "Forbidden""#), "{text}");
    wrong.shutdown().await;
}

#[test]
fn check_endpoint_needs_one_exercise_and_an_answering_url() {
    let output = Command::new(env!("CARGO_BIN_EXE_checker"))
        .args(["check", "--endpoint", "ws://127.0.0.1:9/dev"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("name it"));

    // Nothing listens on port 9: the report says the handshake failed.
    let output = Command::new(env!("CARGO_BIN_EXE_checker"))
        .args(["check", "01", "--endpoint", "ws://127.0.0.1:9/dev"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!output.status.success());
    assert!(stdout.contains("alice connects: fails"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread")]
async fn compare_finds_no_difference_between_two_faithful_runs() {
    let other = support::serve(ECHO, Variant::Solution, any_port()).await;
    let workshop = support::workshop();
    let submission = Submission::of(&workshop, workshop.find(ECHO).unwrap(), Variant::Solution);
    let differences = compare::compare(&submission, &other.url()).await.unwrap();
    assert_eq!(differences, []);
    other.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn compare_shows_where_an_altered_emulator_differs() {
    // Connections that go idle after 300 ms: the quiet checks outlast them.
    let altered = Settings {
        idle_timeout: Duration::from_millis(300),
        ..any_port()
    };
    let other = support::serve(ECHO, Variant::Solution, altered).await;
    let workshop = support::workshop();
    let submission = Submission::of(&workshop, workshop.find(ECHO).unwrap(), Variant::Solution);
    let differences = compare::compare(&submission, &other.url()).await.unwrap();
    assert!(!differences.is_empty());
    let remote_lines: Vec<&String> = differences.iter().flat_map(|d| &d.remote).collect();
    assert!(
        remote_lines
            .iter()
            .any(|line| line.contains("is disconnected with code 1001")),
        "{differences:#?}"
    );
    other.shutdown().await;
}
