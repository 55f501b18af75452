//! The `serve` log on stdout. Lines go through a bounded queue to a writer
//! thread of their own, so a terminal that reads slowly or not at all
//! (`serve | less`, paused) or has gone (`serve | head`) never stops the
//! emulator and never delays Ctrl-C: the queue is bounded in lines and in
//! bytes, and when it is full, lines are dropped and counted (the count is
//! written once the terminal reads again); when stdout is closed, the log
//! stops and serving goes on.
//!
//! What a client or a Lambda wrote (messages, close reasons, output, errors)
//! is printed escaped and cut to `MAX_LINE_BYTES` with its size said, so it
//! can neither forge a line of the log nor send the terminal an escape
//! sequence, and a 5 MB frame is one short line.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};

use checker::emulator::events::{Event, printable};

/// Lines that may wait for the terminal.
const QUEUE_LINES: usize = 10_000;
/// Bytes that may wait for the terminal, each line counted with its overhead.
const QUEUE_BYTES: usize = 4 * 1024 * 1024;
const LINE_OVERHEAD: usize = 64;
/// An event's line is cut past this: a screen or two of a terminal.
const MAX_LINE_BYTES: usize = 4 * 1024;

pub(crate) struct ServeLog {
    lines: SyncSender<String>,
    dropped: Arc<AtomicU64>,
    queued_bytes: Arc<AtomicUsize>,
}

impl ServeLog {
    pub(crate) fn start() -> Self {
        let (lines, queued) = sync_channel(QUEUE_LINES);
        let dropped = Arc::new(AtomicU64::new(0));
        let queued_bytes = Arc::new(AtomicUsize::new(0));
        let counted = dropped.clone();
        let written = queued_bytes.clone();
        let writer = std::thread::Builder::new()
            .name("serve-log".into())
            .spawn(move || write_lines(&queued, &counted, &written));
        if let Err(error) = writer {
            // Without the thread every line is dropped: serving goes on.
            eprintln!("warning: cannot start the log writer ({error}); the log is off");
        }
        Self {
            lines,
            dropped,
            queued_bytes,
        }
    }

    /// Queues a line; never waits.
    pub(crate) fn line(&self, line: String) {
        let cost = line_cost(&line);
        let admitted = self
            .queued_bytes
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |queued| {
                let sum = queued.checked_add(cost)?;
                (sum <= QUEUE_BYTES).then_some(sum)
            })
            .is_ok();
        if !admitted {
            self.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        match self.lines.try_send(line) {
            Ok(()) => return,
            Err(TrySendError::Full(_)) => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
            // stdout is closed: nobody reads the log any more.
            Err(TrySendError::Disconnected(_)) => {}
        }
        self.queued_bytes.fetch_sub(cost, Ordering::SeqCst);
    }

    pub(crate) fn event(&self, event: &Event) {
        if let Some(line) = describe(event) {
            self.line(line);
        }
    }
}

fn line_cost(line: &str) -> usize {
    line.len() + LINE_OVERHEAD
}

/// What a client or a Lambda controls, as the log prints it.
fn shown(text: &str) -> String {
    printable(text, MAX_LINE_BYTES)
}

/// Writes until stdout fails (a closed pipe: EPIPE, as Rust ignores SIGPIPE)
/// or every sender is gone.
fn write_lines(queued: &Receiver<String>, dropped: &AtomicU64, queued_bytes: &AtomicUsize) {
    let stdout = std::io::stdout();
    for line in queued {
        queued_bytes.fetch_sub(line_cost(&line), Ordering::SeqCst);
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
        Event::Log { function, line, .. } => format!("[{function}] {}", shown(line)),
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
                format!(": {}", shown(reason))
            };
            format!("- {connection_id} disconnected (close code {status_code}{reason})")
        }
        Event::FrameIn {
            connection_id,
            text,
            ..
        } => format!("> {connection_id} {}", shown(text)),
        Event::FrameOut {
            connection_id,
            text,
            ..
        } => format!("< {connection_id} {}", shown(text)),
        Event::FrameDropped {
            connection_id,
            reason,
            ..
        } => format!("! {connection_id} frame dropped: {}", shown(reason)),
        Event::ReplyDropped { .. }
        | Event::RouteCaseMismatch { .. }
        | Event::AccessDenied { .. }
        | Event::AfterReturn { .. }
        | Event::DynamoDbRefused { .. }
        | Event::AuthorizerRefused { .. }
        | Event::RegionalEndpoint { .. } => {
            format!("! {}", shown(&event.explain()?))
        }
        Event::InvocationFinished {
            function,
            outcome: Err(error),
            ..
        } => format!("! {function} failed: {}", shown(&error.to_string())),
        Event::TableWrite {
            table,
            operation,
            key,
            ..
        } => format!("= {table} {operation} {}", shown(key)),
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
