//! Every stub, as shipped, fails for the reason its exercise teaches.

use checker::workshop::Variant;

use crate::support;

#[tokio::test(flavor = "multi_thread")]
async fn stub_01_fails_because_connect_is_not_bound() {
    let graded = support::check("01-connect", Variant::Stub).await;
    let failure = support::failure(&graded);
    assert_eq!(failure.step, "alice connects and $connect runs");
    assert!(
        failure
            .expected
            .iter()
            .any(|line| line.contains("$connect -> onConnect"))
    );
    assert!(
        !failure
            .received
            .iter()
            .any(|line| line.starts_with("lambda:"))
    );
    support::report_snapshots()
        .bind(|| insta::assert_snapshot!("report-stub-01", support::report(&graded)));
}

#[tokio::test(flavor = "multi_thread")]
async fn stub_02_fails_because_messages_have_no_route() {
    let graded = support::check("02-there-and-back-again", Variant::Stub).await;
    let failure = support::failure(&graded);
    assert_eq!(failure.step, "alice's message comes back to alice only");
    assert!(
        failure
            .received
            .iter()
            .any(|line| line.contains(r#"{"message": "Forbidden""#)),
        "{:?}",
        failure.received
    );
    support::report_snapshots()
        .bind(|| insta::assert_snapshot!("report-stub-02", support::report(&graded)));
}

/// Set where `exercises/` are as the workshop ships them (CI's clean clone,
/// a maintainer's): there, they must equal the stub store. A learner's
/// `exercises/` hold their work, which no test may hold against them.
const SHIPPED: &str = "CHECKER_SHIPPED_EXERCISES";

/// `checker reset` restores from `checker/stubs/`, and the self-check grades
/// the stubs there: it must hold exactly the exercises as shipped. After
/// changing a stub, copy it there too. A difference is shown as text.
#[test]
fn the_stub_store_mirrors_the_exercises() {
    if std::env::var_os(SHIPPED).is_none() {
        eprintln!(
            "exercises/ may hold a learner's work: compared with checker/stubs/ only with {SHIPPED}=1 (as CI does)"
        );
        return;
    }
    let root = support::root();
    let mut differences = String::new();
    for exercise in support::workshop().exercises {
        let shipped = support::files(&root.join("exercises").join(&exercise.name));
        let stored = support::files(&root.join("checker/stubs").join(&exercise.name));
        assert!(!shipped.is_empty(), "{} has files", exercise.name);
        differences.push_str(&support::text_differences(
            &format!("exercises/{}", exercise.name),
            &shipped,
            &format!("checker/stubs/{}", exercise.name),
            &stored,
        ));
    }
    assert!(
        differences.is_empty(),
        "checker/stubs/ differs from exercises/: copy the stubs there\n{differences}"
    );
}
