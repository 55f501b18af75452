//! The workshop's own configuration, as a learner runs it: the checker built
//! in the dev profile exactly as `cargo run -p checker` builds it, serving
//! exercise 02's solution (`checker serve 02 --solutions`), whose Lambda posts
//! back through `https://{domainName}/{stage}` over TLS.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::Context;
use checker::cargo_build::{self, Diagnostics, Profile};

/// `checker serve` running in a child process; stopped (Ctrl-C) when dropped.
pub struct Served {
    child: Child,
    pub url: String,
}

impl Served {
    /// Builds the dev-profile checker of `repo` and serves `exercise`'s solution on a free port.
    pub fn start(repo: &Path, exercise: &str) -> anyhow::Result<Self> {
        let names = BTreeSet::from(["checker".to_owned()]);
        let built = cargo_build::build(repo, &names, Diagnostics::Capture, Profile::Dev)
            .context("building the dev-profile checker")?;
        let binary = built
            .get("checker")
            .context("cargo built no `checker` binary")?;
        let mut child = Command::new(binary)
            .args(["serve", exercise, "--solutions", "--port", "0"])
            .current_dir(repo)
            .env("CHECKER_ROOT", repo)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .context("starting `checker serve`")?;
        let stdout = child.stdout.take().context("no stdout")?;
        let (found, url) = std::sync::mpsc::channel();
        // Keep reading (and dropping) the log, so a full pipe never blocks the server.
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            if let Ok(url) = checker_testkit::serve_url(&mut lines) {
                let _ = found.send(url);
            }
            for _ in lines {}
        });
        // Stopped on drop if no URL comes.
        let mut served = Self {
            child,
            url: String::new(),
        };
        served.url = url
            .recv_timeout(Duration::from_secs(600))
            .context("`checker serve` printed no URL")?;
        Ok(served)
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        // SIGINT, as Ctrl-C: the checker ends its Lambda processes itself.
        let _ = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status();
        if self.child.wait().is_err() {
            let _ = self.child.kill();
        }
    }
}
