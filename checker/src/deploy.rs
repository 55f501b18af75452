//! Deploying an exercise to AWS with the Serverless Framework v3, and removing
//! it: planned (`plan`: what, as which learner, whether the prerequisites
//! hold), then run (`steps`): its Lambdas built with cargo-lambda, each zip
//! placed where its `serverless.yml` expects it, Serverless run, and the
//! endpoint read from what it says.

pub mod endpoint;
pub mod learner;
mod plan;
pub mod prerequisites;
mod steps;

pub use plan::{Action, Deployment, Planned, Request, Service};
pub use steps::Removal;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::stack::Stack;
use crate::workshop::Variant;

/// The cargo binary and the artifact path of each function of `stack`, the
/// binaries of `variant` (`-solution` for the reference solutions).
pub fn artifacts(stack: &Stack, variant: Variant) -> Vec<(String, PathBuf)> {
    let mut seen = std::collections::BTreeSet::new();
    stack
        .functions
        .iter()
        .filter(|function| seen.insert(function.artifact.clone()))
        .map(|function| {
            (
                variant.binary(&function.binary),
                stack.dir.join(&function.artifact),
            )
        })
        .collect()
}

/// The workspace's target directory, as `cargo metadata` gives it.
pub fn target_directory(workspace: &Path) -> anyhow::Result<PathBuf> {
    let metadata =
        crate::cargo_build::cargo_dirs(workspace).context("cannot read `cargo metadata`")?;
    Ok(metadata.target_directory)
}

/// `cargo lambda build --release --output-format zip [--arm64] --bin …` in
/// `workspace`, its output on the terminal. Then copies each
/// `<target>/lambda/<binary>/bootstrap.zip` to its artifact path.
pub fn build_and_place(
    workspace: &Path,
    artifacts: &[(String, PathBuf)],
    arm64: bool,
) -> anyhow::Result<()> {
    let target = target_directory(workspace)?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(workspace)
        .args(["lambda", "build", "--release", "--output-format", "zip"])
        .stdin(Stdio::null());
    if arm64 {
        command.arg("--arm64");
    }
    for (binary, _) in artifacts {
        command.arg("--bin").arg(binary);
    }
    let status = command
        .status()
        .context("cannot run `cargo lambda build`")?;
    if !status.success() {
        bail!(
            "`cargo lambda build` failed ({status}); its messages are above. Compiler errors: fix them (`cargo run -p checker -- check` shows them too). If it says Zig is missing, run `pip install ziglang` (`pip install cargo-lambda` brings it); if a target is missing, `rustup target add {}`.",
            prerequisites::rust_target(if arm64 { "arm64" } else { "x86_64" })
        );
    }
    for (binary, artifact) in artifacts {
        let built = target.join("lambda").join(binary).join("bootstrap.zip");
        if let Some(dir) = artifact.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        std::fs::copy(&built, artifact).with_context(|| {
            format!("cannot copy {} to {}", built.display(), artifact.display())
        })?;
    }
    Ok(())
}

/// Installs Serverless v3 (pinned in `scripts/serverless/`) into
/// `.tools/serverless` the first time, with `scripts/serverless-install`;
/// returns its entry point, to run with `node`.
pub fn install_serverless(root: &Path) -> anyhow::Result<PathBuf> {
    let script = root.join("scripts").join("serverless-install");
    let output = Command::new("sh")
        .arg(&script)
        .current_dir(root)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("cannot run {}", script.display()))?;
    let entry = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    if !output.status.success() || entry.is_empty() {
        bail!(
            "installing the Serverless Framework v3 with npm failed (npm's messages are above). Check that `npm ci` can reach the npm registry, then run this again; or run `scripts/serverless-install` by hand."
        );
    }
    Ok(PathBuf::from(entry))
}

/// What a Serverless command printed, stdout and stderr interleaved, and whether it succeeded.
#[derive(Debug)]
pub struct Outcome {
    pub success: bool,
    pub output: String,
}

impl Outcome {
    /// The last `n` non-empty lines of the output, ANSI codes removed.
    pub fn last_lines(&self, n: usize) -> Vec<String> {
        let text = anstream::adapter::strip_str(&self.output).to_string();
        let lines: Vec<&str> = text
            .lines()
            .filter(|line| !line.trim().is_empty())
            .collect();
        lines[lines.len().saturating_sub(n)..]
            .iter()
            .map(|line| (*line).to_owned())
            .collect()
    }
}

