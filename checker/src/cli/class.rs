//! `checker class` (the instructor's live view), `checker join` (a learner
//! joins it), and the one call `check` and `watch` make to send a run's results.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use checker::class::link::{self, Checked, Link};
use checker::class::server::{Class, ClassConfig, Limits};
use checker::class::store::Store;
use checker::grade::Graded;
use checker::workshop::{Progress, Workshop};

const DEFAULT_PORT: u16 = 7878;

#[derive(Debug, clap::Args)]
pub(crate) struct ClassArgs {
    /// Listen for learners on other machines on this address (`0.0.0.0:7878`,
    /// or one of this machine's addresses); without it, this machine only.
    #[arg(long, value_name = "ADDR")]
    listen: Option<String>,
    /// The class's database, kept across restarts [default: .checker/class.db].
    #[arg(long, value_name = "FILE")]
    db: Option<PathBuf>,
    /// Print the class's results as CSV (one row per learner and exercise) and exit.
    #[arg(long)]
    csv: bool,
}

#[derive(Debug, clap::Args)]
pub(crate) struct JoinArgs {
    /// The join address the instructor's `checker class` shows, e.g. http://192.168.1.20:7878/K7P4QX.
    #[arg(required_unless_present = "leave")]
    url: Option<String>,
    /// Your name, as the instructor will see it.
    #[arg(long, required_unless_present = "leave")]
    name: Option<String>,
    /// Stop sending results to the class.
    #[arg(long, conflicts_with_all = ["url", "name"])]
    leave: bool,
}

pub(crate) async fn class(args: ClassArgs) -> anyhow::Result<ExitCode> {
    let workshop = super::workshop()?;
    let db = args
        .db
        .unwrap_or_else(|| workshop.checker_dir().join("class.db"));
    let exercises: Vec<(String, String)> = workshop
        .exercises
        .iter()
        .map(|exercise| (exercise.name.clone(), exercise.title.clone()))
        .collect();
    if args.csv {
        if !db.is_file() {
            bail!(
                "there is no class in {}: `checker class` starts one",
                db.display()
            );
        }
        let store = Store::open(&db, Limits::default().store_bytes)?;
        let names: Vec<String> = exercises.into_iter().map(|(name, _)| name).collect();
        checker::class::export::write_csv(&store, &names, std::io::stdout().lock())?;
        return Ok(ExitCode::SUCCESS);
    }
    let listen = listen_address(args.listen.as_deref())?;
    let class = Class::start(ClassConfig {
        listen,
        db: db.clone(),
        exercises,
        limits: Limits::default(),
    })
    .await?;
    let port = class.address().port();
    println!("Class view (open it on this machine; the key in it is yours alone):");
    println!("    {}", class.page_url());
    println!("Learners join once, from their clone of the workshop:");
    match class.address_for_learners() {
        Some(host) => println!(
            "    cargo run -p checker -- join {} --name \"Your name\"",
            class.join_url(host)
        ),
        None => println!(
            "    cargo run -p checker -- join http://THIS-MACHINE:{port}/{} --name \"Your name\"",
            class.code()
        ),
    }
    if class.address().ip().is_loopback() {
        println!(
            "Listening on this machine only: for learners on other machines, `class --listen 0.0.0.0:{port}`."
        );
    }
    println!(
        "Results are kept in {} across restarts; `cargo run -p checker -- class --csv > class.csv` exports them.",
        db.display()
    );
    println!("Ctrl-C to stop.");
    tokio::signal::ctrl_c()
        .await
        .context("cannot wait for Ctrl-C")?;
    class.stop().await;
    Ok(ExitCode::SUCCESS)
}

fn listen_address(given: Option<&str>) -> anyhow::Result<SocketAddr> {
    let Some(text) = given else {
        return Ok(SocketAddr::from(([127, 0, 0, 1], DEFAULT_PORT)));
    };
    text.parse::<SocketAddr>()
        .or_else(|_| {
            text.parse::<IpAddr>()
                .map(|ip| SocketAddr::new(ip, DEFAULT_PORT))
        })
        .with_context(|| {
            format!("--listen {text}: give an address and a port, e.g. 0.0.0.0:{DEFAULT_PORT}")
        })
}

pub(crate) async fn join(args: JoinArgs) -> anyhow::Result<ExitCode> {
    let workshop = super::workshop()?;
    let dir = workshop.checker_dir();
    if args.leave {
        if link::leave(&dir)? {
            println!("Left the class: checks no longer send their results.");
        } else {
            println!("No class was joined here.");
        }
        return Ok(ExitCode::SUCCESS);
    }
    let (Some(url), Some(name)) = (args.url, args.name) else {
        bail!("join needs the class's address and your name: join URL --name \"Your name\"");
    };
    let membership = link::join(&dir, &url, &name)
        .await
        .map_err(|error| match error {
            link::LinkError::Send(link::PostError::Unreachable { .. } | link::PostError::TimedOut { .. }) => {
                anyhow::anyhow!(
                    "{error}. Check the address with the instructor: `checker class` must be running \
                     there, with `--listen` for learners on other machines"
                )
            }
            other => other.into(),
        })?;
    println!(
        "Joined the class at {} as {}. From now on each check sends the class its result: the \
         exercise, pass or fail, the failing step, how many hint stages you have seen and how long \
         since you started it; never your code. `cargo run -p checker -- join --leave` stops it.",
        membership.url, membership.name
    );
    Ok(ExitCode::SUCCESS)
}

/// The class the learner joined, for the checks of one `check` or `watch`;
/// a class file that cannot be read is said once and leaves the checks alone.
pub(crate) fn link(workshop: &Workshop) -> Option<Link> {
    Link::open(&workshop.checker_dir()).unwrap_or_else(|error| {
        println!("Class: results are not being sent ({error}).");
        None
    })
}

/// Sends one check run's results to the learner's class, if they joined
/// one; returns what to tell the learner about it (results no longer sent…).
pub(crate) async fn send(
    link: &mut Option<Link>,
    results: &[Graded],
    progress: &Progress,
) -> Option<String> {
    let link = link.as_mut()?;
    let checked: Vec<Checked> = results
        .iter()
        .map(|graded| Checked {
            exercise: graded.exercise.name.clone(),
            passed: graded.verdict.passed(),
            step: link::step_of(&graded.verdict),
            hints_seen: u32::try_from(progress.hints_seen(&graded.exercise)).unwrap_or(u32::MAX),
        })
        .collect();
    link.send(&checked).await
}
