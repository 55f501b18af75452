//! Whether a Lambda process's role allows a call, as IAM decides: the stack's
//! role, as Serverless builds it. A refused call is an
//! [`Event::AccessDenied`]. Which process calls is read from the request's
//! SigV4 `Authorization` header ([`signature`], then [`Callers::find`]).
//!
//! Requests signed with any other key (a test's own SDK client, a learner's
//! curl or awscli) are not a Lambda's: they act as the account's
//! administrator, as the developer's own credentials usually do on AWS.
//!
//! [`Callers::find`]: super::callers::Callers::find

use hyper::HeaderMap;
use hyper::header;

use super::callers::Caller;
use super::events::{Event, EventBus};
use crate::stack::{Decision, Role, Stack, StatementOrigin};

/// What a request's SigV4 `Authorization` header says about its signer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Signature {
    pub(crate) access_key_id: String,
    /// The region and service of the credential scope.
    pub(crate) region: String,
    pub(crate) service: String,
}

/// Whether the request is SigV4-signed, as the SDK signs every call; an
/// unsigned call is refused as on AWS.
pub(crate) fn is_signed(headers: &HeaderMap) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("AWS4-HMAC-SHA256 "))
}

/// `Authorization: AWS4-HMAC-SHA256 Credential=AKID/20240101/eu-west-1/execute-api/aws4_request, …`.
/// The signature itself is not verified: the Lambdas hold dummy credentials.
pub(crate) fn signature(headers: &HeaderMap) -> Option<Signature> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let parameters = value.strip_prefix("AWS4-HMAC-SHA256 ")?;
    let credential = parameters
        .split(',')
        .map(str::trim)
        .find_map(|parameter| parameter.strip_prefix("Credential="))?;
    let mut scope = credential.split('/');
    let access_key_id = scope.next().filter(|key| !key.is_empty())?;
    let (_date, region, service) = (scope.next()?, scope.next()?, scope.next()?);
    Some(Signature {
        access_key_id: access_key_id.to_owned(),
        region: region.to_owned(),
        service: service.to_owned(),
    })
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_signer_from_a_sigv4_header() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            "AWS4-HMAC-SHA256 Credential=ASIAABCDEFGHIJKLMNOP/20240120/eu-west-1/execute-api/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc"
                .parse()
                .unwrap(),
        );
        assert_eq!(
            signature(&headers),
            Some(Signature {
                access_key_id: "ASIAABCDEFGHIJKLMNOP".to_owned(),
                region: "eu-west-1".to_owned(),
                service: "execute-api".to_owned(),
            })
        );
        headers.insert(header::AUTHORIZATION, "Bearer x".parse().unwrap());
        assert_eq!(signature(&headers), None);
    }
}
