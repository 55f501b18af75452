//! `watch` on a terminal: one screen, drawn afresh on every walk, as
//! rustlings' watch mode is. Keys: `h` the next stage of the hint, `l` the
//! list of exercises, `r` check again, `x` reset the exercise to its stub
//! (after a `y`), `q` quit; the arrows scroll. Hints beyond the report's
//! nudge come only from `h`.

mod view;

use std::process::ExitCode;

use checker::workshop::{self, HintShown, Progress, Variant, Workshop};
use ratatui::DefaultTerminal;
use ratatui::backend::{Backend, ClearType};
use ratatui::crossterm::event::{self, Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

use super::changes::{Change, Changes};
use super::{Fingerprints, Walked, finish, walk};
use view::{OnScreen, ScreenMode, Status};

pub(super) async fn run(workshop: Workshop) -> anyhow::Result<ExitCode> {
    let mut changes = Changes::watch(&workshop)?;
    let mut class = crate::cli::class::link(&workshop);
    let mut keys = keys();
    // From here the terminal is the screen's until `restore`, also on a panic.
    let mut terminal = ratatui::init();
    let outcome = watch(
        &workshop,
        &mut terminal,
        &mut changes,
        &mut keys,
        &mut class,
    )
    .await;
    ratatui::restore();
    outcome
}

/// What the learner asked for with a key.
enum Asked {
    Quit,
    CheckAgain,
    Nothing,
}

async fn watch(
    workshop: &Workshop,
    terminal: &mut DefaultTerminal,
    changes: &mut Changes,
    keys: &mut UnboundedReceiver<Event>,
    class: &mut Option<checker::class::link::Link>,
) -> anyhow::Result<ExitCode> {
    let mut shown = OnScreen::new(workshop);
    loop {
        // A walk: the screen says what is being checked, and nothing stale.
        shown.checking(None);
        clear(terminal);
        terminal.draw(|frame| view::draw(frame, &shown))?;
        let (started, mut starting) = unbounded_channel();
        let walking = walk(workshop, true, move |exercise| {
            let _ = started.send(exercise.name.clone());
        });
        tokio::pin!(walking);
        let mut walked: Walked = loop {
            tokio::select! {
                walked = &mut walking => break walked,
                Some(name) = starting.recv() => shown.checking(Some(name)),
                Some(key) = keys.recv() => {
                    if let Some(key) = pressed(&key) && quits(&key) {
                        return Ok(ExitCode::SUCCESS);
                    }
                }
                Some(_) = changes.heard.recv() => {}
            }
            terminal.draw(|frame| view::draw(frame, &shown))?;
        };
        shown.walked(workshop, &mut walked);
        let class_said = finish(workshop, &walked, class).await;
        if let Some(line) = class_said {
            shown.status = Status::Said(line);
        }
        clear(terminal);
        terminal.draw(|frame| view::draw(frame, &shown))?;

        // Waiting: for a save that changes a learner's file, or a key. A
        // save made while the walk ran starts the next one at once.
        if shown_fingerprints_differ(workshop, &shown) {
            continue;
        }
        loop {
            tokio::select! {
                Some(change) = changes.heard.recv() => match change {
                    Change::Saved => {
                        while changes.heard.try_recv().is_ok() {}
                        if shown_fingerprints_differ(workshop, &shown) {
                            break;
                        }
                    }
                    Change::EditorsOnly(path) => {
                        shown.status = Status::Ignored(path.display().to_string());
                    }
                },
                Some(key) = keys.recv() => match answer(workshop, &mut shown, &key)? {
                    Asked::Quit => return Ok(ExitCode::SUCCESS),
                    Asked::CheckAgain => break,
                    Asked::Nothing => {}
                },
                else => return Ok(ExitCode::FAILURE),
            }
            terminal.draw(|frame| view::draw(frame, &shown))?;
        }
    }
}

/// Clears the screen for a new walk, and has the next frame drawn whole.
/// Not `Terminal::clear`: it asks the terminal where its cursor is, and
/// crossterm's answer is read by the one reader the keys' thread holds while
/// it waits for a key; the two could wait on each other until a key came.
fn clear(terminal: &mut DefaultTerminal) {
    let cleared = terminal
        .backend_mut()
        .clear_region(ClearType::All)
        // An empty frame: the next one is drawn in full, not as a difference.
        .and_then(|()| terminal.draw(|_| {}).map(drop));
    if let Err(error) = cleared {
        tracing::debug!(%error, "the terminal was not cleared");
    }
}

/// Whether a learner's file changed since the shown walk started.
fn shown_fingerprints_differ(workshop: &Workshop, shown: &OnScreen) -> bool {
    shown.fingerprints.as_ref() != Some(&Fingerprints::now(workshop))
}

/// The terminal's events, read on a thread of their own (crossterm's
/// reading blocks).
fn keys() -> UnboundedReceiver<Event> {
    let (send, receive) = unbounded_channel();
    std::thread::spawn(move || {
        while let Ok(event) = event::read() {
            if send.send(event).is_err() {
                break;
            }
        }
    });
    receive
}

fn pressed(event: &Event) -> Option<KeyEvent> {
    match event {
        Event::Key(key) if key.kind != KeyEventKind::Release => Some(*key),
        _ => None,
    }
}

fn quits(key: &KeyEvent) -> bool {
    key.code == KeyCode::Char('q')
        || (key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL))
}

