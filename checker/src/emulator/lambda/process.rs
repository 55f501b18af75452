//! One Lambda child process: its environment, its Runtime API endpoint, its
//! logs, and the rules that end it (crash, deadline). The process leads a
//! process group of its own, killed whole when the `Process` is dropped.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::process::{Child, Command};

use super::callers::{Callers, Credentials, Registration};
use super::group::{ProcessGroup, lead_own_group};
use super::output::stream_lines;
use super::runtime_api::{NextEvent, RuntimeApi, RuntimeResult};
use super::sandbox::Sandbox;
use super::strays;
use crate::emulator::events::EventBus;
use crate::emulator::ids;
use crate::emulator::invoke_error::InvokeError;
use crate::emulator::listener::PortLimits;
use crate::stack::ACCOUNT_ID;

/// What a child process needs to start: its binary and its environment.
#[derive(Debug, Clone)]
pub(crate) struct FunctionSpec {
    /// The name in `serverless.yml`, used to prefix log lines.
    pub(crate) name: String,
    /// `AWS_LAMBDA_FUNCTION_NAME`: `{service}-{stage}-{name}`, as Serverless names it.
    pub(crate) deployed_name: String,
    pub(crate) binary: PathBuf,
    pub(crate) timeout: Duration,
    pub(crate) memory_size: u32,
    pub(crate) region: String,
    /// The function's own variables plus the emulator's (endpoints, CA bundle).
    pub(crate) environment: BTreeMap<String, String>,
    /// The bounds its Runtime API port keeps, the main port's.
    pub(crate) listen: PortLimits,
}

pub(super) struct Process {
    // Dropped first: the group is killed before the child handle goes.
    group: ProcessGroup,
    child: Child,
    api: RuntimeApi,
    function_arn: String,
    /// Its credentials, by which its calls are known as its own; forgotten
    /// with the process.
    registration: Registration,
    /// Frozen between invocations, as Lambda freezes its sandbox.
    sandbox: Arc<Sandbox>,
}

impl Process {
    pub(super) async fn start(
        spec: &FunctionSpec,
        events: Arc<EventBus>,
        callers: &Arc<Callers>,
    ) -> Result<Self, InvokeError> {
        let start_failed = |reason: String| InvokeError::StartFailed {
            binary: spec.binary.display().to_string(),
            reason,
        };
        let sandbox = Arc::new(Sandbox::default());
        let api = RuntimeApi::start(sandbox.clone(), spec.listen, spec.timeout)
            .await
            .map_err(|e| start_failed(format!("cannot open a Runtime API port: {e}")))?;
        let registration = callers.register(&spec.name, &spec.deployed_name, &sandbox);
        let mut command = Command::new(&spec.binary);
        command
            .env_clear()
            .envs(base_environment())
            .envs(&spec.environment)
            .envs(reserved_environment(spec, &api, &registration.credentials))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        if let Some(task_root) = spec.binary.parent() {
            command.current_dir(task_root);
        }
        // Its own process group, which the sandbox stops and continues whole.
        lead_own_group(&mut command);
        die_with_parent(&mut command);
        let mut child = command
            .spawn()
            .map_err(|error| start_failed(error.to_string()))?;
        let group = ProcessGroup::of(child.id(), strays::marker(&api.endpoint));
        sandbox.attach(child.id());
        let caller = &registration.caller;
        if let Some(stdout) = child.stdout.take() {
            stream_lines(stdout, spec.name.clone(), events.clone(), caller.clone());
        }
        if let Some(stderr) = child.stderr.take() {
            stream_lines(stderr, spec.name.clone(), events, caller.clone());
        }
        Ok(Self {
            group,
            child,
            api,
            function_arn: format!(
                "arn:aws:lambda:{}:{ACCOUNT_ID}:function:{}",
                spec.region, spec.deployed_name
            ),
            registration,
            sandbox,
        })
    }

