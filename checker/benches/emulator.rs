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
//! Options:
//!   --peer URL             also load this WebSocket echo endpoint (e.g. ws://127.0.0.1:3001)
//!   --only LIST            sections, comma-separated: echo,parts,tls,pipeline,idle,check
//!   --quick                a tenth of the messages (and 1,000 idle connections)
//!   --idle N               idle connections to hold (default 10000)
//!   --max-concurrency N    the emulator's Lambda processes per function (default: the emulator's)
//!   --check-runs N         warm checks to time (default 3)
//!   --release-lambdas      build the fixture Lambdas with --release (the checker builds
//!                          exercises' Lambdas in the dev profile, the default here too)

#[path = "emulator/check.rs"]
mod check;
#[path = "emulator/floor.rs"]
mod floor;
#[path = "emulator/idle.rs"]
mod idle;
#[path = "emulator/load.rs"]
mod load;
#[path = "emulator/parts.rs"]
mod parts;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use checker::cargo_build::{self, Diagnostics};
use checker::emulator::{Emulator, Settings};
use checker::stack::{Stack, StackOptions};

use load::{Load, Mode, Outcome};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

const SECTIONS: [&str; 6] = ["echo", "parts", "tls", "pipeline", "idle", "check"];

/// `$default` echoes through `@connections` over plain HTTP (`ECHO_ENDPOINT: env`).
const ECHO_ENV: &str = "benches/echo-env.yml";
/// The same over TLS, the endpoint taken from the event.
const ECHO_EVENT: &str = "benches/echo-event.yml";
/// The conformance tests' stack: `$default` is a two-way route to fixture-lambda.
const TWO_WAY: &str = "tests/stacks/fixtures.yml";

struct Options {
    peer: Option<String>,
    sections: BTreeSet<String>,
    quick: bool,
    idle: usize,
    max_concurrency: Option<usize>,
    check_runs: usize,
    release_lambdas: bool,
}

fn options(args: &[String]) -> anyhow::Result<Options> {
    let mut options = Options {
        peer: None,
        sections: SECTIONS.iter().map(|s| (*s).to_owned()).collect(),
        quick: false,
        idle: 10_000,
        max_concurrency: None,
        check_runs: 3,
        release_lambdas: false,
    };
    let mut idle_set = false;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut value = || {
            args.next()
                .cloned()
                .ok_or_else(|| anyhow::anyhow!("{arg} needs a value"))
        };
        match arg.as_str() {
            // `cargo bench` passes `--bench` to every bench target.
            "--bench" => {}
            "--peer" => options.peer = Some(value()?),
            "--only" => {
                options.sections = value()?.split(',').map(str::to_owned).collect();
                if let Some(unknown) = options
                    .sections
                    .iter()
                    .find(|s| !SECTIONS.contains(&s.as_str()))
                {
                    anyhow::bail!("unknown section {unknown:?}; sections: {SECTIONS:?}");
                }
            }
            "--quick" => options.quick = true,
            "--idle" => {
                options.idle = value()?.parse()?;
                idle_set = true;
            }
            "--max-concurrency" => options.max_concurrency = Some(value()?.parse()?),
            "--check-runs" => options.check_runs = value()?.parse()?,
            "--release-lambdas" => options.release_lambdas = true,
            other => anyhow::bail!("unknown option {other:?} (see benches/emulator.rs)"),
        }
    }
    if options.quick && !idle_set {
        options.idle = 1_000;
    }
    Ok(options)
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runtime = tokio::runtime::Runtime::new()?;
    // The child that holds idle connections.
    if args.first().map(String::as_str) == Some("--hold-idle") {
        let (Some(url), Some(count)) = (args.get(1), args.get(2)) else {
            anyhow::bail!("--hold-idle URL COUNT");
        };
        runtime.block_on(idle::hold(url, count.parse()?));
        return Ok(());
    }
    // A floor server holding idle connections, in its own process.
    if args.first().map(String::as_str) == Some("--idle-floor") {
        let (Some(buffer), Some(count)) = (args.get(1), args.get(2)) else {
            anyhow::bail!("--idle-floor default|KIB COUNT");
        };
        return runtime.block_on(idle_floor(buffer, count.parse()?));
    }
    let options = options(&args)?;
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

