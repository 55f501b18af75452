//! Accepting connections on a port other processes can reach (the emulator's
//! one port, each Lambda's Runtime API): every connection that waits for its
//! first request holds a place among a bounded number ([`waiting`]), and the
//! loop survives what accepting can fail with (out of file descriptors),
//! waiting a little longer each time and saying so at most every few seconds.

mod waiting;

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tokio::time::Instant;

pub(crate) use waiting::Ticket;
use waiting::{Admission, Waiting};

/// What a port allows the connections that reach it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PortLimits {
    /// How long a new connection may take to send its first request's head
    /// (and, to hyper, each later one's: the idle time of a keep-alive connection).
    pub(crate) header_timeout: Duration,
    /// Connections that may wait for their first request at once; past it,
    /// the ones that have waited longest, if they have waited a while, are
    /// closed, and past four times it new ones are answered 429.
    pub(crate) max_pending: usize,
}

/// How long accepting waits after a failure, at first and at most.
const FIRST_BACKOFF: Duration = Duration::from_millis(50);
const MAX_BACKOFF: Duration = Duration::from_secs(1);
/// A repeated warning is written at most this often, with the count of the
/// ones not written.
const WARNING_EVERY: Duration = Duration::from_secs(10);
/// What a connection over the hard limit is told, as API Gateway answers a
/// client it throttles.
const THROTTLED_BODY: &str = r#"{"message":"Too Many Requests"}"#;

/// Accepts connections on `listener` until the task is aborted, handing each
/// to `serve` with its place among those waiting (drop the ticket once the
/// first request is in). `port` names the port in warnings.
pub(crate) async fn accept_loop<F, Fut>(
    listener: TcpListener,
    limits: PortLimits,
    port: &'static str,
    serve: F,
) where
    F: Fn(TcpStream, SocketAddr, Ticket) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let waiting = Waiting::new(limits.max_pending, grace(limits.header_timeout));
    let mut connections = JoinSet::new();
    let mut backoff = FIRST_BACKOFF;
    let mut failures = RateLimited::new(WARNING_EVERY);
    loop {
        let eviction = waiting.eviction_due();
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = sleep_until(eviction) => {
                waiting.evict_stale();
                continue;
            }
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => {
                backoff = FIRST_BACKOFF;
                accepted
            }
            Err(error) => {
                // Out of file descriptors and the like: wait, then keep serving.
                failures.warn(|suppressed| {
                    tracing::warn!(
                        %error,
                        suppressed,
                        "{port}: cannot accept a connection; trying again"
                    );
                });
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
                continue;
            }
        };
        // Finished connection tasks are reaped as new ones arrive.
        while connections.try_join_next().is_some() {}
        match waiting.admit() {
            Admission::Admitted { ticket, evicted } => {
                let served = serve(stream, peer, ticket);
                connections.spawn(async move {
                    tokio::select! {
                        () = served => {}
                        // Only an eviction resolves this with `Ok`; once the
                        // first request is in, the ticket is gone and this branch is off.
                        Ok(()) = evicted => {
                            tracing::debug!(%peer, "closed: it waited too long for its first request while many others waited");
                        }
                    }
                });
            }
            Admission::Full => {
                connections.spawn(throttle(stream));
            }
        }
    }
}

/// How long a connection may wait for its first request before it may be
/// closed to make room: a client sends its request at once, so only one
/// that holds its connection open without a request waits this long.
fn grace(header_timeout: Duration) -> Duration {
    (header_timeout / 10).max(Duration::from_millis(100))
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

/// Answers 429 without reading the request: a client is never closed in silence.
async fn throttle(mut stream: TcpStream) {
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        stream.write_all(throttled_answer().as_bytes()).await?;
        stream.shutdown().await
    })
    .await;
}

fn throttled_answer() -> String {
    format!(
        "HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Retry-After: 1\r\nConnection: close\r\n\r\n{THROTTLED_BODY}",
        THROTTLED_BODY.len()
    )
}

/// A warning that may repeat many times a second (every failed accept while
/// out of descriptors), written at most once per period with the count of
/// those left out.
pub(crate) struct RateLimited {
    every: Duration,
    last: Option<Instant>,
    suppressed: u64,
}

impl RateLimited {
    pub(crate) fn new(every: Duration) -> Self {
        Self {
            every,
            last: None,
            suppressed: 0,
        }
    }

    /// Calls `write` with the number of warnings left out since the last one
    /// written, if one may be written now.
    pub(crate) fn warn(&mut self, write: impl FnOnce(u64)) {
        let now = Instant::now();
        if self
            .last
            .is_some_and(|last| now.duration_since(last) < self.every)
        {
            self.suppressed += 1;
            return;
        }
        self.last = Some(now);
        write(std::mem::take(&mut self.suppressed));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_throttled_answer_is_well_formed() {
        let text = throttled_answer();
        let (head, body) = text.split_once("\r\n\r\n").expect("a head and a body");
        let length: usize = head
            .lines()
            .find_map(|line| line.strip_prefix("Content-Length: "))
            .and_then(|length| length.parse().ok())
            .expect("a length");
        assert_eq!(body.len(), length);
    }

    #[test]
    fn a_repeated_warning_is_written_once_per_period_with_a_count() {
        let mut warning = RateLimited::new(Duration::from_secs(3600));
        let mut written = Vec::new();
        for _ in 0..5 {
            warning.warn(|suppressed| written.push(suppressed));
        }
        assert_eq!(written, vec![0]);
        assert_eq!(warning.suppressed, 4);
    }
}
