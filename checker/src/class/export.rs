//! The class as CSV, for grading: one row per learner and exercise, with
//! the state, the failing step, hint stages seen, checks and times (UTC).

use std::io::Write;

use super::store::Store;

/// The class for grading: one row per learner and exercise, learners by name.
pub fn write_csv(store: &Store, exercises: &[String], out: impl Write) -> anyhow::Result<()> {
    let learners = store.learners()?;
    let latest = store.latest()?;
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record([
        "name",
        "learner",
        "exercise",
        "state",
        "failing_step",
        "hint_stages_seen",
        "checks",
        "started",
        "first_passed",
        "last_check",
    ])?;
    let time = |ms: Option<i64>| {
        ms.and_then(chrono::DateTime::from_timestamp_millis)
            .map(|time| time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            .unwrap_or_default()
    };
    for learner in &learners {
        for exercise in exercises {
            let found = latest
                .iter()
                .find(|row| row.learner == learner.id && &row.exercise == exercise);
            let name = spreadsheet_safe(&learner.name);
            let record: Vec<String> = match found {
                None => vec![
                    name,
                    learner.id.clone(),
                    exercise.clone(),
                    "not started".into(),
                    String::new(),
                    String::new(),
                    "0".into(),
                    String::new(),
                    String::new(),
                    String::new(),
                ],
                Some(row) => vec![
                    name,
                    learner.id.clone(),
                    exercise.clone(),
                    if row.passed { "done" } else { "failing" }.into(),
                    spreadsheet_safe(row.step.as_deref().unwrap_or_default()),
                    row.hints_seen.to_string(),
                    row.checks.to_string(),
                    time(Some(row.started_ms)),
                    time(row.first_passed_ms),
                    time(Some(row.received_ms)),
                ],
            };
            writer.write_record(&record)?;
        }
    }
    writer.flush()?;
    Ok(())
}

/// A cell a spreadsheet will not run as a formula: text starting with `=`,
/// `+`, `-` or `@` gets a leading apostrophe (learners choose their names).
fn spreadsheet_safe(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_look_like_formulas_stay_text_in_csv() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("class.db"), 1 << 20).unwrap();
        store
            .record(&"b".repeat(32), "=HYPERLINK(\"x\")", &[], 1_000)
            .unwrap();
        let mut csv = Vec::new();
        write_csv(&store, &["01".into()], &mut csv).unwrap();
        let csv = String::from_utf8(csv).unwrap();
        assert!(csv.contains("\"'=HYPERLINK(\"\"x\"\")\""), "{csv}");
        assert!(csv.contains(",01,not started,"), "{csv}");
    }
}
