//! Invoking a route's function, reported on the event stream: `$connect`,
//! each message, `$disconnect`, and the console's replays come through here.

use bytes::Bytes;
use serde_json::Value;

use crate::emulator::events::{Event, EventBus};
use crate::emulator::invoke_error::InvokeError;
use crate::emulator::lambda::FunctionPool;

/// Which invocation: the route it serves, the connection and API Gateway's
/// request id, which the event stream names it by.
pub(crate) struct Call<'a> {
    pub(crate) route_key: &'a str,
    pub(crate) connection_id: &'a str,
    pub(crate) request_id: &'a str,
    /// For a `$connect` authorizer: the request id of the handshake it authorizes.
    pub(crate) authorizes: Option<&'a str>,
}

/// Hands the Lambda's event to `function` and reads its response as JSON.
pub(super) async fn invoke(
    events: &EventBus,
    function: &FunctionPool,
    call: Call<'_>,
    lambda_event: Value,
) -> Result<Value, InvokeError> {
    let raw = invoke_payload(events, function, call, lambda_event.to_string()).await;
    raw.and_then(|body| {
        serde_json::from_str::<Value>(&body).map_err(|error| InvokeError::Function {
            error_type: "Runtime.InvalidResponse".into(),
            message: format!("the response is not JSON: {error}"),
        })
    })
}

/// Hands `payload` to `function` as one invocation, reported on the event
/// stream with the response as the Lambda sent it.
pub(crate) async fn invoke_payload(
    events: &EventBus,
    function: &FunctionPool,
    call: Call<'_>,
    payload: String,
) -> Result<String, InvokeError> {
    let name = function.name().to_owned();
    events.emit(Event::InvocationStarted {
        function: name.clone(),
        route_key: call.route_key.to_owned(),
        connection_id: call.connection_id.to_owned(),
        request_id: call.request_id.to_owned(),
        payload: payload.clone(),
        authorizes: call.authorizes.map(str::to_owned),
    });
    let outcome = function
        .invoke(Bytes::from(payload), call.request_id)
        .await
        .map(|body| String::from_utf8_lossy(&body).into_owned());
    events.emit(Event::InvocationFinished {
        function: name,
        request_id: call.request_id.to_owned(),
        outcome: outcome.clone(),
    });
    outcome
}
