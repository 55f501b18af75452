//! The console under a classroom's load: exercise 05's chat app (its
//! reference solution) with 30 clients in one chat sending 10 messages a
//! second in all, each broadcast to all 30. Watching it: a feed client that
//! reads as a page does (how far behind the events it gets, whether it is
//! ever told it skipped some), headless Chromium on the page itself when
//! installed (how long after a message arrived its card is on screen, how
//! far the page's state is behind the emulator, its heap), and a feed client
//! that stops reading (the emulator must not hold more for it than its
//! queue's bound). Every few seconds: what the event bus holds and the
//! process's resident memory.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use checker::launch::{Launch, RunningStack};
use checker::workshop::Variant;
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::idle::rss_kib;

pub struct Figures {
    pub events: u64,
    pub skipped: u64,
    pub lag_p50_ms: f64,
    pub lag_p99_ms: f64,
    pub lag_max_ms: f64,
    pub page_behind_max: Option<u64>,
    pub rss_first_mb: f64,
    pub rss_max_mb: f64,
    pub held_max_events: usize,
    pub delivered: usize,
    pub expected: usize,
    /// How long new message cards took to show, when Chromium ran the page.
    pub cards: Option<CardTimes>,
}

/// From a message's arrival (its `frame_in` event's time) to the first
/// frame the browser starts after the one that added its card to the page.
pub struct CardTimes {
    pub shown: usize,
    pub sent: usize,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// The first part of it: until the card is in the page's DOM.
    pub in_dom_p50_ms: f64,
    /// Frames the page drew a second during the run.
    pub frames_per_second: f64,
    /// Events the page's state lacked at the end, and those it was told it skipped.
    pub behind_at_end: Option<u64>,
    pub skipped: u64,
}

/// Installed in the page once it is live: watches the list for cards of
/// requests it has not seen and, in the next animation frame (once the
/// frame that drew them is done), records how long after their message's
/// arrival that was. The page's own code is not involved in the timing.
const WATCH_CARDS: &str = r#"
    const list = document.querySelector('#sequences');
    const watch = { seen: new Set(), ms: [], dom: [], frames: 0, since: performance.now() };
    const count = () => { watch.frames += 1; requestAnimationFrame(count); };
    requestAnimationFrame(count);
    // Frames over 50 ms, and what took their time: scripts (by the page's
    // function that ran), or style, layout and paint.
    watch.long = { frames: 0, total: 0, script: 0, render: 0, layout: 0, by: {} };
    new PerformanceObserver((list) => {
        for (const frame of list.getEntries()) {
            const long = watch.long;
            long.frames += 1;
            long.total += frame.duration;
            long.render += frame.startTime + frame.duration - frame.renderStart;
            long.layout += frame.startTime + frame.duration - frame.styleAndLayoutStart;
            for (const script of frame.scripts) {
                long.script += script.duration;
                const name = `${script.invoker} ${script.sourceFunctionName || ''}`;
                long.by[name] = (long.by[name] || 0) + script.duration;
            }
        }
    }).observe({ type: 'long-animation-frame', buffered: false });
    for (const card of list.children) if (card.dataset.requestId) watch.seen.add(card.dataset.requestId);
    new MutationObserver((records) => {
        const added = [];
        for (const record of records) for (const node of record.addedNodes) {
            const id = node.dataset && node.dataset.requestId;
            if (!id || watch.seen.has(id)) continue;
            watch.seen.add(id);
            const entry = window.checkerConsole.state.requests.get(id);
            if (entry && entry.kind === 'message') added.push(entry.at);
        }
        const inserted = Date.now() * 1000;
        for (const at of added) watch.dom.push((inserted - at) / 1000);
        if (added.length) requestAnimationFrame(() => {
            const now = Date.now() * 1000;
            for (const at of added) watch.ms.push((now - at) / 1000);
        });
    }).observe(list, { childList: true });
    window.benchCards = watch;
"#;

