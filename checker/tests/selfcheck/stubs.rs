//! Every stub, as shipped, fails for the reason its exercise teaches.

use checker::workshop::Variant;

use crate::support;

#[tokio::test(flavor = "multi_thread")]
async fn stub_01_fails_because_connect_is_not_bound() {
    let graded = support::check("01-connect", Variant::Learner).await;
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
    let graded = support::check("02-there-and-back-again", Variant::Learner).await;
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

/// `checker reset` restores from `checker/stubs/`; it must hold exactly the
/// exercises as shipped. After changing a stub, copy it there too.
#[test]
fn the_stub_store_mirrors_the_exercises() {
    let root = support::root();
    for exercise in support::workshop().exercises {
        let shipped = root.join("exercises").join(&exercise.name);
        let stored = root.join("checker/stubs").join(&exercise.name);
        let shipped_files = support::files(&shipped);
        assert!(!shipped_files.is_empty(), "{} has files", exercise.name);
        assert_eq!(
            shipped_files,
            support::files(&stored),
            "checker/stubs/{0} differs from exercises/{0}: copy the stub there",
            exercise.name
        );
    }
}
