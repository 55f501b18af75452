//! The emulator's benchmark: `cargo bench -p checker --bench emulator [-- OPTIONS]`.
//!
//! In one run: echo round trips through the whole path (client → gateway →
//! Lambda child process → `@connections` → client) with 1, 10 and 100
//! clients, against the floor (a plain tokio-tungstenite echo server on
//! loopback) and, with `--peer URL`, against another gateway (serverless-offline,
//! see `scripts/bench-peer`); every echo accounted for (sent, echoed, duplicated,
//! misrouted, missing) and the reorder rate of pipelining clients; idle
//! connections held and the emulator's resident memory; the warm check time
//! after a one-file edit. Then each target, met or missed.
//!
//! Options: `cargo bench -p checker --bench emulator -- --help`.

mod check;
mod console;
mod floor;
mod idle;
mod parts;
mod workshop;

use std::path::{Path, PathBuf};
use std::time::Duration;

use checker::cargo_build::Profile;
use checker::emulator::Settings;
use checker::launch::RunningStack;
use checker_testkit::load::{self, Load, Mode, Outcome};
use clap::Parser;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

/// `$default` echoes through `@connections` over plain HTTP (`ECHO_ENDPOINT: http`).
const ECHO_HTTP: &str = "benches/echo-http.yml";
/// The same over TLS, the endpoint taken from the event.
const ECHO_EVENT: &str = "benches/echo-event.yml";
/// The conformance tests' stack: `$default` is a two-way route to fixture-lambda.
const TWO_WAY: &str = "tests/stacks/fixtures.yml";

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum)]
enum Section {
    Workshop,
    Echo,
    Parts,
    Tls,
    Pipeline,
    Idle,
    Check,
    Console,
}

#[derive(Debug, Parser)]
#[command(about = "The emulator's benchmark: full path, floor, peer, idle memory, warm check.")]
struct Options {
    /// Also load this WebSocket echo endpoint, labelled (`LABEL=URL`, e.g.
    /// `serverless-offline=ws://127.0.0.1:3901`); repeat for several. The
    /// first is the one the targets compare with.
    #[arg(long, value_name = "[LABEL=]URL", value_parser = parse_peer)]
    peer: Vec<Peer>,
    /// Sections to run, comma-separated (all by default).
    #[arg(long, value_enum, value_delimiter = ',', value_name = "LIST")]
    only: Vec<Section>,
    /// A tenth of the messages (and 1,000 idle connections unless --idle says otherwise).
    #[arg(long)]
    quick: bool,
    /// Idle connections to hold [default: 10000, 1000 with --quick].
    #[arg(long, value_name = "N")]
    idle: Option<usize>,
    /// The emulator's Lambda processes per function (default: the emulator's).
    #[arg(long, value_name = "N")]
    max_concurrency: Option<usize>,
    /// Warm checks to time.
    #[arg(long, value_name = "N", default_value_t = 3)]
    check_runs: usize,
    /// Messages a second, in all, the console section's 30 clients send.
    #[arg(long, value_name = "N", default_value_t = 10.0)]
    console_rate: f64,
    /// Build the fixture Lambdas with --release (the checker builds exercises'
    /// Lambdas in the dev profile, the default here too).
    #[arg(long)]
    release_lambdas: bool,
    /// `cargo bench` passes `--bench` to every bench target.
    #[arg(long, hide = true)]
    bench: bool,
    /// Child mode: hold COUNT idle connections to URL (the idle section's client).
    #[arg(long, hide = true, num_args = 2, value_names = ["URL", "COUNT"])]
    hold_idle: Option<Vec<String>>,
    /// Child mode: a floor server holding COUNT idle connections, with
    /// tungstenite's default read buffer or one of KIB KiB.
    #[arg(long, hide = true, num_args = 2, value_names = ["default|KIB", "COUNT"])]
    idle_floor: Option<Vec<String>>,
}

#[derive(Debug, Clone)]
struct Peer {
    label: String,
    url: String,
}

