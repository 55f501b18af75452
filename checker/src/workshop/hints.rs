//! Each exercise's hint comes in stages, as the learner needs them: a nudge
//! first, then the API to use, the code last. Which stage comes next is in
//! the learner's progress.

use super::Exercise;

/// The hint a failing report shows: the next stage the learner has not seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HintShown {
    /// Stage `number` (from 1) of `of`.
    Stage {
        number: usize,
        of: usize,
        text: String,
    },
    /// Every stage was shown before.
    AllSeen { of: usize },
}

impl HintShown {
    /// The stage after the `seen` first ones.
    pub(crate) fn after(exercise: &Exercise, seen: usize) -> Self {
        let of = exercise.hints.len();
        match exercise.hints.get(seen) {
            Some(text) => Self::Stage {
                number: seen + 1,
                of,
                text: text.clone(),
            },
            None => Self::AllSeen { of },
        }
    }

    /// The first stage, for reports that keep no progress (solutions, deployments).
    pub fn first(exercise: &Exercise) -> Option<Self> {
        match Self::after(exercise, 0) {
            HintShown::AllSeen { .. } => None,
            first => Some(first),
        }
    }
}
