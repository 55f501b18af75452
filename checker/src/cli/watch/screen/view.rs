//! What the watch screen shows, and how it is drawn: the verdict and the
//! failing step on the first line, progress on the second, then the hint
//! asked for, the diff and the reasons (the report's own text, fitted to the
//! terminal's width), a status line, and the keys.

use checker::grade::{Graded, Verdict};
use checker::report;
use checker::workshop::{Exercise, HintShown, Nudge, Variant, Workshop};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::style::{Style, Stylize};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Paragraph, Wrap};

use super::super::{Fingerprints, Walked};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ScreenMode {
    /// The last walk's report.
    Report,
    /// The exercises and where each stands.
    List,
    /// `x` was pressed: reset only after a `y`.
    ConfirmReset,
}

/// The line above the keys.
pub(super) enum Status {
    /// Waiting for a save.
    Watching,
    /// A change to an editor's file, which started nothing.
    Ignored(String),
    /// What a key did.
    Said(String),
}

/// Where an exercise stands, for the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Standing {
    Done,
    Failing,
    NotYet,
}

/// Everything the screen shows.
pub(super) struct OnScreen {
    exercises: Vec<Exercise>,
    /// The folder `watch` watches, for the learner to read.
    watched: String,
    /// The exercise being checked, while a walk runs (`Some(None)`: starting).
    checking: Option<Option<String>>,
    /// How many walks have run.
    walks: usize,
    /// The last walk's results, the failing exercise's among them.
    results: Vec<Graded>,
    /// How many exercises are done, and each one's standing.
    done: usize,
    standings: Vec<Standing>,
    /// The failing exercise's nudge (the report's hint).
    nudge: Option<Nudge>,
    /// Each folder's fingerprint when the last walk started.
    pub(super) fingerprints: Option<Fingerprints>,
    /// A stage of the hint asked for with `h`.
    pub(super) hint: Option<HintShown>,
    pub(super) mode: ScreenMode,
    pub(super) status: Status,
    /// How far the body is scrolled, in lines.
    pub(super) scroll: u16,
}

impl OnScreen {
    pub(super) fn new(workshop: &Workshop) -> Self {
        Self {
            exercises: workshop.exercises.clone(),
            watched: Variant::Learner.folder().to_owned(),
            checking: None,
            walks: 0,
            results: Vec::new(),
            done: 0,
            standings: vec![Standing::NotYet; workshop.exercises.len()],
            nudge: None,
            fingerprints: None,
            hint: None,
            mode: ScreenMode::Report,
            status: Status::Watching,
            scroll: 0,
        }
    }

    /// A walk runs: `exercise` is being checked (none named yet at its start).
    pub(super) fn checking(&mut self, exercise: Option<String>) {
        self.checking = Some(exercise);
    }

    /// A walk ended: its results replace the last; a hint asked for stays
    /// while the same exercise fails.
    pub(super) fn walked(&mut self, workshop: &Workshop, walked: &mut Walked) {
        let before = self
            .failing_exercise()
            .map(|exercise| exercise.name.clone());
        self.walks += 1;
        self.checking = None;
        let failing = walked.failing().map(|graded| graded.exercise.clone());
        self.nudge = failing
            .as_ref()
            .and_then(|exercise| walked.progress.nudge(exercise));
        self.done = walked.progress.done_count(workshop);
        self.standings = workshop
            .exercises
            .iter()
            .map(|exercise| {
                if walked.progress.is_done(workshop, exercise) {
                    Standing::Done
                } else if failing.as_ref().is_some_and(|f| f.name == exercise.name) {
                    Standing::Failing
                } else {
                    Standing::NotYet
                }
            })
            .collect();
        self.watched = match &failing {
            Some(exercise) => format!("{}/{}", Variant::Learner.folder(), exercise.name),
            None => Variant::Learner.folder().to_owned(),
        };
        if failing.as_ref().map(|exercise| &exercise.name) != before.as_ref() {
            self.hint = None;
        }
        self.results = walked.results.clone();
        self.fingerprints = Some(walked.fingerprints.clone());
        self.mode = ScreenMode::Report;
        self.status = Status::Watching;
        self.scroll = 0;
    }

    /// The exercise the last walk stopped at.
    pub(super) fn failing_exercise(&self) -> Option<&Exercise> {
        self.failing().map(|graded| &graded.exercise)
    }

    fn failing(&self) -> Option<&Graded> {
        self.results.iter().find(|graded| !graded.verdict.passed())
    }

    pub(super) fn scroll_by(&mut self, lines: i32) {
        self.scroll = u16::try_from((i32::from(self.scroll) + lines).max(0)).unwrap_or(u16::MAX);
    }
}

pub(super) fn draw(frame: &mut Frame<'_>, shown: &OnScreen) {
    let [head, body, status, keys] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Min(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(frame.area());
    frame.render_widget(Paragraph::new(heading(shown)), head);
    let text = match (&shown.checking, shown.mode) {
        (Some(_), _) => Text::from(
            "The report comes when the check ends (the first build of an exercise takes a while)."
                .dim(),
        ),
        (None, ScreenMode::List) => list(shown),
        (None, ScreenMode::ConfirmReset) => confirm_reset(shown),
        (None, ScreenMode::Report) => report_body(shown),
    };
    let scroll = if shown.mode == ScreenMode::Report {
        shown.scroll
    } else {
        0
    };
    frame.render_widget(
        Paragraph::new(text)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0)),
        body,
    );
    frame.render_widget(Paragraph::new(status_line(shown)), status);
    frame.render_widget(Paragraph::new(key_line(shown)).reversed(), keys);
}