async fn start_emulator(stack_file: &str, options: &Options) -> anyhow::Result<Emulator> {
    let stack = Stack::load(
        &manifest_dir().join(stack_file),
        &StackOptions {
            stage: None,
            region: None,
        },
    )?;
    let release = options.release_lambdas;
    let binaries = tokio::task::spawn_blocking(move || fixture_lambdas(release)).await??;
    let mut settings = Settings {
        port: 0,
        ..Settings::default()
    };
    if let Some(max) = options.max_concurrency {
        settings.max_concurrency = max;
    }
    let emulator = Emulator::start(&stack, &binaries, settings).await?;
    // Warm: the first echo waits for the Lambda process to start.
    let warm = Load {
        clients: 1,
        messages: 20,
        duration: Duration::from_secs(30),
        echo_timeout: Duration::from_secs(30),
        grace: Duration::ZERO,
        mode: Mode::StopAndWait,
    };
    let warmed = load::run(&emulator.websocket_url(), warm).await;
    anyhow::ensure!(
        warmed.tally.lossless(),
        "the emulator does not echo: {:?}",
        warmed.tally
    );
    Ok(emulator)
}

const FIXTURES: [&str; 2] = ["fixture-echo", "fixture-lambda"];

/// The fixture Lambdas, built as the checker builds Lambdas (dev profile) or with `--release`.
fn fixture_lambdas(release: bool) -> anyhow::Result<BTreeMap<String, PathBuf>> {
    if !release {
        let names = FIXTURES.iter().map(|name| (*name).to_owned()).collect();
        return Ok(cargo_build::build(
            manifest_dir(),
            &names,
            Diagnostics::Capture,
        )?);
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = std::process::Command::new(cargo);
    command
        .current_dir(manifest_dir())
        .args(["build", "--release", "--quiet", "--workspace"]);
    for name in FIXTURES {
        command.args(["--bin", name]);
    }
    anyhow::ensure!(
        command.status()?.success(),
        "the fixture Lambdas do not build with --release"
    );
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest_dir().join("../target"));
    Ok(FIXTURES
        .iter()
        .map(|name| ((*name).to_owned(), target_dir.join("release").join(name)))
        .collect())
}

