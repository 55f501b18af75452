//! What every AWS service the Lambdas call shares: who calls ([`Callers`])
//! and what the role allows ([`Iam`]), and the event stream every call is
//! reported on. The `@connections` API, the regional endpoint and DynamoDB's
//! front door each take this, and read nothing else of the emulator but the
//! API or the tables they serve.

use std::sync::Arc;
use std::time::Duration;

use super::events::EventBus;
use super::iam::Iam;
use super::lambda::callers::Callers;

pub(crate) struct Services {
    /// The stack's region: the one in every ARN.
    pub(crate) region: String,
    pub(crate) iam: Iam,
    pub(crate) callers: Arc<Callers>,
    pub(crate) events: Arc<EventBus>,
    /// How long a request's body may take to arrive.
    pub(crate) body_timeout: Duration,
}
