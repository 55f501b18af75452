//! Headless Chromium driven through chromedriver (WebDriver, with
//! `fantoccini`), for the console's browser tests, its screenshot and its
//! benchmark. Debian's `chromium` and `chromium-driver` packages provide
//! both; `.ci/run` installs them.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use fantoccini::{Client, ClientBuilder};
use serde_json::{Value, json};

/// How long to wait for the page to show something.
pub const PAGE_WAIT: Duration = Duration::from_secs(30);
/// How long chromedriver may take to listen.
const DRIVER_START: Duration = Duration::from_secs(20);

/// The flags that keep headless Chromium quiet on a closed network: without
/// the background-networking ones it keeps trying to reach Google.
const CHROMIUM_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1600,1000",
];

/// A Chromium session; [`Browser::close`] ends it, dropping it kills it.
pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

/// Starts headless Chromium. `Ok(None)` (with the reason printed) when
/// Chromium or chromedriver is not installed, except under CI (`CI` set),
/// where that is an error: there the browser tests must run.
pub async fn launch() -> anyhow::Result<Option<Browser>> {
    let found = find("CHROMEDRIVER", &["chromedriver"])
        .and_then(|driver| Some((driver, find("CHROMIUM", &["chromium", "chromium-browser"])?)));
    let Some((driver, chromium)) = found else {
        let reason = "no chromium and chromedriver on PATH (Debian: apt-get install chromium chromium-driver; \
                      or set CHROMIUM and CHROMEDRIVER)";
        if std::env::var_os("CI").is_some() {
            bail!("{reason}: under CI the browser tests must run");
        }
        eprintln!("SKIPPED: the console's browser test needs Chromium: {reason}");
        return Ok(None);
    };
    let profile = tempfile::tempdir().context("a profile folder for Chromium")?;
    let port = free_port()?;
    let mut command = Command::new(&driver);
    command
        .arg(format!("--port={port}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    // Its own process group, so that Chromium's processes go with it.
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let driver_process = command
        .spawn()
        .with_context(|| format!("cannot start {}", driver.display()))?;
    let mut browser = Starting(Some(driver_process));
    let url = format!("http://127.0.0.1:{port}");
    wait_for_driver(port).await?;

    let mut args: Vec<String> = CHROMIUM_FLAGS
        .iter()
        .map(|flag| (*flag).to_owned())
        .collect();
    args.push(format!("--user-data-dir={}", profile.path().display()));
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".to_owned(),
        json!({ "binary": chromium, "args": args }),
    );
    let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(capabilities)
        .connect(&url)
        .await
        .context("chromedriver cannot start a Chromium session")?;
    Ok(Some(Browser {
        client,
        driver: browser.take(),
        _profile: profile,
    }))
}

impl Browser {
    /// Ends the session (Chromium exits) and chromedriver.
    pub async fn close(mut self) {
        let client = self.client.clone();
        let _ = tokio::time::timeout(Duration::from_secs(10), client.close()).await;
        kill_group(&mut self.driver);
    }

    /// Waits until `script` (a function body) returns a truthy value, and returns it.
    pub async fn wait_until(&self, what: &str, script: &str) -> anyhow::Result<Value> {
        let deadline = Instant::now() + PAGE_WAIT;
        let mut last = Value::Null;
        while Instant::now() < deadline {
            last = self.client.execute(script, Vec::new()).await?;
            let truthy = match &last {
                Value::Null | Value::Bool(false) => false,
                Value::String(text) => !text.is_empty(),
                Value::Number(number) => number.as_f64() != Some(0.0),
                _ => true,
            };
            if truthy {
                return Ok(last);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let page = self
            .client
            .execute("return document.body.innerText", Vec::new())
            .await
            .unwrap_or_default();
        bail!(
            "the page did not show {what} within {} s (last answer {last}); the page read:\n{}",
            PAGE_WAIT.as_secs(),
            page.as_str().unwrap_or_default()
        )
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        kill_group(&mut self.driver);
    }
}

/// chromedriver until the session is up: killed if anything fails first.
struct Starting(Option<Child>);

impl Starting {
    fn take(&mut self) -> Child {
        self.0
            .take()
            .expect("taken once, after the session started")
    }
}

impl Drop for Starting {
    fn drop(&mut self) {
        if let Some(child) = &mut self.0 {
            kill_group(child);
        }
    }
}

/// Kills chromedriver's process group: chromedriver and every Chromium
/// process it started. (Not with the `kill` program: procps' `kill -KILL
/// -PGID` was seen here to signal every process, as `kill -1` does.)
fn kill_group(child: &mut Child) {
    if child.try_wait().ok().flatten().is_none()
        && let Ok(group) = libc::pid_t::try_from(child.id())
    {
        kill_process_group(group);
    }
    let _ = child.kill();
    let _ = child.wait();
}

#[allow(unsafe_code)]
fn kill_process_group(group: libc::pid_t) {
    // A group id of 0 or 1 would mean our own group or every process.
    if group > 1 {
        // SAFETY: killpg only sends a signal; `group` is the id of a child
        // this process started as the leader of its own group and has not
        // reaped yet (checked just before), so the id cannot have been reused.
        unsafe {
            libc::killpg(group, libc::SIGKILL);
        }
    }
}

async fn wait_for_driver(port: u16) -> anyhow::Result<()> {
    let deadline = Instant::now() + DRIVER_START;
    while Instant::now() < deadline {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bail!(
        "chromedriver did not listen on port {port} within {} s",
        DRIVER_START.as_secs()
    )
}

fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// `$VARIABLE`, or the first of `names` on `PATH`.
fn find(variable: &str, names: &[&str]) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(variable) {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).find_map(|dir| {
        names
            .iter()
            .map(|name| dir.join(name))
            .find(|candidate| is_executable(candidate))
    })
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}
