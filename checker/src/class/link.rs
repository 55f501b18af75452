//! The learner's side of the class view. `checker join URL --name NAME`
//! checks the code with the class server and keeps the class in
//! `.checker/class.toml`; from then on each check run posts its results:
//! exercise, pass or fail, the failing step's title, hint stages seen and
//! time since the exercise was first checked. Never code, never output.
//!
//! A class server that is gone or slow costs a check at most [`SEND_LIMIT`],
//! and the learner reads one line saying results are not being sent.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::header;
use hyper_util::rt::TokioIo;
use serde::{Deserialize, Serialize};
use tokio::net::TcpStream;

use super::{Answer, ExerciseResult, MAX_NAME_CHARS, RESULTS_PATH, Report};
use crate::grade::Verdict;

/// The file in the checker's folder (`.checker/`) that holds the class.
pub const FILE: &str = "class.toml";
/// A report gets this long to reach the class server and be answered.
pub const SEND_LIMIT: Duration = Duration::from_millis(1500);
/// How much of the server's answer is read.
const MAX_ANSWER_BYTES: usize = 4096;

/// The class a learner joined.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Membership {
    /// The class server, `http://HOST:PORT`.
    pub url: String,
    pub code: String,
    pub name: String,
    /// This learner's id in the class: random, made at the first join.
    pub learner: String,
    /// When each exercise was first checked (Unix seconds): its clock for the class.
    #[serde(default)]
    pub started: BTreeMap<String, i64>,
}

#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error(
        "\"{0}\" is not a class's join address: it looks like http://192.168.1.20:7878/K7P4QX \
         (copy the join command the instructor shows)"
    )]
    BadUrl(String),
    #[error("a name is needed, of at most {MAX_NAME_CHARS} characters: --name \"Ada Lovelace\"")]
    BadName,
    #[error("cannot read {path}: {message} (delete it and join again)")]
    Read { path: PathBuf, message: String },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Send(#[from] PostError),
}

#[derive(Debug, thiserror::Error)]
pub enum PostError {
    #[error("the class server at {url} cannot be reached: {reason}")]
    Unreachable { url: String, reason: ExchangeError },
    #[error("the class server at {url} did not answer within {} s", SEND_LIMIT.as_secs_f32())]
    TimedOut { url: String },
    #[error("the class server refused them: {message}")]
    Refused { status: u16, message: String },
}

