//! The one stream of what happens in the emulator. The `serve` log, test
//! assertions and the checker's transcripts and reports all read it.

use std::sync::Mutex;

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

mod explain;

use super::lambda::InvokeError;
use crate::stack::Location;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The handshake completed: the connection is open.
    Connected { connection_id: String },
    /// `$connect` answered with a status other than 2xx, or failed.
    ConnectRejected { connection_id: String, status: u16 },
    /// The socket closed, whoever closed it.
    Disconnected {
        connection_id: String,
        status_code: u16,
        reason: String,
    },
    /// A text frame from a client.
    FrameIn { connection_id: String, text: String },
    /// A frame the emulator sent to a client (posts, two-way replies, error frames).
    FrameOut { connection_id: String, text: String },
    InvocationStarted {
        function: String,
        route_key: String,
        connection_id: String,
        request_id: String,
    },
    InvocationFinished {
        function: String,
        request_id: String,
        /// `Ok` with the Lambda's response, or why there is none.
        outcome: Result<String, InvokeError>,
    },
    /// A one-way route's Lambda returned a body, which API Gateway drops: the
    /// client receives nothing from it.
    ReplyDropped {
        function: String,
        route_key: String,
        connection_id: String,
    },
    /// A message selected `selected`, which no route has, though `route`
    /// differs from it only in case: route keys match exactly, so the message
    /// went to `$default` (or was answered Forbidden without one).
    RouteCaseMismatch {
        selected: String,
        route: String,
        connection_id: String,
    },
    /// One line a Lambda process wrote to stdout or stderr.
    Log { function: String, line: String },
    /// A call to the `@connections` management API and its HTTP status.
    Management {
        method: String,
        connection_id: String,
        status: u16,
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
    },
    /// A successful write to a local DynamoDB table.
    TableWrite {
        table: String,
        /// `PutItem` or `DeleteItem`.
        operation: String,
        /// The item's key as DynamoDB JSON, e.g. `{"ConnectionId":{"S":"R1kmxc2VNjMCFIA="}}`.
        key: String,
    },
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
            } => Some(explain::regional_endpoint(
                function.as_deref(),
                service,
                region,
                method,
                path,
                *status,
            )),
            Self::AfterReturn { function, call } => Some(explain::after_return(function, call)),
            _ => None,
        }
    }
}

#[derive(Default)]
pub struct EventBus {
    subscribers: Mutex<Vec<UnboundedSender<Event>>>,
}

impl EventBus {
    /// Every event from now on, in the order the emulator saw them.
    pub fn subscribe(&self) -> UnboundedReceiver<Event> {
        let (sender, receiver) = unbounded_channel();
        self.lock().push(sender);
        receiver
    }

    pub(crate) fn emit(&self, event: Event) {
        tracing::debug!(?event);
        self.lock()
            .retain(|subscriber| subscriber.send(event.clone()).is_ok());
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<UnboundedSender<Event>>> {
        // A panic while holding this lock cannot leave the list inconsistent.
        self.subscribers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