fn parse_peer(text: &str) -> Result<Peer, String> {
    let (label, url) = match text.split_once('=') {
        Some((label, url)) if !url.is_empty() => (label.to_owned(), url.to_owned()),
        _ => ("peer".to_owned(), text.to_owned()),
    };
    if url.starts_with("ws://") || url.starts_with("wss://") {
        Ok(Peer { label, url })
    } else {
        Err(format!("{url:?} is not a ws:// or wss:// URL"))
    }
}

impl Options {
    fn runs(&self, section: Section) -> bool {
        self.only.is_empty() || self.only.contains(&section)
    }

    fn idle_connections(&self) -> usize {
        self.idle.unwrap_or(if self.quick { 1_000 } else { 10_000 })
    }

    fn profile(&self) -> Profile {
        if self.release_lambdas {
            Profile::Release
        } else {
            Profile::Dev
        }
    }
}

fn main() -> anyhow::Result<()> {
    let options = Options::parse();
    let runtime = tokio::runtime::Runtime::new()?;
    if let Some([url, count]) = options.hold_idle.as_deref() {
        runtime.block_on(idle::hold(url, count.parse()?));
        return Ok(());
    }
    if let Some([buffer, count]) = options.idle_floor.as_deref() {
        return runtime.block_on(idle_floor(buffer, count.parse()?));
    }
    runtime.block_on(bench(options))
}

async fn idle_floor(buffer: &str, count: usize) -> anyhow::Result<()> {
    let (name, config) = match buffer {
        "default" => ("tungstenite's default config".to_owned(), None),
        kib => (
            format!("read_buffer_size {kib} KiB"),
            Some(WebSocketConfig::default().read_buffer_size(kib.parse::<usize>()? * 1024)),
        ),
    };
    let floor = floor::Floor::start_with(config).await?;
    let idle = idle::measure(&floor.url(), count).await?;
    let grown = idle.rss_after_kib.saturating_sub(idle.rss_before_kib);
    println!(
        "  floor server, {name}: held {} connections, {:.1} MB resident (+{:.1} MB, {:.1} KB per connection)",
        idle.held,
        idle.rss_after_kib as f64 / 1024.0,
        grown as f64 / 1024.0,
        grown as f64 / idle.held.max(1) as f64,
    );
    floor.stop();
    Ok(())
}

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|line| line.starts_with("model name"))
                .and_then(|line| line.split_once(':'))
                .map(|(_, model)| model.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    format!("{cores} cores, {cpu}")
}

async fn start_emulator(stack_file: &str, options: &Options) -> anyhow::Result<RunningStack> {
    let mut settings = Settings {
        port: 0,
        ..Settings::default()
    };
    if let Some(max) = options.max_concurrency {
        settings.max_concurrency = max;
    }
    let emulator = checker_testkit::start(stack_file, settings, options.profile()).await?;
    // Warm: the first echo waits for the Lambda process to start.
    let warm = Load {
        clients: 1,
        messages: 20,
        duration: Duration::from_secs(30),
        echo_timeout: Duration::from_secs(30),
        grace: Duration::ZERO,
        mode: Mode::StopAndWait,
    };
    let warmed = load::run(&emulator.url(), warm).await;
    anyhow::ensure!(
        warmed.tally.lossless(),
        "the emulator does not echo: {:?}",
        warmed.tally
    );
    Ok(emulator)
}

