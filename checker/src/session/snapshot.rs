//! Transcripts as snapshot text: `## step` headings and one line per observation.

use super::{LOCAL_STEP, Step, is_local_only};

/// Renders steps as the snapshot text: `## title` then one line per observation.
pub fn render(steps: &[Step]) -> String {
    let mut text = String::new();
    for step in steps {
        text.push_str("## ");
        text.push_str(&step.title);
        text.push('\n');
        for line in &step.lines {
            text.push_str(line);
            text.push('\n');
        }
    }
    text
}

/// Parses snapshot text (insta's `.snap` file, header included) back into steps.
/// `local` false drops what only a local run can observe.
pub fn parse(snapshot: &str, local: bool) -> Vec<Step> {
    let body = strip_insta_header(snapshot);
    let mut steps: Vec<Step> = Vec::new();
    let mut skipping = false;
    for line in body.lines().map(str::trim_end) {
        if let Some(title) = line.strip_prefix("## ") {
            skipping = !local && title.starts_with(LOCAL_STEP);
            if !skipping {
                steps.push(Step {
                    title: title.to_owned(),
                    lines: Vec::new(),
                });
            }
        } else if skipping {
            continue;
        } else if let Some(step) = steps.last_mut()
            && !line.is_empty()
            && (local || !is_local_only(line))
        {
            step.lines.push(line.to_owned());
        }
    }
    steps
}

/// insta's `.snap` files start with a `---`-fenced header.
fn strip_insta_header(snapshot: &str) -> &str {
    let Some(rest) = snapshot.strip_prefix("---\n") else {
        return snapshot;
    };
    match rest.find("\n---\n") {
        Some(end) => &rest[end + 5..],
        None => snapshot,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshots_round_trip() {
        let steps = vec![
            Step {
                title: "connect".into(),
                lines: vec![
                    "alice connects: accepted".into(),
                    "lambda: $connect -> onConnect for alice".into(),
                ],
            },
            Step {
                title: "echo".into(),
                lines: vec!["alice sends: hi".into()],
            },
        ];
        let snap = format!("---\nsource: x\nexpression: y\n---\n{}", render(&steps));
        assert_eq!(parse(&snap, true), steps);
        let remote = parse(&snap, false);
        assert_eq!(remote[0].lines, vec!["alice connects: accepted".to_owned()]);
    }
}
