//! What happens in the emulator, one event at a time: the stream's items.

use serde::{Serialize, Serializer};

use super::explain;
use crate::emulator::invoke_error::InvokeError;
use crate::stack::Location;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// The handshake completed: the connection is open. `query` is the
    /// handshake URL's query string ("" when it has none).
    Connected {
        connection_id: String,
        query: String,
    },
    /// `$connect` answered with a status other than 2xx, or failed.
    ConnectRejected {
        connection_id: String,
        status: u16,
        query: String,
    },
    /// The socket closed, whoever closed it.
    Disconnected {
        connection_id: String,
        status_code: u16,
        reason: String,
    },
    /// A text frame from a client; `request_id` is the one API Gateway gives
    /// the message (`requestContext.requestId` of its invocation).
    FrameIn {
        connection_id: String,
        text: String,
        request_id: String,
    },
    /// Where a client's message went: the route selection expression's value
    /// for it and the route that took it (`$default` when none matched the
    /// value); `None` when no route did (the client gets `Forbidden`).
    Routed {
        request_id: String,
        connection_id: String,
        selection: String,
        route_key: Option<String>,
    },
    /// A frame the emulator sent to a client (posts, two-way replies, error
    /// frames); `request_id` names the request it answers, or the invocation
    /// that posted it, when known.
    FrameOut {
        connection_id: String,
        text: String,
        request_id: Option<String>,
    },
    /// A frame of the emulator's own (a two-way reply, an error frame) not
    /// sent: the client's queue was full (it reads nothing). `request_id`
    /// names the request it answered.
    FrameDropped {
        connection_id: String,
        reason: String,
        request_id: String,
    },
    InvocationStarted {
        function: String,
        route_key: String,
        connection_id: String,
        request_id: String,
        /// The event JSON exactly as the Lambda receives it.
        payload: String,
        /// For a `$connect` authorizer's invocation: the request id of the
        /// handshake it authorizes (`$connect`'s invocation's).
        #[serde(skip_serializing_if = "Option::is_none")]
        authorizes: Option<String>,
    },
    InvocationFinished {
        function: String,
        request_id: String,
        /// `Ok` with the Lambda's response as it sent it, or why there is none.
        #[serde(serialize_with = "serialize_outcome")]
        outcome: Result<String, InvokeError>,
    },
    /// The `$connect` authorizer refused a handshake: 401 (an identity source
    /// missing, or the function failed with "Unauthorized"), 403 (its policy
    /// does not allow `$connect`) or 500 (it failed, or its answer is not
    /// one API Gateway takes). `ConnectRejected` follows.
    AuthorizerRefused {
        /// The authorizer's function, its key in serverless.yml.
        function: String,
        connection_id: String,
        /// The handshake's request id (`$connect`'s).
        request_id: String,
        status: u16,
        /// Why, and what to do: a sentence.
        reason: String,
    },
    /// A one-way route's Lambda returned a body, which API Gateway drops: the
    /// client receives nothing from it.
    ReplyDropped {
        function: String,
        route_key: String,
        connection_id: String,
        request_id: String,
    },
    /// A message selected `selected`, which no route has, though `route`
    /// differs from it only in case: route keys match exactly, so the message
    /// went to `$default` (or was answered Forbidden without one).
    RouteCaseMismatch {
        selected: String,
        route: String,
        connection_id: String,
        request_id: String,
    },
    /// One line a Lambda process wrote to stdout or stderr, and the
    /// invocation that process was running (or ran last), if any.
    Log {
        function: String,
        line: String,
        request_id: Option<String>,
    },
    /// A call to the `@connections` management API and its HTTP status;
    /// `request_id` is the calling invocation's, when the caller is known.
    Management {
        method: String,
        connection_id: String,
        status: u16,
        request_id: Option<String>,
    },
    /// A function's call that its role does not allow: answered as AWS
    /// answers it (DynamoDB's `AccessDeniedException`, `@connections`' 403).
    AccessDenied {
        /// Its key in serverless.yml.
        function: String,
        /// `dynamodb:Query`, `execute-api:ManageConnections`…
        action: String,
        /// The ARN the call is on.
        resource: String,
        /// The `Deny` statement that refuses it; `None`: no statement allows it.
        deny_at: Option<Location>,
        /// Where the role's statements are written: where to grant it.
        grant_at: Location,
        /// The invocation that made the call, when known.
        request_id: Option<String>,
    },
    /// A call from a Lambda process whose handler had returned (and whose next
    /// invocation had not come): work the handler left running. Lambda freezes
    /// such a process, so the work runs late or never.
    AfterReturn {
        /// Its function's key in serverless.yml.
        function: String,
        /// The call, e.g. `POST @connections/R1kmxc2VNjMCFIA=` or
        /// `dynamodb:PutItem on connections`.
        call: String,
        /// The invocation the process ran last, when known.
        request_id: Option<String>,
    },
    /// A call that went to the SDK's regional endpoint (a client built from the
    /// environment alone), answered as that endpoint answers on AWS.
    RegionalEndpoint {
        /// The calling function's key in serverless.yml; `None` when the
        /// credentials are not a function's.
        function: Option<String>,
        /// The signing name of the service called, e.g. `execute-api`.
        service: String,
        /// The region it was signed for.
        region: String,
        method: String,
        /// The path after the endpoint, e.g. `/@connections/R1kmxc2VNjMCFIA%3D`.
        path: String,
        /// The HTTP status it got.
        status: u16,
        /// The invocation that made the call, when known.
        request_id: Option<String>,
    },
    /// A call the local DynamoDB refused for a mistake in it (DynamoDB's
    /// `ValidationException` and the like, answered as on AWS), or for
    /// something this local copy lacks (`local_limit`).
    #[serde(rename = "dynamodb_refused")]
    DynamoDbRefused {
        /// The calling function's key in serverless.yml; `None` when no Lambda called.
        function: Option<String>,
        /// The call, e.g. `dynamodb:Query on tables-dev-chats`.
        call: String,
        /// The error as the caller got it: its code and DynamoDB's message.
        error: String,
        /// What to change, when the message alone does not say it.
        advice: Option<String>,
        /// Refused by this local copy only; DynamoDB may accept it.
        local_limit: bool,
        /// The invocation that made the call, when known.
        request_id: Option<String>,
    },
    /// A successful write to a local DynamoDB table.
    TableWrite {
        table: String,
        /// `PutItem`, `UpdateItem` or `DeleteItem` (a batch's and a
        /// transaction's writes are one event each).
        operation: String,
        /// The item's key as DynamoDB JSON, e.g. `{"ConnectionId":{"S":"R1kmxc2VNjMCFIA="}}`.
        key: String,
        /// The writing invocation's request id, when the caller is known.
        request_id: Option<String>,
    },
    /// Not something the emulator did: this subscriber fell behind and
    /// `count` events did not fit in its queue. Only a subscription makes it.
    Skipped { count: u64 },
}