fn stop_and_wait(clients: usize, quick: bool) -> Load {
    let (messages, seconds) = match clients {
        1 => (2_000, 10),
        10 => (400, 10),
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
        "  full path: client → gateway → Lambda process (fixture-echo) → @connections (HTTP, ECHO_ENDPOINT=env) → client"
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
    let sections = &options.sections;

    // Idle first, on a fresh emulator: the resident memory then is the
    // emulator's, not what the load runs left in the allocator.
    if sections.contains("idle") {
        println!("\nIdle connections");
        let emulator = start_emulator(ECHO_ENV, &options).await?;
        if let Some((soft, _)) = idle::open_files_limit()
            && soft
                .parse::<usize>()
                .is_ok_and(|soft| soft < options.idle + 200)
        {
            println!(
                "  the open files limit ({soft}) is under {} connections plus spare: raise it with `ulimit -n {}` (up to the hard limit) before the run",
                options.idle,
                options.idle + 1024
            );
        }
        let idle = idle::measure(&emulator.websocket_url(), options.idle).await?;
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
            what: format!("{} idle connections, emulator under 150 MB", options.idle),
            measured: format!("{} held, {resident:.1} MB resident", idle.held),
            met: Some(idle.held == options.idle && resident < 150.0),
        });
        emulator.shutdown().await;
        // The same count on the floor server, each in a fresh process (an
        // allocator keeps what it freed): tungstenite's default buffers (the
        // emulator's configuration), then a 4 KiB read buffer.
        for buffer in ["default", "4"] {
            let output = tokio::process::Command::new(std::env::current_exe()?)
                .args(["--idle-floor", buffer, &options.idle.to_string()])
                .stdin(std::process::Stdio::null())
                .output()
                .await?;
            print!("{}", String::from_utf8_lossy(&output.stdout));
        }
    }

    if sections.contains("echo") {
        println!("\nEcho, stop-and-wait (each client sends, waits for its echo, repeats)");
        let emulator = start_emulator(ECHO_ENV, &options).await?;
        let floor = floor::Floor::start().await?;
        header();
        for clients in [1, 10, 100] {
            let load = stop_and_wait(clients, options.quick);
            let floor_outcome = load::run(&floor.url(), load).await;
            row("floor (tokio-tungstenite echo)", clients, &floor_outcome);
            let full = load::run(&emulator.websocket_url(), load).await;
            row("emulator, full path", clients, &full);
            let peer = match &options.peer {
                Some(url) => {
                    let peer = load::run(url, load).await;
                    row("peer", clients, &peer);
                    Some(peer)
                }
                None => None,
            };
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
                    what: "full-path echo p50 under 0.5 ms, 1 client".to_owned(),
                    measured: format!("{full_p50:.3} ms"),
                    met: Some(full_p50 < 0.5),
                });
                targets.push(Target {
                    what: "full-path p50 within 10x the floor, 1 client".to_owned(),
                    measured: format!("x{:.1} ({floor_p50:.3} ms floor)", full_p50 / floor_p50),
                    met: Some(full_p50 < 10.0 * floor_p50),
                });
            }
            if clients == 10 {
                match &peer {
                    Some(peer) => {
                        let throughput = full.throughput() / peer.throughput();
                        let latency = ms(peer.percentile(50)) / ms(full.percentile(50));
                        targets.push(Target {
                            what: "5x the peer's throughput, 10 clients".to_owned(),
                            measured: format!(
                                "x{throughput:.1} ({:.0} vs {:.0} msg/s)",
                                full.throughput(),
                                peer.throughput()
                            ),
                            met: Some(throughput >= 5.0),
                        });
                        targets.push(Target {
                            what: "5x lower p50 than the peer, 10 clients".to_owned(),
                            measured: format!(
                                "x{latency:.1} ({:.3} vs {:.3} ms)",
                                ms(full.percentile(50)),
                                ms(peer.percentile(50))
                            ),
                            met: Some(latency >= 5.0),
                        });
                    }
                    None => targets.push(Target {
                        what: "5x the peer's throughput and 5x lower p50, 10 clients".to_owned(),
                        measured: "not measured (no --peer; see scripts/bench-peer)".to_owned(),
                        met: None,
                    }),
                }
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

    if sections.contains("parts") {
        println!(
            "\nThe legs of the full path, 1 client: the Lambda leg alone (two-way route: fixture-lambda's return value is the reply, no @connections) and the @connections leg alone (the harness posts over kept-alive HTTP, the client receives)"
        );
        let emulator = start_emulator(TWO_WAY, &options).await?;
        header();
        let load = stop_and_wait(1, options.quick);
        let two_way = load::run(&emulator.websocket_url(), load).await;
        row("gateway + Lambda, two-way route", 1, &two_way);
        let stage = emulator
            .websocket_url()
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_owned();
        match parts::connections_leg(
            &emulator.websocket_url(),
            emulator.address(),
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

    if sections.contains("tls") {
        println!(
            "\nEcho over the TLS @connections path (ECHO_ENDPOINT=event: https://{{domainName}}/{{stage}} from the event)"
        );
        let emulator = start_emulator(ECHO_EVENT, &options).await?;
        header();
        for clients in [1, 10] {
            let outcome = load::run(
                &emulator.websocket_url(),
                stop_and_wait(clients, options.quick),
            )
            .await;
            row("emulator, full path, TLS", clients, &outcome);
        }
        emulator.shutdown().await;
    }

    if sections.contains("pipeline") {
        let k = 10;
        println!(
            "\nPipelined: each client sends {k} messages without waiting, then reads their {k} echoes; ooo = first echoes that arrived after a later message's echo"
        );
        let emulator = start_emulator(ECHO_ENV, &options).await?;
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
            let outcome = load::run(&emulator.websocket_url(), load).await;
            row("emulator, full path", clients, &outcome);
            println!(
                "    emulator reorder rate: {:.1}% of echoes",
                100.0 * outcome.tally.out_of_order as f64 / outcome.tally.echoed.max(1) as f64
            );
            if let Some(url) = &options.peer {
                let peer = load::run(url, load).await;
                row("peer", clients, &peer);
                println!(
                    "    peer reorder rate: {:.1}% of echoes",
                    100.0 * peer.tally.out_of_order as f64 / peer.tally.echoed.max(1) as f64
                );
            }
        }
        floor.stop();
        emulator.shutdown().await;
    }

    if sections.contains("check") {
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
