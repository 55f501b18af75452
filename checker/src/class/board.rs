//! What the class page shows, computed from the store: each learner's state
//! per exercise, who has been stuck longest, and the steps most of the class
//! fails on. Names and steps stay text here; the page puts them in the
//! document as text, never as markup.

use std::collections::HashMap;

use serde::Serialize;

use super::store::{Latest, Learner};

/// How many of the most-failed steps and of the longest stuck the page lists.
const TOP: usize = 5;

#[derive(Debug, Clone, Serialize)]
pub struct Board {
    /// Bumped on every change; the page waits for the next one.
    pub version: u64,
    /// The server's clock when the board was made, for "for N minutes".
    pub now_ms: i64,
    pub exercises: Vec<Column>,
    pub learners: Vec<Row>,
    /// Steps learners fail on now, most learners first.
    pub most_failed: Vec<StepCount>,
    /// Learners failing on the same step longest, longest first.
    pub stuck: Vec<Stuck>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Column {
    pub name: String,
    pub title: String,
    pub done: usize,
    pub failing: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub name: String,
    pub cells: Vec<Cell>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum Cell {
    NotStarted,
    Done {
        checks: u32,
    },
    Failing {
        step: String,
        /// Failing on this step since.
        since_ms: i64,
        /// On this exercise since (the learner's first check of it).
        started_ms: i64,
        hints_seen: u32,
        checks: u32,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StepCount {
    pub exercise: String,
    pub step: String,
    pub learners: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stuck {
    pub name: String,
    pub exercise: String,
    pub step: String,
    pub since_ms: i64,
}

/// The board for `exercises` (name, title), in the workshop's order.
pub fn build(
    exercises: &[(String, String)],
    learners: &[Learner],
    latest: &[Latest],
    now_ms: i64,
    version: u64,
) -> Board {
    let by_key: HashMap<(&str, &str), &Latest> = latest
        .iter()
        .map(|row| ((row.learner.as_str(), row.exercise.as_str()), row))
        .collect();
    let mut columns: Vec<Column> = exercises
        .iter()
        .map(|(name, title)| Column {
            name: name.clone(),
            title: title.clone(),
            done: 0,
            failing: 0,
        })
        .collect();
    let mut failing_steps: HashMap<(usize, &str), usize> = HashMap::new();
    let mut stuck = Vec::new();
    let mut rows = Vec::with_capacity(learners.len());
    for learner in learners {
        let mut cells = Vec::with_capacity(exercises.len());
        let mut current: Option<Stuck> = None;
        for (index, (exercise, _)) in exercises.iter().enumerate() {
            let cell = match by_key.get(&(learner.id.as_str(), exercise.as_str())) {
                None => Cell::NotStarted,
                Some(row) if row.passed => {
                    columns[index].done += 1;
                    Cell::Done { checks: row.checks }
                }
                Some(row) => {
                    columns[index].failing += 1;
                    let step = row.step.clone().unwrap_or_default();
                    *failing_steps.entry((index, step_key(row))).or_default() += 1;
                    // A learner's stuck place is the first exercise they fail.
                    current.get_or_insert_with(|| Stuck {
                        name: learner.name.clone(),
                        exercise: exercise.clone(),
                        step: step.clone(),
                        since_ms: row.step_since_ms,
                    });
                    Cell::Failing {
                        step,
                        since_ms: row.step_since_ms,
                        started_ms: row.started_ms,
                        hints_seen: row.hints_seen,
                        checks: row.checks,
                    }
                }
            };
            cells.push(cell);
        }
        stuck.extend(current);
        rows.push(Row {
            name: learner.name.clone(),
            cells,
        });
    }
    Board {
        version,
        now_ms,
        most_failed: most_failed(failing_steps, exercises),
        exercises: columns,
        learners: rows,
        stuck: longest_stuck(stuck),
    }
}

/// The [`TOP`] steps most learners fail on now, most first.
fn most_failed(
    failing_steps: HashMap<(usize, &str), usize>,
    exercises: &[(String, String)],
) -> Vec<StepCount> {
    let mut most_failed: Vec<((usize, &str), usize)> = failing_steps.into_iter().collect();
    most_failed.sort_by(|(a_key, a_count), (b_key, b_count)| {
        b_count.cmp(a_count).then_with(|| a_key.cmp(b_key))
    });
    most_failed
        .into_iter()
        .take(TOP)
        .map(|((index, step), learners)| StepCount {
            exercise: exercises[index].0.clone(),
            step: step.to_owned(),
            learners,
        })
        .collect()
}

/// The [`TOP`] learners stuck longest, longest first.
fn longest_stuck(mut stuck: Vec<Stuck>) -> Vec<Stuck> {
    stuck.sort_by(|a, b| {
        a.since_ms
            .cmp(&b.since_ms)
            .then_with(|| a.name.cmp(&b.name))
    });
    stuck.truncate(TOP);
    stuck
}

fn step_key(row: &Latest) -> &str {
    row.step.as_deref().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn learner(id: &str, name: &str) -> Learner {
        Learner {
            id: id.into(),
            name: name.into(),
            joined_ms: 0,
        }
    }

    fn row(learner: &str, exercise: &str, step: Option<&str>, since_ms: i64) -> Latest {
        Latest {
            learner: learner.into(),
            exercise: exercise.into(),
            passed: step.is_none(),
            step: step.map(str::to_owned),
            hints_seen: 2,
            started_ms: 0,
            step_since_ms: since_ms,
            received_ms: since_ms,
            first_passed_ms: None,
            checks: 1,
        }
    }

    #[test]
    fn the_board_ranks_the_class_steps_and_the_stuck() {
        let exercises = vec![
            ("01".to_owned(), "Connect".to_owned()),
            ("02".to_owned(), "Echo".to_owned()),
        ];
        let learners = [learner("a", "Ada"), learner("b", "Bo"), learner("c", "Cy")];
        let latest = [
            row("a", "01", None, 10),
            row("a", "02", Some("echo"), 500),
            row("b", "01", None, 10),
            row("b", "02", Some("echo"), 300),
            row("c", "01", Some("connect"), 100),
        ];
        let board = build(&exercises, &learners, &latest, 1_000, 7);
        assert_eq!(board.version, 7);
        assert_eq!(
            board.most_failed[0],
            StepCount {
                exercise: "02".into(),
                step: "echo".into(),
                learners: 2
            }
        );
        let stuck: Vec<&str> = board.stuck.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(stuck, ["Cy", "Bo", "Ada"]);
        assert_eq!(board.learners[2].cells[1], Cell::NotStarted);
        assert_eq!(board.learners[0].cells[0], Cell::Done { checks: 1 });
        assert_eq!(
            (board.exercises[0].done, board.exercises[1].failing),
            (2, 2)
        );
    }
}