/// `{"response": "..."}` or `{"error": "..."}`.
fn serialize_outcome<S: Serializer>(
    outcome: &Result<String, InvokeError>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut map = serializer.serialize_map(Some(1))?;
    match outcome {
        Ok(response) => map.serialize_entry("response", response)?,
        Err(error) => map.serialize_entry("error", &error.to_string())?,
    }
    map.end()
}

impl Event {
    /// Roughly the bytes the event holds, for the bounds on queues and history.
    pub(crate) fn weight(&self) -> usize {
        const FIXED: usize = 96;
        let text = match self {
            Self::Connected {
                connection_id,
                query,
            }
            | Self::ConnectRejected {
                connection_id,
                query,
                ..
            } => connection_id.len() + query.len(),
            Self::Disconnected { reason, .. } => reason.len(),
            Self::FrameDropped {
                connection_id,
                reason,
                ..
            } => connection_id.len() + reason.len(),
            Self::FrameIn { text, .. } | Self::FrameOut { text, .. } => text.len(),
            Self::Routed { selection, .. } => selection.len(),
            Self::InvocationStarted { payload, .. } => payload.len(),
            Self::InvocationFinished { outcome, .. } => outcome.as_ref().map_or(64, String::len),
            Self::Log { line, .. } => line.len(),
            Self::TableWrite { key, .. } => key.len(),
            Self::DynamoDbRefused {
                call,
                error,
                advice,
                ..
            } => call.len() + error.len() + advice.as_ref().map_or(0, String::len),
            Self::ReplyDropped { route_key, .. } => route_key.len(),
            Self::AuthorizerRefused {
                function, reason, ..
            } => function.len() + reason.len(),
            Self::RouteCaseMismatch {
                selected, route, ..
            } => selected.len() + route.len(),
            Self::AccessDenied {
                function,
                action,
                resource,
                ..
            } => function.len() + action.len() + resource.len(),
            Self::AfterReturn { function, call, .. } => function.len() + call.len(),
            Self::RegionalEndpoint { service, path, .. } => service.len() + path.len(),
            Self::Management { .. } | Self::Skipped { .. } => 0,
        };
        FIXED + text
    }
}

impl Event {
    /// For events that point at a likely mistake in the learner's code or
    /// `serverless.yml`: what happened and what to do, in a sentence.
    pub fn explain(&self) -> Option<String> {
        match self {
            Self::ReplyDropped {
                function,
                route_key,
                ..
            } => Some(format!(
                "{function} ({route_key}) returned a body, but this route sends nothing back: \
                 post it to the connection with PostToConnection instead (API Gateway drops the \
                 body of a one-way route)"
            )),
            Self::RouteCaseMismatch {
                selected, route, ..
            } => Some(format!(
                "a message's action \"{selected}\" matches the route `{route}` only in case; \
                 route keys match exactly, case included, so that route did not get it: spell \
                 both the same"
            )),
            Self::AccessDenied {
                function,
                action,
                resource,
                deny_at,
                grant_at,
                ..
            } => Some(explain::access_denied(
                function,
                action,
                resource,
                deny_at.as_ref(),
                grant_at,
            )),
            Self::RegionalEndpoint {
                function,
                service,
                region,
                method,
                path,
                status,
                ..
            } => Some(explain::regional_endpoint(
                function.as_deref(),
                service,
                region,
                method,
                path,
                *status,
            )),
            Self::AfterReturn { function, call, .. } => Some(explain::after_return(function, call)),
            Self::AuthorizerRefused { reason, .. } => Some(reason.clone()),
            Self::DynamoDbRefused {
                function,
                call,
                error,
                advice,
                local_limit,
                ..
            } => Some(explain::dynamodb_refused(
                function.as_deref(),
                call,
                error,
                advice.as_deref(),
                *local_limit,
            )),
            _ => None,
        }
    }
}