    /// Hands one event to the process and waits for its answer, its death or its deadline.
    pub(super) async fn invoke(
        &mut self,
        request_id: &str,
        gateway_request_id: &str,
        payload: Bytes,
        timeout: Duration,
    ) -> Result<Bytes, InvokeError> {
        self.registration.caller.set_invocation(gateway_request_id);
        let deadline = tokio::time::Instant::now() + timeout;
        let deadline_ms = chrono::Utc::now().timestamp_millis()
            + i64::try_from(timeout.as_millis()).unwrap_or(i64::MAX);
        let next = NextEvent {
            request_id: request_id.to_owned(),
            payload,
            deadline_ms,
            function_arn: self.function_arn.clone(),
            trace_id: ids::trace_id(),
        };
        // Thawed and claimed before the event is there to take.
        self.sandbox.hand_over();
        if self.api.next.send(next).await.is_err() {
            return Err(InvokeError::Exited(
                "its Runtime API endpoint closed".into(),
            ));
        }
        loop {
            tokio::select! {
                biased;
                result = self.api.results.recv() => match result {
                    Some(RuntimeResult::Response { request_id: id, body }) if id == request_id => {
                        return Ok(body);
                    }
                    Some(RuntimeResult::Error { request_id: id, error_type, message })
                        if id.as_deref().is_none_or(|id| id == request_id) =>
                    {
                        return Err(InvokeError::Function { error_type, message });
                    }
                    // An answer for an invocation that already ended: ignore it.
                    Some(_) => {}
                    None => return Err(InvokeError::Exited("its Runtime API endpoint closed".into())),
                },
                exit = wait_for_exit(&mut self.child) => return Err(InvokeError::Exited(exit)),
                () = tokio::time::sleep_until(deadline) => {
                    // Already dead or not: either way the process (and all
                    // it started) is discarded.
                    self.group.kill();
                    let _ = self.child.kill().await;
                    return Err(InvokeError::TimedOut(timeout));
                }
            }
        }
    }

    /// Waits for the process to end and says how, as Lambda does (`exit status 101`).
    pub(super) async fn exited(&mut self) -> String {
        wait_for_exit(&mut self.child).await
    }
}

async fn wait_for_exit(child: &mut Child) -> String {
    match child.wait().await {
        Ok(status) => match (
            status.code(),
            std::os::unix::process::ExitStatusExt::signal(&status),
        ) {
            (Some(code), _) => format!("exit status {code}"),
            (None, Some(signal)) => format!("signal: {signal}"),
            (None, None) => status.to_string(),
        },
        Err(error) => format!("cannot wait for the process: {error}"),
    }
}

/// What every Lambda environment has, whatever the function sets.
fn base_environment() -> Vec<(String, String)> {
    let path = std::env::var("PATH").unwrap_or_else(|_| "/usr/local/bin:/usr/bin:/bin".into());
    vec![
        ("PATH".into(), path),
        ("LANG".into(), "en_US.UTF-8".into()),
        ("TZ".into(), ":UTC".into()),
    ]
}

/// The variables Lambda reserves: a function's own settings cannot override them.
fn reserved_environment(
    spec: &FunctionSpec,
    api: &RuntimeApi,
    credentials: &Credentials,
) -> Vec<(String, String)> {
    let today = chrono::Utc::now().format("%Y/%m/%d");
    let stream = ids::request_id().replace(['+', '/', '='], "");
    let task_root = spec
        .binary
        .parent()
        .map(|dir| dir.display().to_string())
        .unwrap_or_default();
    vec![
        ("AWS_LAMBDA_RUNTIME_API".into(), api.endpoint.clone()),
        (
            "AWS_LAMBDA_FUNCTION_NAME".into(),
            spec.deployed_name.clone(),
        ),
        (
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE".into(),
            spec.memory_size.to_string(),
        ),
        ("AWS_LAMBDA_FUNCTION_VERSION".into(), "$LATEST".into()),
        ("AWS_LAMBDA_INITIALIZATION_TYPE".into(), "on-demand".into()),
        (
            "AWS_LAMBDA_LOG_GROUP_NAME".into(),
            format!("/aws/lambda/{}", spec.deployed_name),
        ),
        (
            "AWS_LAMBDA_LOG_STREAM_NAME".into(),
            format!("{today}/[$LATEST]{stream}"),
        ),
        ("AWS_REGION".into(), spec.region.clone()),
        ("AWS_DEFAULT_REGION".into(), spec.region.clone()),
        // Dummies, so the SDK signs its requests instead of probing for
        // credentials; the function's own, so the emulator knows who calls.
        (
            "AWS_ACCESS_KEY_ID".into(),
            credentials.access_key_id.clone(),
        ),
        (
            "AWS_SECRET_ACCESS_KEY".into(),
            credentials.secret_access_key.clone(),
        ),
        (
            "AWS_SESSION_TOKEN".into(),
            credentials.session_token.clone(),
        ),
        ("AWS_EC2_METADATA_DISABLED".into(), "true".into()),
        ("LAMBDA_TASK_ROOT".into(), task_root),
        ("LAMBDA_RUNTIME_DIR".into(), "/var/runtime".into()),
        ("_HANDLER".into(), "bootstrap".into()),
    ]
}

/// Asks Linux to kill the child when the checker dies, even by SIGKILL, where
/// no destructor runs: at once, without waiting for the watchdog (which also
/// ends what the child started, and is the only guard elsewhere).
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn die_with_parent(command: &mut Command) {
    // SAFETY: the closure runs between fork and exec and only calls
    // async-signal-safe functions (prctl, getppid, kill).
    unsafe {
        command.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

#[cfg(not(target_os = "linux"))]
fn die_with_parent(_command: &mut Command) {}