/// Runs the load for `duration` and prints what it sees.
pub async fn run(clients: usize, per_second: f64, duration: Duration) -> anyhow::Result<Figures> {
    let root = crate::manifest_dir().join("..");
    let mut launch = Launch::new(root.join("solutions/05-chat-rooms/serverless.yml"));
    launch.binary_suffix = Variant::Solution.binary_suffix();
    let local = RunningStack::start(&launch).await?;
    let address = local.emulator.address();

    // The clients join one chat (each is told it joined) before anyone watches.
    let mut sockets = Vec::new();
    for index in 0..clients {
        let (mut ws, _) = tokio_tungstenite::connect_async(local.url()).await?;
        let join =
            format!(r#"{{"action":"joinChat","chatId":"class","participantId":"p{index}"}}"#);
        ws.send(Message::text(join)).await?;
        loop {
            match tokio::time::timeout(Duration::from_secs(20), ws.next()).await? {
                Some(Ok(Message::Text(text))) if text.contains("participantJoinedChat") => break,
                Some(Ok(_)) => {}
                other => anyhow::bail!("client {index} did not join: {other:?}"),
            }
        }
        sockets.push(ws);
    }

    let feed = Feed::open(address).await?;
    let stalled = Feed::open(address).await?;
    let page = match checker_testkit::browser::launch().await? {
        Some(browser) => {
            browser.client.goto(&local.console_url()).await?;
            browser
                .wait_until(
                    "the console live",
                    "return document.querySelector('#feed-status').textContent === 'live'",
                )
                .await?;
            browser.client.execute(WATCH_CARDS, Vec::new()).await?;
            Some(browser)
        }
        None => None,
    };

    // Readers: every frame each client gets is counted.
    let delivered = Arc::new(AtomicU64::new(0));
    let (senders, readers): (Vec<_>, Vec<_>) = sockets.into_iter().map(StreamExt::split).unzip();
    for mut reader in readers {
        let delivered = delivered.clone();
        tokio::spawn(async move {
            while let Some(Ok(message)) = reader.next().await {
                if let Message::Text(text) = message
                    && text.contains("participantSentMessage")
                {
                    delivered.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
    }

    let feed_task = tokio::spawn(feed.read_until_closed());
    println!(
        "  {clients} clients in one chat, {per_second} messages/s in all for {} s; every message goes to all {clients}",
        duration.as_secs()
    );
    println!(
        "  {:>5} {:>9} {:>8} {:>8} {:>9} {:>9} {:>11} {:>12}",
        "s", "emitted", "history", "queued", "queued MB", "RSS MB", "page behind", "card p50 ms"
    );
    // The clients send on their own schedule: a slow page (or a slow
    // answer from it) never slows the load down.
    let interval = Duration::from_secs_f64(1.0 / per_second);
    let started = Instant::now();
    let sending = tokio::spawn(async move {
        let mut senders = senders;
        let mut sent = 0usize;
        while started.elapsed() < duration {
            let sender = &mut senders[sent % clients];
            sender
                .send(Message::text(format!("message {sent}")))
                .await?;
            sent += 1;
            tokio::time::sleep_until((started + interval * u32::try_from(sent)?).into()).await;
        }
        anyhow::Ok((sent, senders))
    });
    let mut next_report = started + Duration::from_secs(5);
    let mut rss_first = None;
    let mut rss_max = 0u64;
    let mut held_max = 0usize;
    let mut page_behind_max: Option<u64> = None;
    while !sending.is_finished() {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if Instant::now() >= next_report {
            next_report += Duration::from_secs(5);
            let stats = local.emulator.events().stats();
            let rss = rss_kib().unwrap_or(0);
            rss_first.get_or_insert(rss);
            rss_max = rss_max.max(rss);
            held_max = held_max.max(stats.history_events + stats.queued_events);
            let behind = match &page {
                Some(browser) => page_lag(browser, stats.emitted).await,
                None => None,
            };
            if let Some(behind) = behind {
                page_behind_max = Some(page_behind_max.unwrap_or(0).max(behind));
            }
            let cards = match &page {
                Some(browser) => recent_card_median(browser).await,
                None => None,
            };
            println!(
                "  {:>5.0} {:>9} {:>8} {:>8} {:>9.1} {:>9.1} {:>11} {:>12}",
                started.elapsed().as_secs_f64(),
                stats.emitted,
                stats.history_events,
                stats.queued_events,
                stats.queued_bytes as f64 / 1e6,
                rss as f64 / 1024.0,
                behind.map_or("-".to_owned(), |behind| behind.to_string()),
                cards.map_or("-".to_owned(), |median| format!("{median:.0}")),
            );
        }
    }
    let (sent, senders) = sending.await??;
    // Let the last broadcasts land, then stop watching.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let final_behind = match &page {
        Some(browser) => page_lag(browser, local.emulator.events().stats().emitted).await,
        None => None,
    };
    let mut cards = None;
    if let Some(browser) = &page {
        let heap = browser
            .client
            .execute(
                "return performance.memory ? performance.memory.usedJSHeapSize : null",
                Vec::new(),
            )
            .await
            .ok()
            .and_then(|value| value.as_f64());
        let shown = browser
            .client
            .execute(
                "return document.querySelectorAll('.sequence').length",
                Vec::new(),
            )
            .await
            .ok()
            .and_then(|value| value.as_u64());
        let long = browser
            .client
            .execute("return window.benchCards.long", Vec::new())
            .await
            .unwrap_or_default();
        println!("  the page's frames over 50 ms (ms in all): {long}");
        println!(
            "  the page (headless Chromium): {} events behind at the end, JS heap {}, {} message cards in the page",
            final_behind.map_or("?".to_owned(), |behind| behind.to_string()),
            heap.map_or("?".to_owned(), |heap| format!("{:.1} MB", heap / 1e6)),
            shown.map_or("?".to_owned(), |shown| shown.to_string()),
        );
        cards = Some(card_times(browser, sent, final_behind).await?);
    } else {
        println!("  the page: not measured (no Chromium installed)");
    }
    let stalled_figures = stalled.read_what_is_there().await;
    println!(
        "  a feed client that read nothing during the run: then found {} events (its queue in the emulator holds at most 8,192; the rest sat in the kernel's socket buffers), {} reported skipped, {}",
        stalled_figures.events,
        stalled_figures.skipped,
        if stalled_figures.closed {
            "and its feed had been closed (a page that reads nothing for 20 s is dropped)"
        } else {
            "its feed still open"
        }
    );

    drop(senders);
    if let Some(browser) = page {
        browser.close().await;
    }
    local.shutdown().await;
    let reading = feed_task.await??;
    let expected = sent * clients;
    let delivered = usize::try_from(delivered.load(Ordering::Relaxed))?;
    let rss_first = rss_first.unwrap_or(rss_max);
    Ok(Figures {
        events: reading.events,
        skipped: reading.skipped,
        lag_p50_ms: reading.percentile(50.0),
        lag_p99_ms: reading.percentile(99.0),
        lag_max_ms: reading.percentile(100.0),
        page_behind_max: page_behind_max.max(final_behind),
        rss_first_mb: rss_first as f64 / 1024.0,
        rss_max_mb: rss_max as f64 / 1024.0,
        held_max_events: held_max,
        delivered,
        expected,
        cards,
    })
}

/// What the watcher in the page recorded.
async fn card_times(
    browser: &checker_testkit::browser::Browser,
    sent: usize,
    behind_at_end: Option<u64>,
) -> anyhow::Result<CardTimes> {
    let reading = browser
        .client
        .execute(
            "const w = window.benchCards; \
             return [w.ms, window.checkerConsole.state.skipped, w.dom, w.frames * 1000 / (performance.now() - w.since)]",
            Vec::new(),
        )
        .await?;
    let times = sorted(&reading[0])?;
    let in_dom = sorted(&reading[2])?;
    Ok(CardTimes {
        shown: times.len(),
        sent,
        p50_ms: percentile(&times, 50.0),
        p90_ms: percentile(&times, 90.0),
        p99_ms: percentile(&times, 99.0),
        max_ms: percentile(&times, 100.0),
        in_dom_p50_ms: percentile(&in_dom, 50.0),
        frames_per_second: reading[3].as_f64().unwrap_or(f64::NAN),
        behind_at_end,
        skipped: reading[1].as_u64().unwrap_or(0),
    })
}

fn sorted(values: &Value) -> anyhow::Result<Vec<f64>> {
    let mut values: Vec<f64> = serde_json::from_value(values.clone())?;
    values.sort_by(f64::total_cmp);
    Ok(values)
}

fn percentile(sorted: &[f64], percent: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let index = ((percent / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

/// The median time to a card of the cards shown since the last call.
async fn recent_card_median(browser: &checker_testkit::browser::Browser) -> Option<f64> {
    let recent = browser
        .client
        .execute(
            "const w = window.benchCards; const recent = w.ms.slice(w.reported || 0); \
             w.reported = w.ms.length; return recent;",
            Vec::new(),
        )
        .await
        .ok()?;
    let recent = sorted(&recent).ok()?;
    (!recent.is_empty()).then(|| percentile(&recent, 50.0))
}

/// How many events the page's state is behind the emulator.
async fn page_lag(browser: &checker_testkit::browser::Browser, emitted: u64) -> Option<u64> {
    let seen = browser
        .client
        .execute(
            "return window.checkerConsole ? window.checkerConsole.state.lastSeq : null",
            Vec::new(),
        )
        .await
        .ok()?
        .as_u64()?;
    Some(emitted.saturating_sub(seen))
}

struct Feed {
    socket: checker_testkit::load::Ws,
    /// Events from before this are the history: their lag is not the feed's.
    opened_micros: i64,
}

#[derive(Default)]
struct Reading {
    events: u64,
    skipped: u64,
    lags_ms: Vec<f64>,
    /// The emulator ended the feed.
    closed: bool,
}

impl Reading {
    fn percentile(&self, percent: f64) -> f64 {
        if self.lags_ms.is_empty() {
            return 0.0;
        }
        let mut lags = self.lags_ms.clone();
        lags.sort_by(f64::total_cmp);
        let index = ((percent / 100.0) * (lags.len() - 1) as f64).round() as usize;
        lags[index.min(lags.len() - 1)]
    }

    /// Counts `frame`'s events; those that happened from `live_since` on are timed.
    fn take(&mut self, frame: &Value, now_micros: i64, live_since: i64) {
        match frame["kind"].as_str() {
            Some("events") => {
                for event in frame["events"].as_array().into_iter().flatten() {
                    self.events += 1;
                    if let Some(at) = event["at"].as_i64()
                        && at >= live_since
                    {
                        self.lags_ms.push((now_micros - at) as f64 / 1000.0);
                    }
                }
            }
            Some("skipped") => self.skipped += frame["count"].as_u64().unwrap_or(0),
            _ => {}
        }
    }
}

impl Feed {
    async fn open(address: std::net::SocketAddr) -> anyhow::Result<Self> {
        let mut request = format!("ws://{address}/@console/feed").into_client_request()?;
        request
            .headers_mut()
            .insert("origin", format!("http://{address}").parse()?);
        let opened_micros = chrono_now_micros();
        let (socket, _) = tokio_tungstenite::connect_async(request).await?;
        Ok(Self {
            socket,
            opened_micros,
        })
    }

    /// Reads like a page until the emulator closes the feed: every event's
    /// lag (now minus when it happened).
    async fn read_until_closed(mut self) -> anyhow::Result<Reading> {
        let mut reading = Reading::default();
        while let Some(Ok(message)) = self.socket.next().await {
            if let Message::Text(text) = message {
                let frame: Value = serde_json::from_str(text.as_str())?;
                reading.take(&frame, chrono_now_micros(), self.opened_micros);
            }
        }
        Ok(reading)
    }

    /// A client that read nothing during the run: what it finds queued.
    async fn read_what_is_there(mut self) -> Reading {
        let mut reading = Reading::default();
        loop {
            match tokio::time::timeout(Duration::from_secs(3), self.socket.next()).await {
                Ok(Some(Ok(Message::Text(text)))) => {
                    if let Ok(frame) = serde_json::from_str::<Value>(text.as_str()) {
                        reading.take(&frame, 0, i64::MAX);
                    }
                }
                Ok(Some(Ok(_))) => {}
                Ok(Some(Err(_)) | None) => {
                    reading.closed = true;
                    break;
                }
                Err(_) => break,
            }
        }
        reading
    }
}

fn chrono_now_micros() -> i64 {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(since.as_micros()).unwrap_or(i64::MAX)
}