/// Runs `node <serverless> <args>` in `dir`, echoing its output to stderr as it
/// comes (when `echo`) and keeping it.
pub fn serverless(
    serverless: &Path,
    dir: &Path,
    args: &[String],
    echo: bool,
) -> anyhow::Result<Outcome> {
    let mut child = Command::new("node")
        .arg(serverless)
        .args(args)
        .current_dir(dir)
        .env("SLS_TELEMETRY_DISABLED", "1")
        .env("SLS_NOTIFICATIONS_MODE", "off")
        .env("SLS_DEPRECATION_DISABLE", "*")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("cannot run `node` (the Serverless Framework needs Node.js)")?;
    let output = Arc::new(Mutex::new(String::new()));
    let readers: Vec<_> = [
        child
            .stdout
            .take()
            .map(|out| Box::new(out) as Box<dyn std::io::Read + Send>),
        child
            .stderr
            .take()
            .map(|err| Box::new(err) as Box<dyn std::io::Read + Send>),
    ]
    .into_iter()
    .flatten()
    .map(|stream| {
        let output = Arc::clone(&output);
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                if echo {
                    let mut stderr = std::io::stderr().lock();
                    let _ = writeln!(stderr, "  {line}");
                }
                if let Ok(mut output) = output.lock() {
                    output.push_str(&line);
                    output.push('\n');
                }
            }
        })
    })
    .collect();
    for reader in readers {
        let _ = reader.join();
    }
    let status = child.wait().context("waiting for Serverless")?;
    let output = output.lock().map(|text| text.clone()).unwrap_or_default();
    Ok(Outcome {
        success: status.success(),
        output,
    })
}

/// How the last attempt to reach an endpoint ended.
#[derive(Debug, thiserror::Error)]
pub enum Unanswered {
    #[error(transparent)]
    Failed(#[from] GetFailed),
    #[error("no answer within 10 s")]
    Silent,
}

/// Why a `GET` on an endpoint got no HTTP status.
#[derive(Debug, thiserror::Error)]
pub enum GetFailed {
    #[error("{url} is no URL: {source}")]
    NoUrl {
        url: String,
        source: hyper::http::uri::InvalidUri,
    },
    #[error("{url} is no ws:// or wss:// URL")]
    NotWebSocket { url: String },
    #[error("{url} names no host")]
    NoHost { url: String },
    #[error("cannot connect to {host}:{port}: {source}")]
    Connect {
        host: String,
        port: u16,
        source: std::io::Error,
    },
    #[error(transparent)]
    Request(#[from] hyper::http::Error),
    #[error(transparent)]
    TlsSetup(#[from] rustls::Error),
    #[error("{host}: {source}")]
    ServerName {
        host: String,
        source: rustls::pki_types::InvalidDnsNameError,
    },
    #[error("TLS with {host}:{port}: {source}")]
    Tls {
        host: String,
        port: u16,
        source: std::io::Error,
    },
    #[error(transparent)]
    Http(#[from] hyper::Error),
}

/// Whether a WebSocket endpoint answers: an HTTP GET without an upgrade gets
/// an HTTP response (API Gateway's is 426). Not a WebSocket handshake, which
/// would run the stack's `$connect` and, in an exercise that stores
/// connection ids, leave one behind for the checks to meet. Retries
/// connection errors (DNS of a new API, TLS) until `patience` is over; the last error.
pub async fn wait_until_answering(url: &str, patience: Duration) -> Result<(), Unanswered> {
    let started = Instant::now();
    loop {
        let error = match tokio::time::timeout(Duration::from_secs(10), http_status(url)).await {
            Ok(Ok(_)) => return Ok(()),
            Ok(Err(error)) => Unanswered::Failed(error),
            Err(_) => Unanswered::Silent,
        };
        if started.elapsed() >= patience {
            return Err(error);
        }
        tokio::time::sleep(Duration::from_secs(3)).await;
    }
}

/// The status of `GET` on the `ws://` or `wss://` URL's `http(s)://` twin,
/// the certificate checked against the system's roots (or `SSL_CERT_FILE`),
/// as the WebSocket client checks it.
async fn http_status(url: &str) -> Result<u16, GetFailed> {
    use hyper::Uri;
    let uri: Uri = url.parse().map_err(|source| GetFailed::NoUrl {
        url: url.to_owned(),
        source,
    })?;
    let tls = match uri.scheme_str() {
        Some("wss") => true,
        Some("ws") => false,
        _ => {
            return Err(GetFailed::NotWebSocket {
                url: url.to_owned(),
            });
        }
    };
    let (Some(host), Some(authority)) = (uri.host(), uri.authority()) else {
        return Err(GetFailed::NoHost {
            url: url.to_owned(),
        });
    };
    let port = uri.port_u16().unwrap_or(if tls { 443 } else { 80 });
    let tcp = tokio::net::TcpStream::connect((host.trim_matches(['[', ']']), port))
        .await
        .map_err(|source| GetFailed::Connect {
            host: host.to_owned(),
            port,
            source,
        })?;
    let request = hyper::Request::get(uri.path_and_query().map_or("/", |path| path.as_str()))
        .header(hyper::header::HOST, authority.as_str())
        .body(http_body_util::Empty::<bytes::Bytes>::new())?;
    if !tls {
        return send(tcp, request).await;
    }
    let mut roots = rustls::RootCertStore::empty();
    roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from(host.trim_matches(['[', ']']).to_owned())
        .map_err(|source| GetFailed::ServerName {
            host: host.to_owned(),
            source,
        })?;
    let stream = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .map_err(|source| GetFailed::Tls {
            host: host.to_owned(),
            port,
            source,
        })?;
    send(stream, request).await
}

async fn send<S>(
    stream: S,
    request: hyper::Request<http_body_util::Empty<bytes::Bytes>>,
) -> Result<u16, GetFailed>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
    let connection = tokio::spawn(connection);
    let response = sender.send_request(request).await;
    connection.abort();
    Ok(response?.status().as_u16())
}
