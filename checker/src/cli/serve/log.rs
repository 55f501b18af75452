//! The `serve` log on stdout. Lines go through a bounded queue to a writer
//! thread of their own, so a terminal that reads slowly or not at all
//! (`serve | less`, paused) or has gone (`serve | head`) never stops the
//! emulator and never delays Ctrl-C: when the queue is full, lines are
//! dropped and counted (the count is written once the terminal reads
//! again); when stdout is closed, the log stops and serving goes on.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};

use checker::emulator::events::Event;

/// Lines that may wait for the terminal.
const QUEUE_LINES: usize = 10_000;

pub(crate) struct ServeLog {
    lines: SyncSender<String>,
    dropped: Arc<AtomicU64>,
}

impl ServeLog {
    pub(crate) fn start() -> Self {
        let (lines, queued) = sync_channel(QUEUE_LINES);
        let dropped = Arc::new(AtomicU64::new(0));
        let counted = dropped.clone();
        let writer = std::thread::Builder::new()
            .name("serve-log".into())
            .spawn(move || write_lines(&queued, &counted));
        if let Err(error) = writer {
            // Without the thread every line is dropped: serving goes on.
            eprintln!("warning: cannot start the log writer ({error}); the log is off");
        }
        Self { lines, dropped }
    }

    /// Queues a line; never waits.
    pub(crate) fn line(&self, line: String) {
        match self.lines.try_send(line) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
            // stdout is closed: nobody reads the log any more.
            Err(TrySendError::Disconnected(_)) => {}
        }
    }

    pub(crate) fn event(&self, event: &Event) {
        if let Some(line) = describe(event) {
            self.line(line);
        }
    }
}

/// Writes until stdout fails (a closed pipe: EPIPE, as Rust ignores SIGPIPE)
/// or every sender is gone.
fn write_lines(queued: &Receiver<String>, dropped: &AtomicU64) {
    let stdout = std::io::stdout();
    for line in queued {
        let skipped = dropped.swap(0, Ordering::Relaxed);
        let mut out = stdout.lock();
        let written = if skipped > 0 {
            writeln!(
                out,
                "[checker] {skipped} log lines dropped: the terminal did not keep up"
            )
        } else {
            Ok(())
        }
        .and_then(|()| writeln!(out, "{line}"))
        .and_then(|()| out.flush());
        if written.is_err() {
            return;
        }
    }
}

/// The line an event shows as, if any.
fn describe(event: &Event) -> Option<String> {
    let line = match event {
        Event::Log { function, line, .. } => format!("[{function}] {line}"),
        Event::Connected { connection_id, .. } => format!("+ {connection_id} connected"),
        Event::ConnectRejected {
            connection_id,
            status,
            ..
        } => format!("x {connection_id} rejected by $connect with {status}"),
        Event::Disconnected {
            connection_id,
            status_code,
            reason,
        } => {
            let reason = if reason.is_empty() {
                String::new()
            } else {
                format!(": {reason}")
            };
            format!("- {connection_id} disconnected (close code {status_code}{reason})")
        }
        Event::FrameIn {
            connection_id,
            text,
            ..
        } => format!("> {connection_id} {text}"),
        Event::FrameOut {
            connection_id,
            text,
            ..
        } => format!("< {connection_id} {text}"),
        Event::FrameDropped {
            connection_id,
            reason,
            ..
        } => format!("! {connection_id} frame dropped: {reason}"),
        Event::ReplyDropped { .. }
        | Event::RouteCaseMismatch { .. }
        | Event::AccessDenied { .. }
        | Event::AfterReturn { .. }
        | Event::DynamoDbRefused { .. }
        | Event::AuthorizerRefused { .. }
        | Event::RegionalEndpoint { .. } => {
            format!("! {}", event.explain()?)
        }
        Event::InvocationFinished {
            function,
            outcome: Err(error),
            ..
        } => format!("! {function} failed: {error}"),
        Event::TableWrite {
            table,
            operation,
            key,
            ..
        } => format!("= {table} {operation} {key}"),
        Event::Skipped { count } => {
            format!("… {count} events not shown: the terminal fell behind")
        }
        Event::InvocationStarted { .. }
        | Event::InvocationFinished { .. }
        | Event::Routed { .. }
        | Event::Management { .. } => return None,
    };
    Some(line)
}
