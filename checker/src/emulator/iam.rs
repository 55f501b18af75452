//! Who calls, and whether its role allows the call, as IAM decides. Every
//! Lambda process gets dummy credentials of its own, so the access key id in a
//! request's SigV4 `Authorization` header names the calling function (and
//! process); its role (the stack's, as Serverless builds it) then decides. A
//! refused call is an [`Event::AccessDenied`]; a call from a process whose
//! handler has returned is an [`Event::AfterReturn`].
//!
//! Requests signed with any other key (a test's own SDK client, a learner's
//! curl or awscli) are not a Lambda's: they act as the account's
//! administrator, as the developer's own credentials usually do on AWS.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};

use hyper::HeaderMap;
use hyper::header;
use rand::Rng;

use super::callers::Callers;
use super::events::{Event, EventBus};
use super::lambda::sandbox::Sandbox;
use crate::stack::{Decision, Origin, Role, Stack};

/// The dummy credentials one function's processes get.
#[derive(Debug, Clone)]
pub(crate) struct Credentials {
    pub(crate) access_key_id: String,
    pub(crate) secret_access_key: String,
    pub(crate) session_token: String,
}

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

/// A Lambda process as IAM knows it.
struct Caller {
    /// Its function's key in serverless.yml, for events.
    name: String,
    /// Its Lambda name, the role session's name.
    deployed_name: String,
    /// Whether its handler is running, for work done after it returned.
    sandbox: Weak<Sandbox>,
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
    /// By access key id, every live process's.
    callers: Mutex<HashMap<String, Caller>>,
    /// Which invocation a call belongs to, for the events.
    invocations: Arc<Callers>,
}

impl Iam {
    /// The stack's role.
    pub(crate) fn new(stack: &Stack, invocations: Arc<Callers>) -> Iam {
        Iam {
            role: stack.role.clone(),
            callers: Mutex::new(HashMap::new()),
            invocations,
        }
    }

    /// Fresh credentials for a process of `function`, known as its own until
    /// [`Iam::retire`].
    pub(crate) fn issue(
        &self,
        function: &str,
        deployed_name: &str,
        sandbox: &Arc<Sandbox>,
    ) -> Credentials {
        let issued = issue();
        self.callers().insert(
            issued.access_key_id.clone(),
            Caller {
                name: function.to_owned(),
                deployed_name: deployed_name.to_owned(),
                sandbox: Arc::downgrade(sandbox),
            },
        );
        issued
    }

    /// Forgets the credentials of a process that is gone.
    pub(crate) fn retire(&self, access_key_id: &str) {
        self.callers().remove(access_key_id);
    }

    /// The sandboxes of every live process.
    pub(crate) fn sandboxes(&self) -> Vec<Arc<Sandbox>> {
        self.callers()
            .values()
            .filter_map(|caller| caller.sandbox.upgrade())
            .collect()
    }

    /// The function whose process signed `headers`, if a process did; a call
    /// made after its handler returned is reported as such (`call` says what).
    pub(crate) fn caller(
        &self,
        headers: &HeaderMap,
        call: &str,
        events: &EventBus,
    ) -> Option<String> {
        self.identify(headers, call, events).map(|(name, _)| name)
    }

    /// The signer's function key and Lambda name.
    fn identify(
        &self,
        headers: &HeaderMap,
        call: &str,
        events: &EventBus,
    ) -> Option<(String, String)> {
        let signature = signature(headers)?;
        let callers = self.callers();
        let caller = callers.get(&signature.access_key_id)?;
        if caller
            .sandbox
            .upgrade()
            .is_some_and(|sandbox| sandbox.after_return())
        {
            events.emit(Event::AfterReturn {
                function: caller.name.clone(),
                call: call.to_owned(),
                request_id: self.invocations.invocation_for(headers),
            });
        }
        Some((caller.name.clone(), caller.deployed_name.clone()))
    }

    /// Whether the signer of `headers` may perform `action` on `resource`
    /// (the call `call`, in words for reports). A refusal is reported as an
    /// event before it is returned.
    pub(crate) fn authorize(
        &self,
        headers: &HeaderMap,
        action: &str,
        resource: &str,
        call: &str,
        events: &EventBus,
    ) -> Result<(), Refusal> {
        let Some((function, deployed_name)) = self.identify(headers, call, events) else {
            return Ok(());
        };
        let Some(role) = &self.role else {
            return Ok(());
        };
        let deny_at = match role.decide(action, resource) {
            Decision::Allowed => return Ok(()),
            Decision::NotAllowed => None,
            Decision::Denied(statement) => Some(match &statement.origin {
                Origin::Declared(at) => Some(at.clone()),
                Origin::Serverless(_) => None,
            }),
        };
        events.emit(Event::AccessDenied {
            function,
            action: action.to_owned(),
            resource: resource.to_owned(),
            deny_at: deny_at.clone().flatten(),
            grant_at: role.grant_at.clone(),
            request_id: self.invocations.invocation_for(headers),
        });
        Err(Refusal {
            caller: role.session_arn(&deployed_name),
            explicit: deny_at.is_some(),
        })
    }

    fn callers(&self) -> MutexGuard<'_, HashMap<String, Caller>> {
        // Only inserts, removals and reads happen under this lock.
        self.callers.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Fresh dummy credentials in AWS's shapes: a temporary key id (`ASIA` and 16
/// base32 characters), a 40-character secret, a session token.
fn issue() -> Credentials {
    const BASE32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    const BASE64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut rng = rand::rng();
    let mut pick = |alphabet: &[u8], length: usize| -> String {
        (0..length)
            .map(|_| char::from(alphabet[rng.random_range(0..alphabet.len())]))
            .collect()
    };
    Credentials {
        access_key_id: format!("ASIA{}", pick(BASE32, 16)),
        secret_access_key: pick(BASE64, 40),
        session_token: format!("checker-local-{}", pick(BASE64, 64)),
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

    #[test]
    fn every_function_gets_keys_of_its_own() {
        let one = issue();
        let other = issue();
        assert_ne!(one.access_key_id, other.access_key_id);
        assert_eq!(one.access_key_id.len(), 20);
        assert!(one.access_key_id.starts_with("ASIA"));
        assert_eq!(one.secret_access_key.len(), 40);
    }
}
