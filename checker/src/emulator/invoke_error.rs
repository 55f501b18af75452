//! Why an invocation produced no response: made by the Lambda leg, carried
//! by the event stream, read by the gateway. A leaf, so that the stream does
//! not reach into the Lambda leg for it.

use std::time::Duration;

/// Why an invocation produced no response, in the words Lambda uses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvokeError {
    /// The handler returned an error (or panicked): the runtime posted `/error`.
    #[error("{}", describe_function_error(error_type, message))]
    Function { error_type: String, message: String },
    #[error("Runtime.ExitError: Runtime exited with error: {0}")]
    Exited(String),
    #[error("Task timed out after {:.2} seconds", .0.as_secs_f64())]
    TimedOut(Duration),
    /// More invocations wait for the function's processes than its queue holds.
    #[error(
        "TooManyRequestsException: Rate Exceeded. ({0} invocations already wait for this function's processes)"
    )]
    Throttled(usize),
    #[error("Runtime.InvalidEntrypoint: cannot start {binary}: {reason}")]
    StartFailed { binary: String, reason: String },
    #[error("the emulator is shutting down")]
    ShuttingDown,
}

/// `lambda_runtime` reports a Rust type path as the error type
/// (`&alloc::boxed::Box<dyn core::error::Error …>`): noise for a reader, so
/// only meaningful types such as `Runtime.ExitError` are shown.
fn describe_function_error(error_type: &str, message: &str) -> String {
    if error_type.contains("::") || error_type.is_empty() {
        message.to_owned()
    } else {
        format!("{error_type}: {message}")
    }
}
