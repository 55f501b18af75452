//! Whether a Lambda process's role allows a call, as IAM decides: the stack's
//! role, as Serverless builds it. A refused call is an
//! [`Event::AccessDenied`]. Which process calls is read from the request's
//! SigV4 `Authorization` header, once, by the service it reaches
//! ([`Callers::signer`]).
//!
//! Requests signed with any other key (a test's own SDK client, a learner's
//! curl or awscli) are not a Lambda's: they act as the account's
//! administrator, as the developer's own credentials usually do on AWS.
//!
//! [`Callers::signer`]: super::lambda::callers::Callers::signer

use super::events::{Event, EventBus};
use super::lambda::callers::Caller;
use crate::stack::{Decision, Role, Stack, StatementOrigin};

/// Why a call was refused, for the service's error message.
pub(crate) struct Refusal {
    /// `arn:aws:sts::…:assumed-role/{role}/{function}`.
    pub(crate) caller: String,
    /// A `Deny` statement refused it (else no statement allowed it).
    pub(crate) explicit: bool,
}

impl std::fmt::Debug for Iam {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Iam")
            .field("role", &self.role.as_ref().map(|role| &role.name))
            .finish_non_exhaustive()
    }
}

pub(crate) struct Iam {
    role: Option<Role>,
}

impl Iam {
    /// The stack's role.
    pub(crate) fn new(stack: &Stack) -> Iam {
        Iam {
            role: stack.role.clone(),
        }
    }

    /// Whether `caller` (no Lambda process: the administrator) may perform
    /// `action` on `resource` (the call `call`, in words for reports). Work
    /// after return and a refusal are reported as events before the answer.
    pub(crate) fn authorize(
        &self,
        caller: Option<&Caller>,
        action: &str,
        resource: &str,
        call: &str,
        events: &EventBus,
    ) -> Result<(), Refusal> {
        let Some(caller) = caller else {
            return Ok(());
        };
        caller.report_if_after_return(call, events);
        let Some(role) = &self.role else {
            return Ok(());
        };
        let deny_at = match role.decide(action, resource) {
            Decision::Allowed => return Ok(()),
            Decision::NotAllowed => None,
            Decision::Denied(statement) => Some(match &statement.origin {
                StatementOrigin::Declared(at) => Some(at.clone()),
                StatementOrigin::Serverless(_) => None,
            }),
        };
        events.emit(Event::AccessDenied {
            function: caller.function.clone(),
            action: action.to_owned(),
            resource: resource.to_owned(),
            deny_at: deny_at.clone().flatten(),
            grant_at: role.grant_at.clone(),
            request_id: caller.invocation(),
        });
        Err(Refusal {
            caller: role.session_arn(&caller.deployed_name),
            explicit: deny_at.is_some(),
        })
    }
}