/// Exercise 02's solution served by the dev-profile checker, as a learner runs
/// it, beside the floor and the peers: the figures the targets are about.
async fn workshop_section(options: &Options, targets: &mut Vec<Target>) -> anyhow::Result<()> {
    println!(
        "\nThe workshop's configuration: `checker serve 02 --solutions` built in the dev profile (as `cargo run -p checker`), its Lambda posting to https://{{domainName}}/{{stage}} over TLS"
    );
    let repo = manifest_dir()
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let served =
        tokio::task::spawn_blocking(move || workshop::Served::start(&repo, "02")).await??;
    let floor = floor::Floor::start().await?;
    // Warm: the first echo starts the Lambda process.
    let warm = load::run(&served.url, stop_and_wait(1, true)).await;
    anyhow::ensure!(
        warm.tally.lossless(),
        "the workshop stack does not echo: {:?}",
        warm.tally
    );
    header();
    let rounds = if options.quick { 4 } else { 40 };
    let pipelined = Load {
        clients: 50,
        messages: rounds,
        duration: Duration::from_secs(30),
        echo_timeout: Duration::from_secs(10),
        grace: Duration::from_millis(200),
        mode: Mode::Pipelined(rounds),
    };
    let loads = [
        ("1 client", stop_and_wait(1, options.quick)),
        ("10 clients", stop_and_wait(10, options.quick)),
        ("50 clients", stop_and_wait(50, options.quick)),
        ("50 clients pipelining", pipelined),
    ];
    for (what, load) in loads {
        let floor_outcome = load::run(&floor.url(), load).await;
        row(
            "floor (tokio-tungstenite echo)",
            load.clients,
            &floor_outcome,
        );
        let ours = load::run(&served.url, load).await;
        row("workshop (serve 02 --solutions)", load.clients, &ours);
        let mut peer_outcome = None;
        for peer in &options.peer {
            let outcome = load::run(&peer.url, load).await;
            row(&peer.label, load.clients, &outcome);
            peer_outcome.get_or_insert((peer.label.clone(), outcome));
        }
        println!(
            "    workshop/floor: p50 x{:.1}",
            ms(ours.percentile(50)) / ms(floor_outcome.percentile(50))
        );
        let lossless = ours.tally.lossless();
        match (&peer_outcome, what) {
            (Some((label, peer)), "1 client") => {
                let lower = ms(peer.percentile(50)) / ms(ours.percentile(50));
                targets.push(Target {
                    what: format!("p50 at least 3x lower than {label}, 1 client"),
                    measured: format!(
                        "x{lower:.1} ({:.3} vs {:.3} ms)",
                        ms(ours.percentile(50)),
                        ms(peer.percentile(50))
                    ),
                    met: Some(lower >= 3.0),
                });
            }
            (Some((label, peer)), _) if what != "1 client" => {
                let times = ours.throughput() / peer.throughput();
                targets.push(Target {
                    what: format!("at least 5x {label}'s throughput, nothing lost, {what}"),
                    measured: format!(
                        "x{times:.1} ({:.0} vs {:.0} msg/s), {}",
                        ours.throughput(),
                        peer.throughput(),
                        if lossless {
                            "nothing lost"
                        } else {
                            "LOST OR WRONG"
                        }
                    ),
                    met: Some(times >= 5.0 && lossless),
                });
            }
            _ => {}
        }
        if what == "1 client" {
            let times = ms(ours.percentile(50)) / ms(floor_outcome.percentile(50));
            targets.push(Target {
                what: "workshop full path p50 within 10x the floor, 1 client".to_owned(),
                measured: format!("x{times:.1}"),
                met: Some(times <= 10.0),
            });
        }
    }
    if options.peer.is_empty() {
        targets.push(Target {
            what: "3x lower p50 and 5x the throughput of serverless-offline at its best".to_owned(),
            measured: "not measured (no --peer; see scripts/bench-peer)".to_owned(),
            met: None,
        });
    }
    floor.stop();
    drop(served);
    Ok(())
}

fn stop_and_wait(clients: usize, quick: bool) -> Load {
    let (messages, seconds) = match clients {
        1 => (2_000, 10),
        10 => (400, 10),
        50 => (100, 15),
        _ => (60, 15),
    };
    Load {
        clients,
        messages: if quick { messages / 10 } else { messages },
        duration: Duration::from_secs(seconds),
        echo_timeout: Duration::from_secs(10),
        grace: Duration::from_millis(200),
        mode: Mode::StopAndWait,
    }
}

fn ms(duration: Option<Duration>) -> f64 {
    duration.map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0)
}