/// The verdict and failing step, then progress.
fn heading(shown: &OnScreen) -> Text<'static> {
    let progress = format!("Progress {}/{} done", shown.done, shown.exercises.len());
    if let Some(checking) = &shown.checking {
        let what = checking.as_deref().unwrap_or("the workshop");
        return Text::from(vec![
            Line::from(format!("Checking {what} ...").bold()),
            Line::from(format!("{progress} · a save started check {}", shown.walks + 1).dim()),
        ]);
    }
    let verdict = match shown.failing() {
        Some(graded) => {
            let exercise = &graded.exercise;
            let what = match &graded.verdict {
                Verdict::Failed(failure) => format!("fails at: {}", failure.step),
                Verdict::BuildFailed { .. } => "the Lambdas do not compile".to_owned(),
                Verdict::Broken { .. } => "the exercise cannot run".to_owned(),
                Verdict::Passed => String::new(),
            };
            Line::from(vec![
                "✗ ".red().bold(),
                format!("{} ({}) ", exercise.name, exercise.title).bold(),
                Span::styled(what, Style::new().red()),
            ])
        }
        None => Line::from(vec![
            "✓ ".green().bold(),
            "Every exercise passes. Well done!".green().bold(),
        ]),
    };
    let took: f64 = shown
        .results
        .iter()
        .map(|graded| graded.duration.as_secs_f64())
        .sum();
    Text::from(vec![
        verdict,
        Line::from(format!("{progress} · check {} took {took:.1} s", shown.walks).dim()),
    ])
}

/// The hint asked for, then the failing exercise's report without its
/// first line (the heading says it); when all pass, what to do next.
fn report_body(shown: &OnScreen) -> Text<'static> {
    let mut text = Text::default();
    if let (
        Some(HintShown::Stage {
            number,
            of,
            text: hint,
        }),
        Some(exercise),
    ) = (&shown.hint, shown.failing_exercise())
    {
        text.push_line(Line::from(format!("Hint {number} of {of}").bold().yellow()));
        for line in hint.trim().lines() {
            text.push_line(Line::from(format!("  {line}")));
        }
        let next = if number < of {
            format!("  h: hint {} of {of}", number + 1)
        } else {
            format!(
                "  That is the last; `cargo run -p checker -- hint {} --all` prints them all.",
                exercise.short_name()
            )
        };
        text.push_line(Line::from(next.dim()));
        text.push_line(Line::default());
    }
    let Some(graded) = shown.failing() else {
        for line in [
            "What next:",
            "  Try the finished chat app by hand: `cargo run -p checker -- serve`, then open the console it prints.",
            "  Deploy it to AWS: the README's deploy section (`cargo run -p checker -- deploy 05`).",
            "",
            "Still watching: a save checks every exercise again.",
        ] {
            text.push_line(Line::from(line));
        }
        return text;
    };
    let mut written = Vec::new();
    if report::write_exercise(&mut written, graded, shown.nudge.as_ref(), false).is_err() {
        return text;
    }
    let report = String::from_utf8_lossy(&written);
    // The first line is the verdict, which the heading shows.
    let rest = report.split_once('\n').map_or("", |(_, rest)| rest);
    let rest = rest.strip_prefix('\n').unwrap_or(rest);
    match ansi_to_tui::IntoText::into_text(&rest.as_bytes()) {
        Ok(report) => text.extend(report),
        Err(_) => text.extend(Text::from(rest.to_owned())),
    }
    text
}

fn list(shown: &OnScreen) -> Text<'static> {
    let mut text = Text::from(Line::from("The exercises".bold()));
    for (exercise, standing) in shown.exercises.iter().zip(&shown.standings) {
        let (mark, said) = match standing {
            Standing::Done => ("✓".green(), "done".green()),
            Standing::Failing => ("✗".red(), "you are here".red()),
            Standing::NotYet => ("·".dim(), "not yet".dim()),
        };
        text.push_line(Line::from(vec![
            mark,
            format!(" {:<26} {:<22} ", exercise.name, exercise.title).into(),
            said,
        ]));
    }
    text.push_line(Line::default());
    text.push_line(Line::from("l or Esc: back to the report".dim()));
    text
}

fn confirm_reset(shown: &OnScreen) -> Text<'static> {
    let name = shown
        .failing_exercise()
        .map_or_else(String::new, |exercise| exercise.name.clone());
    Text::from(vec![
        Line::from(format!("Reset {name} to its stub?").bold()),
        Line::from(
            "Your files are kept first, in .checker/backups/, and `cargo run -p checker -- restore` brings them back.",
        ),
        Line::default(),
        Line::from("y: reset · any other key: keep them".bold()),
    ])
}

fn status_line(shown: &OnScreen) -> Line<'static> {
    match &shown.status {
        Status::Watching if shown.checking.is_some() => Line::default(),
        Status::Watching => {
            Line::from(format!("Watching {}: save a file to check again.", shown.watched).dim())
        }
        Status::Ignored(path) => Line::from(
            format!(
                "Ignored {path}: an editor's file, not yours. Watching {}.",
                shown.watched
            )
            .dim(),
        ),
        Status::Said(said) => Line::from(said.clone().yellow()),
    }
}

fn key_line(shown: &OnScreen) -> Line<'static> {
    let next_hint = match (&shown.hint, &shown.nudge) {
        (Some(HintShown::Stage { number, of, .. }), _) if number < of => {
            format!("h hint {} of {of}", number + 1)
        }
        (Some(_), _) => "h hint".to_owned(),
        (
            None,
            Some(Nudge {
                next: Some(next),
                of,
                ..
            }),
        ) => format!("h hint {next} of {of}"),
        (None, _) => "h hint".to_owned(),
    };
    Line::from(format!(
        " {next_hint} · l list · r check again · x reset · ↑↓ scroll · q quit "
    ))
}