/// Does what a key asks while the screen waits for a save.
fn answer(workshop: &Workshop, shown: &mut OnScreen, event: &Event) -> anyhow::Result<Asked> {
    let Some(key) = pressed(event) else {
        // A resize: the next draw fits the new size.
        return Ok(Asked::Nothing);
    };
    if quits(&key) {
        return Ok(Asked::Quit);
    }
    if shown.mode == ScreenMode::ConfirmReset {
        shown.mode = ScreenMode::Report;
        if key.code == KeyCode::Char('y') {
            reset(workshop, shown)?;
        } else {
            shown.status = Status::Said("Reset cancelled: your files are as they were.".into());
        }
        return Ok(Asked::Nothing);
    }
    match key.code {
        KeyCode::Char('h') => next_hint(workshop, shown),
        KeyCode::Char('l') => {
            shown.mode = match shown.mode {
                ScreenMode::List => ScreenMode::Report,
                _ => ScreenMode::List,
            };
        }
        KeyCode::Esc => shown.mode = ScreenMode::Report,
        KeyCode::Char('r') => return Ok(Asked::CheckAgain),
        KeyCode::Char('x') => match shown.failing_exercise() {
            Some(_) => shown.mode = ScreenMode::ConfirmReset,
            None => shown.status = Status::Said("Every exercise passes: nothing to reset.".into()),
        },
        KeyCode::Down | KeyCode::Char('j') => shown.scroll_by(1),
        KeyCode::Up | KeyCode::Char('k') => shown.scroll_by(-1),
        KeyCode::PageDown | KeyCode::Char(' ') => shown.scroll_by(10),
        KeyCode::PageUp => shown.scroll_by(-10),
        KeyCode::Home => shown.scroll = 0,
        _ => {}
    }
    Ok(Asked::Nothing)
}

/// `h`: the next stage of the failing exercise's hint, counted as seen.
fn next_hint(workshop: &Workshop, shown: &mut OnScreen) {
    let Some(exercise) = shown.failing_exercise().cloned() else {
        shown.status = Status::Said("Every exercise passes: no hint needed.".into());
        return;
    };
    let mut progress = Progress::load(workshop);
    let hint = progress.next_hint(&exercise);
    progress.save();
    if let HintShown::AllSeen { .. } = hint {
        shown.status = Status::Said(format!(
            "That was the last hint; `cargo run -p checker -- hint {} --all` prints them all.",
            exercise.short_name()
        ));
    } else {
        shown.hint = Some(hint);
        shown.mode = ScreenMode::Report;
        shown.scroll = 0;
    }
}

/// `x` then `y`: the failing exercise back to its stub, the learner's files
/// kept first; the save it makes starts the next walk.
fn reset(workshop: &Workshop, shown: &mut OnScreen) -> anyhow::Result<()> {
    let Some(exercise) = shown.failing_exercise().cloned() else {
        return Ok(());
    };
    let reset = workshop::reset(workshop, &exercise)?;
    shown.status = Status::Said(match &reset.restored.kept {
        Some(kept) => {
            let kept = kept.strip_prefix(&workshop.root).unwrap_or(kept).display();
            format!(
                "{} is the stub again. Yours are kept: `cargo run -p checker -- restore {kept}` brings them back.",
                workshop
                    .dir(&exercise, Variant::Learner)
                    .strip_prefix(&workshop.root)
                    .unwrap_or(&workshop.root)
                    .display()
            )
        }
        None => format!("{} was the stub already.", exercise.name),
    });
    Ok(())
}
