//! A Lambda process's stdout and stderr, line by line, into the event
//! stream. Bounded both ways, whatever the process writes: a line is kept up
//! to `MAX_LINE_BYTES` (the rest is cut and said to be), and a process that
//! writes more than `MAX_BYTES_PER_SECOND` (each line counted with its
//! overhead, `LINE_OVERHEAD`: empty lines too) has the excess dropped and
//! counted, so no reader of the event stream (the `serve` log, a check's
//! transcript) grows with a runaway `println!` loop. The pipe is always read
//! on, so the process never blocks on its output.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::time::Instant;

use super::callers::Caller;
use crate::emulator::events::{Event, EventBus};

/// CloudWatch Logs' limit on one log event.
pub(crate) const MAX_LINE_BYTES: usize = 256 * 1024;
/// Far above what any Lambda logs on purpose.
pub(crate) const MAX_BYTES_PER_SECOND: usize = 1024 * 1024;
/// What a line costs the budget beyond its bytes: an event of its own on the
/// stream, so a flood of empty lines is bounded as a flood of long ones is.
const LINE_OVERHEAD: usize = 128;
const WINDOW: Duration = Duration::from_secs(1);

/// Each line goes out with the invocation the process runs or ran last (a
/// line printed just before the handler returned may be read after its
/// response).
pub(super) fn stream_lines(
    output: impl AsyncRead + Unpin + Send + 'static,
    function: String,
    events: Arc<EventBus>,
    caller: Arc<Caller>,
) {
    tokio::spawn(async move {
        let mut reader = BufReader::with_capacity(64 * 1024, output);
        let mut log = Budgeted::new(function, events, caller);
        let mut line = Vec::new();
        let mut cut = false;
        loop {
            // While lines are being dropped, the count is said when the
            // window ends even if the process then falls silent.
            let read = match log.window_end() {
                Some(end) => match tokio::time::timeout_at(end, reader.fill_buf()).await {
                    Ok(read) => read,
                    Err(_) => {
                        log.roll(Instant::now());
                        continue;
                    }
                },
                None => reader.fill_buf().await,
            };
            let buffer = match read {
                Ok([]) | Err(_) => break,
                Ok(buffer) => buffer,
            };
            let newline = buffer.iter().position(|&byte| byte == b'\n');
            let chunk = &buffer[..newline.unwrap_or(buffer.len())];
            let room = MAX_LINE_BYTES - line.len();
            cut |= chunk.len() > room;
            line.extend_from_slice(&chunk[..chunk.len().min(room)]);
            let consumed = chunk.len() + usize::from(newline.is_some());
            reader.consume(consumed);
            if newline.is_some() {
                log.line(&line, cut);
                line.clear();
                cut = false;
            }
        }
        if !line.is_empty() {
            log.line(&line, cut);
        }
        log.flush_dropped();
    });
}

/// Emits lines within the byte budget of the current one-second window.
struct Budgeted {
    function: String,
    events: Arc<EventBus>,
    caller: Arc<Caller>,
    window_start: Instant,
    window_bytes: usize,
    dropped_lines: usize,
}

impl Budgeted {
    fn new(function: String, events: Arc<EventBus>, caller: Arc<Caller>) -> Self {
        Self {
            function,
            events,
            caller,
            window_start: Instant::now(),
            window_bytes: 0,
            dropped_lines: 0,
        }
    }

    /// When the current window ends, if lines were dropped in it.
    fn window_end(&self) -> Option<Instant> {
        (self.dropped_lines > 0).then(|| self.window_start + WINDOW)
    }

    fn roll(&mut self, now: Instant) {
        if now.duration_since(self.window_start) >= WINDOW {
            self.window_start = now;
            self.window_bytes = 0;
            self.flush_dropped();
        }
    }

    fn line(&mut self, bytes: &[u8], cut: bool) {
        self.roll(Instant::now());
        self.window_bytes += bytes.len() + LINE_OVERHEAD;
        if self.window_bytes > MAX_BYTES_PER_SECOND {
            self.dropped_lines += 1;
            return;
        }
        let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
        let mut text = String::from_utf8_lossy(bytes).into_owned();
        if cut {
            text.push_str(&format!(" … [line cut at {MAX_LINE_BYTES} bytes]"));
        }
        self.emit(text);
    }

    fn flush_dropped(&mut self) {
        if self.dropped_lines > 0 {
            let dropped = std::mem::take(&mut self.dropped_lines);
            self.emit(format!(
                "[checker] {dropped} lines of output dropped: the process wrote more than \
                 {MAX_BYTES_PER_SECOND} bytes in a second (each line counted with \
                 {LINE_OVERHEAD} bytes more)"
            ));
        }
    }

    fn emit(&self, line: String) {
        self.events.emit(Event::Log {
            function: self.function.clone(),
            line,
            request_id: self.caller.invocation(),
        });
    }
}
