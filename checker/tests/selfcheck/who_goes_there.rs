//! Exercise 06 (Who goes there): the solution passes behind its authorizer;
//! the stub (as shipped, from the stub store) fails at its first TODO, the
//! authorizer missing from `$connect`: a client without a token gets in.

use checker::workshop::Variant;

use crate::support;

const EXERCISE: &str = "06-who-goes-there";

#[tokio::test(flavor = "multi_thread")]
async fn the_solution_passes_and_the_stub_fails_at_its_first_todo() {
    let graded = support::check(EXERCISE, Variant::Solution).await;
    assert!(graded.verdict.passed(), "{}", support::report(&graded));

    let graded = support::check(EXERCISE, Variant::Stub).await;
    let failure = support::failure(&graded);
    assert_eq!(failure.step, "a client without a token is refused");
    assert!(
        failure
            .received
            .contains(&"mallory connects: accepted".to_owned()),
        "{:?}",
        failure.received
    );
    let report = support::report(&graded);
    assert!(report.contains("Hint (1 of 3)"), "{report}");
    assert!(report.contains("`$connect` has no authorizer"), "{report}");
}