/// Why one POST to the class server got no answer.
#[derive(Debug, thiserror::Error)]
pub enum ExchangeError {
    #[error(transparent)]
    NoUrl(#[from] hyper::http::uri::InvalidUri),
    #[error("{url} names no host")]
    NoHost { url: String },
    #[error(transparent)]
    Connect(#[from] std::io::Error),
    #[error(transparent)]
    Request(#[from] hyper::http::Error),
    #[error(transparent)]
    Http(#[from] hyper::Error),
}

/// `http://HOST:PORT/CODE` split into the server's address and the code.
pub fn parse_join_url(text: &str) -> Result<(String, String), LinkError> {
    let bad = || LinkError::BadUrl(text.to_owned());
    let uri: hyper::Uri = text.trim().parse().map_err(|_| bad())?;
    if uri.scheme_str() != Some("http") {
        return Err(bad());
    }
    let authority = uri.authority().ok_or_else(bad)?;
    let code = super::normalise_code(uri.path());
    if code.len() != super::CODE_LENGTH || uri.query().is_some() {
        return Err(bad());
    }
    Ok((format!("http://{authority}"), code))
}

impl Membership {
    pub fn path(checker_dir: &Path) -> PathBuf {
        checker_dir.join(FILE)
    }

    /// The class joined in `checker_dir`, if any.
    pub fn load(checker_dir: &Path) -> Result<Option<Self>, LinkError> {
        let path = Self::path(checker_dir);
        let text = match std::fs::read_to_string(&path) {
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(error) => {
                return Err(LinkError::Read {
                    path,
                    message: error.to_string(),
                });
            }
            Ok(text) => text,
        };
        toml::from_str(&text)
            .map(Some)
            .map_err(|error| LinkError::Read {
                path,
                message: error.to_string(),
            })
    }

    pub fn save(&self, checker_dir: &Path) -> Result<(), LinkError> {
        let path = Self::path(checker_dir);
        let write = |source| LinkError::Write {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(checker_dir).map_err(write)?;
        let text = format!(
            "# The class this workshop sends its check results to (`checker join`).\n\
             # Delete this file, or run `checker join --leave`, to stop.\n\n{}",
            toml::to_string(self).map_err(|error| write(std::io::Error::other(error)))?
        );
        let partial = path.with_extension("toml.partial");
        std::fs::write(&partial, text).map_err(write)?;
        std::fs::rename(&partial, &path).map_err(write)
    }

    fn report(&self, results: Vec<ExerciseResult>) -> Report {
        Report {
            code: self.code.clone(),
            learner: self.learner.clone(),
            name: self.name.clone(),
            results,
        }
    }
}

/// Joins the class at `url` as `name`: the server must take the code. Kept
/// in `checker_dir`; joining again keeps the learner's id and clocks.
pub async fn join(checker_dir: &Path, url: &str, name: &str) -> Result<Membership, LinkError> {
    let (server, code) = parse_join_url(url)?;
    let name = super::clean_text(name, MAX_NAME_CHARS + 1);
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(LinkError::BadName);
    }
    let before = Membership::load(checker_dir).ok().flatten();
    let membership = Membership {
        url: server,
        code,
        name,
        learner: before
            .as_ref()
            .map_or_else(super::new_secret, |before| before.learner.clone()),
        started: before.map(|before| before.started).unwrap_or_default(),
    };
    post(&membership.url, &membership.report(Vec::new())).await?;
    membership.save(checker_dir)?;
    Ok(membership)
}

/// Stops sending: forgets the class. Whether there was one.
pub fn leave(checker_dir: &Path) -> Result<bool, LinkError> {
    let path = Membership::path(checker_dir);
    match std::fs::remove_file(&path) {
        Ok(()) => Ok(true),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(source) => Err(LinkError::Write { path, source }),
    }
}

/// Posts `report` to the class server at `url`, within [`SEND_LIMIT`].
pub async fn post(url: &str, report: &Report) -> Result<(), PostError> {
    let body = serde_json::to_vec(report).unwrap_or_default();
    match tokio::time::timeout(SEND_LIMIT, exchange(url, body)).await {
        Err(_) => Err(PostError::TimedOut {
            url: url.to_owned(),
        }),
        Ok(Err(reason)) => Err(PostError::Unreachable {
            url: url.to_owned(),
            reason,
        }),
        Ok(Ok((status, _))) if (200..300).contains(&status) => Ok(()),
        Ok(Ok((status, body))) => {
            let message = serde_json::from_slice::<Answer>(&body)
                .map(|answer| answer.message)
                .unwrap_or_else(|_| format!("HTTP {status}"));
            Err(PostError::Refused {
                status,
                message: super::clean_text(&message, 300),
            })
        }
    }
}

/// One HTTP/1.1 POST of `body` to the results path: the status and the start of the answer.
async fn exchange(url: &str, body: Vec<u8>) -> Result<(u16, Bytes), ExchangeError> {
    let uri: hyper::Uri = url.parse()?;
    let authority = uri
        .authority()
        .ok_or_else(|| ExchangeError::NoHost {
            url: url.to_owned(),
        })?
        .clone();
    let host = authority
        .host()
        .trim_start_matches('[')
        .trim_end_matches(']');
    let stream = TcpStream::connect((host, authority.port_u16().unwrap_or(80))).await?;
    let _ = stream.set_nodelay(true);
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    let request = hyper::Request::post(RESULTS_PATH)
        .header(header::HOST, authority.as_str())
        .header(header::CONTENT_TYPE, "application/json")
        .body(Full::new(Bytes::from(body)))?;
    let answered = async {
        let response = sender.send_request(request).await?;
        let status = response.status().as_u16();
        let body = Limited::new(response.into_body(), MAX_ANSWER_BYTES)
            .collect()
            .await
            .map(|collected| collected.to_bytes())
            .unwrap_or_default();
        Ok((status, body))
    };
    tokio::pin!(connection, answered);
    // The connection is driven until the answer is in; if it ends first (the
    // server closed after answering, or failed), the answer or the error is
    // already with `answered`.
    tokio::select! {
        biased;
        answered = &mut answered => answered,
        _ = &mut connection => answered.await,
    }
}

/// What one check of an exercise says, for the class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub exercise: String,
    pub passed: bool,
    pub step: Option<String>,
    pub hints_seen: u32,
}

/// The failing step's title, as the class shows it.
pub fn step_of(verdict: &Verdict) -> Option<String> {
    match verdict {
        Verdict::Passed => None,
        Verdict::Failed(failure) => Some(failure.step.clone()),
        Verdict::BuildFailed { .. } => Some("the Lambdas do not compile".to_owned()),
        Verdict::Broken { .. } => Some("the exercise cannot run".to_owned()),
    }
}

/// A learner's link to their class for one `check` or one `watch`.
#[derive(Debug)]
pub struct Link {
    dir: PathBuf,
    membership: Membership,
    /// The last send failed and the learner was told.
    told: bool,
}

impl Link {
    /// The class joined in `checker_dir`, if any.
    pub fn open(checker_dir: &Path) -> Result<Option<Self>, LinkError> {
        Ok(Membership::load(checker_dir)?.map(|membership| Self {
            dir: checker_dir.to_owned(),
            membership,
            told: false,
        }))
    }

    pub fn membership(&self) -> &Membership {
        &self.membership
    }

    /// Sends one check run's results. The line for the learner, if any: once
    /// when sending stops working, once when it works again; nothing else.
    pub async fn send(&mut self, checked: &[Checked]) -> Option<String> {
        if checked.is_empty() {
            return None;
        }
        let now = chrono::Utc::now().timestamp();
        let mut first_checks = false;
        let mut results = Vec::with_capacity(checked.len());
        for check in checked {
            let started = *self
                .membership
                .started
                .entry(check.exercise.clone())
                .or_insert_with(|| {
                    first_checks = true;
                    now
                });
            results.push(ExerciseResult {
                exercise: check.exercise.clone(),
                passed: check.passed,
                step: check.step.clone(),
                hints_seen: check.hints_seen,
                seconds_since_start: u64::try_from(now.saturating_sub(started)).unwrap_or(0),
            });
        }
        // Kept for the next run's clock; if it cannot be, the clock starts again then.
        if first_checks {
            let _ = self.membership.save(&self.dir);
        }
        let sent = post(&self.membership.url, &self.membership.report(results)).await;
        match (sent, self.told) {
            (Ok(()), true) => {
                self.told = false;
                Some(format!(
                    "Class: results are being sent to {} again.",
                    self.membership.url
                ))
            }
            (Ok(()), false) | (Err(_), true) => None,
            (Err(error), false) => {
                self.told = true;
                Some(format!(
                    "Class: results are not being sent ({error}); your checks go on as usual."
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_addresses_are_read_as_the_instructor_prints_them() {
        assert_eq!(
            parse_join_url("http://192.168.1.20:7878/K7P4QX").unwrap(),
            ("http://192.168.1.20:7878".to_owned(), "K7P4QX".to_owned())
        );
        assert_eq!(
            parse_join_url(" http://[::1]:7878/k7p-4qx ").unwrap().1,
            "K7P4QX"
        );
        for bad in [
            "192.168.1.20:7878/K7P4QX",
            "https://192.168.1.20:7878/K7P4QX",
            "http://192.168.1.20:7878/",
            "http://192.168.1.20:7878/K7P4QX?x=1",
            "ftp://host/K7P4QX",
        ] {
            assert!(parse_join_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_membership_reads_back_as_written() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(Membership::load(dir.path()).unwrap(), None);
        let membership = Membership {
            url: "http://127.0.0.1:7878".into(),
            code: "K7P4QX".into(),
            name: "Ada \"the\" Lovelace".into(),
            learner: "0".repeat(32),
            started: BTreeMap::from([("01-connect".to_owned(), 1_700_000_000)]),
        };
        membership.save(dir.path()).unwrap();
        assert_eq!(Membership::load(dir.path()).unwrap(), Some(membership));
        assert!(leave(dir.path()).unwrap());
        assert!(!leave(dir.path()).unwrap());
    }
}
