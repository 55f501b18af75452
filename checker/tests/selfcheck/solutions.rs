//! The reference solutions pass, and their transcripts are the snapshots.

use checker::exercises::Variant;
use checker::grade::{self, Target};
use checker::scenario;

use crate::support;

/// Records each solution's full transcript with insta: `cargo insta review`
/// updates `checker/snapshots/<exercise>.snap`, which the checker compiles in.
#[tokio::test(flavor = "multi_thread")]
async fn solution_transcripts_are_the_snapshots() {
    let workshop = support::workshop();
    for exercise in &workshop.exercises {
        let target = Target::of(&workshop, exercise, Variant::Solution);
        let run = grade::transcript_local(&target, None)
            .await
            .unwrap_or_else(|verdict| panic!("{} cannot run: {verdict:?}", exercise.name));
        support::transcript_snapshots().bind(|| {
            insta::assert_snapshot!(exercise.name.clone(), scenario::render(&run.steps));
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
