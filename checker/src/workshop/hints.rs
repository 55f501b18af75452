//! Each exercise's hint comes in stages, as the learner asks for them: a
//! nudge first, then the API to use, the code last. A failing report shows
//! the nudge only; every further stage comes from `hint` (or the watch
//! screen's key), never unasked. Which stage comes next is in the learner's
//! progress.

use super::Exercise;

/// A stage of the hint, as `hint` shows it: the next the learner has not seen.
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
}

/// What a failing report shows of the hint: its first stage, the nudge, and
/// which stage `hint` would show next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nudge {
    pub text: String,
    /// How many stages the hint has.
    pub of: usize,
    /// The stage `hint` shows next; `None` once every stage was shown.
    pub next: Option<usize>,
}

impl Nudge {
    /// The nudge of `exercise` for a learner who has seen `seen` stages
    /// (the nudge itself counted as seen); none for a hint without stages.
    pub fn after(exercise: &Exercise, seen: usize) -> Option<Self> {
        let text = exercise.hints.first()?.clone();
        let of = exercise.hints.len();
        let seen = seen.max(1);
        Some(Self {
            text,
            of,
            next: (seen < of).then_some(seen + 1),
        })
    }
}
