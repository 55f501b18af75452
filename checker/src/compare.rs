//! Fidelity: the same scenario against the local emulator and a deployed
//! stack, and where their transcripts differ (ids are already masked).

use crate::grade::{self, Submission, Verdict};
use crate::session::{LOCAL_STEP, Step, is_local_only};

/// One step whose observations differ between the two runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    pub step: String,
    pub local: Vec<String>,
    pub remote: Vec<String>,
}

/// Runs `submission` locally and the scenario against `url`, and lists the steps that differ.
pub async fn compare(submission: &Submission, url: &str) -> Result<Vec<Difference>, Verdict> {
    let local = grade::transcript_local(submission).await?;
    let remote = grade::transcript_remote(&submission.exercise, url).await?;
    Ok(differences(
        &without_local_only(&local.steps),
        &remote.steps,
    ))
}

/// What a remote run cannot observe is left out of the local transcript: its
/// lines, and the steps that run only locally (a remote run has no such step,
/// and the steps after it would be compared with the wrong ones).
fn without_local_only(steps: &[Step]) -> Vec<Step> {
    steps
        .iter()
        .filter(|step| !step.title.starts_with(LOCAL_STEP))
        .map(|step| Step {
            title: step.title.clone(),
            lines: step
                .lines
                .iter()
                .filter(|line| !is_local_only(line))
                .cloned()
                .collect(),
        })
        .collect()
}

pub fn differences(local: &[Step], remote: &[Step]) -> Vec<Difference> {
    (0..local.len().max(remote.len()))
        .filter_map(|index| {
            let (here, there) = (local.get(index), remote.get(index));
            if here == there {
                return None;
            }
            let title = here
                .or(there)
                .map(|step| step.title.clone())
                .unwrap_or_default();
            Some(Difference {
                step: title,
                local: here.map(|step| step.lines.clone()).unwrap_or_default(),
                remote: there.map(|step| step.lines.clone()).unwrap_or_default(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(title: &str, lines: &[&str]) -> Step {
        Step {
            title: title.to_owned(),
            lines: lines.iter().map(|line| (*line).to_owned()).collect(),
        }
    }

    #[test]
    fn a_step_that_runs_only_locally_is_not_compared() {
        let local = [
            step("a stale id is deleted", &["alice receives: hi"]),
            step(
                "(local) a post that fails for another reason is not swallowed",
                &["alice sends: while @connections is throttled"],
            ),
            step("nothing else arrives", &["alice receives nothing"]),
        ];
        let remote = [
            step("a stale id is deleted", &["alice receives: hi"]),
            step("nothing else arrives", &["alice receives nothing"]),
        ];
        assert_eq!(differences(&without_local_only(&local), &remote), []);

        let remote = [
            step("a stale id is deleted", &["alice receives: hi"]),
            step("nothing else arrives", &["alice receives: late"]),
        ];
        assert_eq!(
            differences(&without_local_only(&local), &remote),
            [Difference {
                step: "nothing else arrives".to_owned(),
                local: vec!["alice receives nothing".to_owned()],
                remote: vec!["alice receives: late".to_owned()],
            }]
        );
    }
}
