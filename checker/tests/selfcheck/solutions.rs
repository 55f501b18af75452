//! The reference solutions pass, and their transcripts are the snapshots.

use checker::grade::{self, Submission};
use checker::session;
use checker::workshop::Variant;

use crate::support;

/// Records each solution's full transcript with insta: `cargo insta review`
/// updates `checker/snapshots/<exercise>.snap`, which the checker compiles in.
#[tokio::test(flavor = "multi_thread")]
async fn solution_transcripts_are_the_snapshots() {
    let workshop = support::workshop();
    for exercise in &workshop.exercises {
        let submission = Submission::of(&workshop, exercise, Variant::Solution);
        let run = grade::transcript_local(&submission)
            .await
            .unwrap_or_else(|verdict| panic!("{} cannot run: {verdict:?}", exercise.name));
        support::transcript_snapshots().bind(|| {
            insta::assert_snapshot!(exercise.name.clone(), session::render(&run.steps));
        });
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_solution_passes() {
    for exercise in support::workshop().exercises {
        let graded = support::check(&exercise.name, Variant::Solution).await;
        assert!(graded.verdict.passed(), "{}", support::report(&graded));
    }
}