fn header() {
    println!(
        "  {:<34} {:>7} {:>9} {:>9} {:>10}   {:>6} {:>6} {:>4} {:>4} {:>4} {:>4}",
        "", "clients", "p50 ms", "p99 ms", "msg/s", "sent", "echoed", "dup", "misr", "miss", "ooo"
    );
}

fn row(name: &str, clients: usize, outcome: &Outcome) {
    let t = &outcome.tally;
    println!(
        "  {:<34} {:>7} {:>9.3} {:>9.3} {:>10.0}   {:>6} {:>6} {:>4} {:>4} {:>4} {:>4}{}",
        name,
        clients,
        ms(outcome.percentile(50)),
        ms(outcome.percentile(99)),
        outcome.throughput(),
        t.sent,
        t.echoed,
        t.duplicates,
        t.misrouted,
        t.missing,
        t.out_of_order,
        if t.lossless() {
            String::new()
        } else {
            format!(
                "   LOST OR WRONG: {} connect failures, {} unexpected, {} broken clients",
                t.connect_failures, t.unexpected, t.broken_clients
            )
        }
    );
}

/// One figure and its target, for the summary.
struct Target {
    what: String,
    measured: String,
    met: Option<bool>,
}

async fn bench(options: Options) -> anyhow::Result<()> {
    println!("Emulator benchmark");
    println!("  machine: {}", machine());
    if let Some((soft, hard)) = idle::open_files_limit() {
        println!("  open files limit: soft {soft}, hard {hard}");
    }
    println!(
        "  full path: client → gateway → Lambda process (fixture-echo) → @connections (HTTP, ECHO_ENDPOINT=http) → client"
    );
    println!(
        "  emulator, clients and floor share this process's tokio runtime; the Lambda runs as child processes ({}, at most {} at once)",
        if options.release_lambdas {
            "release build"
        } else {
            "dev-profile build, as the checker builds Lambdas"
        },
        options
            .max_concurrency
            .unwrap_or(Settings::default().max_concurrency)
    );
    let mut targets: Vec<Target> = Vec::new();

    if options.runs(Section::Workshop) {
        workshop_section(&options, &mut targets).await?;
    }

    // Idle first, on a fresh emulator: the resident memory then is the
    // emulator's, not what the load runs left in the allocator.
    if options.runs(Section::Idle) {
        println!("\nIdle connections");
        let emulator = start_emulator(ECHO_HTTP, &options).await?;
        if let Some((soft, _)) = idle::open_files_limit()
            && soft
                .parse::<usize>()
                .is_ok_and(|soft| soft < options.idle_connections() + 200)
        {
            println!(
                "  the open files limit ({soft}) is under {} connections plus spare: raise it with `ulimit -n {}` (up to the hard limit) before the run",
                options.idle_connections(),
                options.idle_connections() + 1024
            );
        }
        let idle = idle::measure(&emulator.url(), options.idle_connections()).await?;
        let grown = idle.rss_after_kib.saturating_sub(idle.rss_before_kib);
        println!(
            "  held {} of {} connections (opened in {:.1} s); resident memory {:.1} MB before, {:.1} MB holding them (+{:.1} MB, {:.1} KB per connection)",
            idle.held,
            idle.requested,
            idle.connect_time.as_secs_f64(),
            idle.rss_before_kib as f64 / 1024.0,
            idle.rss_after_kib as f64 / 1024.0,
            grown as f64 / 1024.0,
            grown as f64 / idle.held.max(1) as f64,
        );
        let resident = idle.rss_after_kib as f64 / 1024.0;
        targets.push(Target {
            what: format!(
                "{} idle connections, emulator under 150 MB",
                options.idle_connections()
            ),
            measured: format!("{} held, {resident:.1} MB resident", idle.held),
            met: Some(idle.held == options.idle_connections() && resident < 150.0),
        });
        emulator.shutdown().await;
        // The same count on the floor server, each in a fresh process (an
        // allocator keeps what it freed): tungstenite's default buffers (the
        // emulator's configuration), then a 4 KiB read buffer.
        for buffer in ["default", "4"] {
            let output = tokio::process::Command::new(std::env::current_exe()?)
                .args([
                    "--idle-floor",
                    buffer,
                    &options.idle_connections().to_string(),
                ])
                .stdin(std::process::Stdio::null())
                .output()
                .await?;
            print!("{}", String::from_utf8_lossy(&output.stdout));
        }
    }

    if options.runs(Section::Echo) {
        println!("\nEcho, stop-and-wait (each client sends, waits for its echo, repeats)");
        let emulator = start_emulator(ECHO_HTTP, &options).await?;
        let floor = floor::Floor::start().await?;
        header();
        for clients in [1, 10, 100] {
            let load = stop_and_wait(clients, options.quick);
            let floor_outcome = load::run(&floor.url(), load).await;
            row("floor (tokio-tungstenite echo)", clients, &floor_outcome);
            let full = load::run(&emulator.url(), load).await;
            row("emulator, full path", clients, &full);
            let mut peers = Vec::new();
            for peer in &options.peer {
                let outcome = load::run(&peer.url, load).await;
                row(&peer.label, clients, &outcome);
                peers.push(outcome);
            }
            let peer = peers.into_iter().next();
            let ratio = |a: Option<Duration>, b: Option<Duration>| ms(a) / ms(b);
            println!(
                "    emulator/floor: p50 x{:.1}, throughput x{:.3}",
                ratio(full.percentile(50), floor_outcome.percentile(50)),
                full.throughput() / floor_outcome.throughput()
            );
            if let Some(peer) = &peer {
                println!(
                    "    peer/emulator: p50 x{:.1}; emulator throughput = {:.1} x peer's",
                    ratio(peer.percentile(50), full.percentile(50)),
                    full.throughput() / peer.throughput()
                );
            }
            if clients == 1 {
                let full_p50 = ms(full.percentile(50));
                let floor_p50 = ms(floor_outcome.percentile(50));
                targets.push(Target {
                    what:
                        "fixture full path (HTTP @connections) p50 within 10x the floor, 1 client"
                            .to_owned(),
                    measured: format!("x{:.1} ({floor_p50:.3} ms floor)", full_p50 / floor_p50),
                    met: Some(full_p50 < 10.0 * floor_p50),
                });
            }
            if clients == 100 {
                targets.push(Target {
                    what: "nothing lost, duplicated or misrouted, 100 clients".to_owned(),
                    measured: format!(
                        "{} sent, {} echoed, {} duplicates, {} misrouted, {} missing",
                        full.tally.sent,
                        full.tally.echoed,
                        full.tally.duplicates,
                        full.tally.misrouted,
                        full.tally.missing
                    ),
                    met: Some(full.tally.lossless()),
                });
            }
        }
        floor.stop();
        emulator.shutdown().await;
    }

    if options.runs(Section::Parts) {
        println!(
            "\nThe legs of the full path, 1 client: the Lambda leg alone (two-way route: fixture-lambda's return value is the reply, no @connections) and the @connections leg alone (the harness posts over kept-alive HTTP, the client receives)"
        );
        let emulator = start_emulator(TWO_WAY, &options).await?;
        header();
        let load = stop_and_wait(1, options.quick);
        let two_way = load::run(&emulator.url(), load).await;
        row("gateway + Lambda, two-way route", 1, &two_way);
        let stage = emulator
            .url()
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_owned();
        match parts::connections_leg(
            &emulator.url(),
            emulator.emulator.address(),
            &stage,
            load.messages,
        )
        .await
        {
            Ok(leg) => row("@connections POST -> client", 1, &leg),
            Err(error) => println!("  could not time the @connections leg: {error:#}"),
        }
        emulator.shutdown().await;
    }

    if options.runs(Section::Tls) {
        println!(
            "\nEcho over the TLS @connections path (ECHO_ENDPOINT=event: https://{{domainName}}/{{stage}} from the event)"
        );
        let emulator = start_emulator(ECHO_EVENT, &options).await?;
        header();
        for clients in [1, 10] {
            let outcome = load::run(&emulator.url(), stop_and_wait(clients, options.quick)).await;
            row("emulator, full path, TLS", clients, &outcome);
        }
        emulator.shutdown().await;
    }

    if options.runs(Section::Pipeline) {
        let k = 10;
        println!(
            "\nPipelined: each client sends {k} messages without waiting, then reads their {k} echoes; ooo = first echoes that arrived after a later message's echo"
        );
        let emulator = start_emulator(ECHO_HTTP, &options).await?;
        let floor = floor::Floor::start().await?;
        header();
        for clients in [1, 10, 100] {
            let rounds = if options.quick { 2 } else { 10 };
            let load = Load {
                clients,
                messages: k * rounds,
                duration: Duration::from_secs(20),
                echo_timeout: Duration::from_secs(10),
                grace: Duration::from_millis(200),
                mode: Mode::Pipelined(k),
            };
            let floor_outcome = load::run(&floor.url(), load).await;
            row("floor", clients, &floor_outcome);
            let outcome = load::run(&emulator.url(), load).await;
            row("emulator, full path", clients, &outcome);
            println!(
                "    emulator reorder rate: {:.1}% of echoes",
                100.0 * outcome.tally.out_of_order as f64 / outcome.tally.echoed.max(1) as f64
            );
            for peer in &options.peer {
                let outcome = load::run(&peer.url, load).await;
                row(&peer.label, clients, &outcome);
                println!(
                    "    {} reorder rate: {:.1}% of echoes",
                    peer.label,
                    100.0 * outcome.tally.out_of_order as f64 / outcome.tally.echoed.max(1) as f64
                );
            }
        }
        floor.stop();
        emulator.shutdown().await;
    }

    if options.runs(Section::Console) {
        println!(
            "\nThe console under a classroom's load: exercise 05's chat app, the page's feed, a page in Chromium, a feed that stops reading"
        );
        // Long enough for the history to reach its bound (50,000 events, ~650 a second here).
        let seconds = if options.quick { 15 } else { 120 };
        let rate = options.console_rate;
        println!("  load average before: {}", load_average());
        match console::run(30, rate, Duration::from_secs(seconds)).await {
            Ok(figures) => {
                println!("  load average after: {}", load_average());
                println!(
                    "  feed: {} events, {} skipped; lag from event to feed client p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
                    figures.events,
                    figures.skipped,
                    figures.lag_p50_ms,
                    figures.lag_p99_ms,
                    figures.lag_max_ms
                );
                println!(
                    "  chat: {} of {} broadcast frames delivered; resident memory {:.1} MB at the first sample, {:.1} MB at most; the bus held at most {} events",
                    figures.delivered,
                    figures.expected,
                    figures.rss_first_mb,
                    figures.rss_max_mb,
                    figures.held_max_events
                );
                targets.push(Target {
                    what: format!("the console's feed keeps up with 30 clients chatting at {rate} msg/s (nothing skipped, p99 lag under 1 s)"),
                    measured: format!(
                        "{} skipped, p99 {:.1} ms, page at most {} events behind",
                        figures.skipped,
                        figures.lag_p99_ms,
                        figures
                            .page_behind_max
                            .map_or("?".to_owned(), |behind| behind.to_string())
                    ),
                    met: Some(figures.skipped == 0 && figures.lag_p99_ms < 1000.0),
                });
                if let Some(cards) = &figures.cards {
                    println!(
                        "  the page's new message cards, from the message's arrival to on screen: p50 {:.0} ms (in the DOM at {:.0} ms), p90 {:.0} ms, p99 {:.0} ms, max {:.0} ms; {:.0} frames a second; {} of {} messages got a card; {} skipped, {} events behind at the end",
                        cards.p50_ms,
                        cards.in_dom_p50_ms,
                        cards.p90_ms,
                        cards.p99_ms,
                        cards.max_ms,
                        cards.frames_per_second,
                        cards.shown,
                        cards.sent,
                        cards.skipped,
                        cards
                            .behind_at_end
                            .map_or("?".to_owned(), |behind| behind.to_string()),
                    );
                    targets.push(Target {
                        what: format!(
                            "the console shows each new message's card within 100 ms (median, headless Chromium) at 30 clients x {rate} msg/s, losing nothing"
                        ),
                        measured: format!(
                            "p50 {:.0} ms (p90 {:.0}, p99 {:.0}); {} of {} cards; {} skipped",
                            cards.p50_ms,
                            cards.p90_ms,
                            cards.p99_ms,
                            cards.shown,
                            cards.sent,
                            cards.skipped
                        ),
                        met: Some(
                            cards.p50_ms < 100.0
                                && cards.shown == cards.sent
                                && cards.skipped == 0
                                && cards.behind_at_end == Some(0),
                        ),
                    });
                }
                targets.push(Target {
                    what: "the console grows without bound nowhere (history 50,000 events, each feed queue 8,192)".to_owned(),
                    measured: format!(
                        "bus at most {} events held, RSS {:.1} -> {:.1} MB",
                        figures.held_max_events, figures.rss_first_mb, figures.rss_max_mb
                    ),
                    met: Some(figures.held_max_events <= 50_000 + 2 * 8_192 + 65_536),
                });
            }
            Err(error) => println!("  could not run the console load: {error:#}"),
        }
    }

    if options.runs(Section::Check) {
        println!(
            "\nWarm check: one-file edit in a scratch copy, then `checker check 02` to its verdict"
        );
        let repo = manifest_dir()
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        let checker_binary = PathBuf::from(env!("CARGO_BIN_EXE_checker"));
        let result = tokio::task::spawn_blocking(move || -> anyhow::Result<Vec<check::Timed>> {
            let scratch = check::Scratch::prepare(&repo, &checker_binary)?;
            let first = scratch.check()?;
            println!(
                "  first check of the copy (builds whatever its target dir lacks): {:.1} s, {}",
                first.time.as_secs_f64(),
                if first.passed { "pass" } else { "fail" }
            );
            let mut runs = Vec::new();
            for _ in 0..options.check_runs {
                let timed = scratch.edit_and_check()?;
                println!(
                    "  edit, then check 02: {:.2} s, {}",
                    timed.time.as_secs_f64(),
                    if timed.passed { "pass" } else { "fail" }
                );
                runs.push(timed);
            }
            let unchanged = scratch.check()?;
            println!(
                "  check 02 again, no edit (cargo finds nothing to build; the rest is the scenario): {:.2} s, {}",
                unchanged.time.as_secs_f64(),
                if unchanged.passed { "pass" } else { "fail" }
            );
            Ok(runs)
        })
        .await?;
        match result {
            Ok(mut runs) if !runs.is_empty() => {
                runs.sort_by_key(|run| run.time);
                let median = runs[runs.len() / 2].time.as_secs_f64();
                targets.push(Target {
                    what: "warm check after a one-file edit under 3 s".to_owned(),
                    measured: format!("{median:.2} s (median of {})", runs.len()),
                    met: Some(median < 3.0),
                });
            }
            Ok(_) => {}
            Err(error) => println!("  could not time the warm check: {error:#}"),
        }
    }

    println!("\nTargets");
    for target in &targets {
        let verdict = match target.met {
            Some(true) => "met   ",
            Some(false) => "MISSED",
            None => "n/a   ",
        };
        println!("  {verdict} {}: {}", target.what, target.measured);
    }
    println!(
        "  n/a    cold first verdict under 4 min: measured by scripts/bench-cold, not in this run"
    );
    Ok(())
}

/// The 1, 5 and 15 minute load averages, to read a run's figures by.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg").map_or_else(
        |_| "unknown".to_owned(),
        |text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        },
    )
}
