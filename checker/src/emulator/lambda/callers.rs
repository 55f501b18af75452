//! The Lambda processes as callers of the emulator's services. Every process
//! gets dummy credentials of its own, and the SDK signs each call with them,
//! so the access key id in a request's SigV4 `Authorization` header names the
//! process: its function (whose role IAM checks), its sandbox (a call made
//! after its handler returned is an [`Event::AfterReturn`]), and the
//! invocation it runs or ran last (which the call's events belong to). A
//! client built with other credentials (a test's own, a learner's awscli) is
//! no process's. Each service reads a request's [`Signer`] once and passes it
//! on.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};

use hyper::HeaderMap;
use rand::Rng;

use super::sandbox::Sandbox;
use crate::emulator::events::{Event, EventBus};
use crate::emulator::sigv4::{Authorization, Credential};

/// The dummy credentials one process gets.
#[derive(Debug, Clone)]
pub(crate) struct Credentials {
    pub(crate) access_key_id: String,
    pub(crate) secret_access_key: String,
    pub(crate) session_token: String,
}

#[derive(Default)]
pub(crate) struct Callers {
    by_access_key: Mutex<HashMap<String, Arc<Caller>>>,
}

/// One Lambda process as a caller.
pub(crate) struct Caller {
    /// Its function's key in serverless.yml, for events.
    pub(crate) function: String,
    /// Its Lambda name, the role session's name.
    pub(crate) deployed_name: String,
    /// Whether its handler is running, for work done after it returned.
    sandbox: Weak<Sandbox>,
    invocation: Mutex<Option<String>>,
}

impl Caller {
    /// The request id of the invocation the process runs or ran last.
    pub(crate) fn invocation(&self) -> Option<String> {
        lock(&self.invocation).clone()
    }

    pub(crate) fn set_invocation(&self, request_id: &str) {
        *lock(&self.invocation) = Some(request_id.to_owned());
    }

    /// Reports `call` (in words, for the report) as work done after the
    /// handler returned, if it is: on AWS it runs late or never.
    pub(crate) fn report_if_after_return(&self, call: &str, events: &EventBus) {
        let returned = self
            .sandbox
            .upgrade()
            .is_some_and(|sandbox| sandbox.after_return());
        if returned {
            events.emit(Event::AfterReturn {
                function: self.function.clone(),
                call: call.to_owned(),
                request_id: self.invocation(),
            });
        }
    }
}

/// Who signed a request: its `Authorization` header, and the Lambda process
/// whose credentials signed it, if one did.
pub(crate) struct Signer {
    pub(crate) authorization: Authorization,
    pub(crate) caller: Option<Arc<Caller>>,
}

impl Signer {
    /// The request id of the calling process's invocation, when known: what
    /// the call's events belong to.
    pub(crate) fn invocation(&self) -> Option<String> {
        self.caller.as_ref().and_then(|caller| caller.invocation())
    }
}

/// A process's place among the callers, and its credentials; it is forgotten
/// when this is dropped with the process.
pub(crate) struct Registration {
    pub(crate) caller: Arc<Caller>,
    pub(crate) credentials: Credentials,
    callers: Weak<Callers>,
}

impl Drop for Registration {
    fn drop(&mut self) {
        if let Some(callers) = self.callers.upgrade() {
            lock(&callers.by_access_key).remove(&self.credentials.access_key_id);
        }
    }
}

impl Callers {
    /// A process of `function` about to start, with fresh credentials.
    pub(crate) fn register(
        self: &Arc<Self>,
        function: &str,
        deployed_name: &str,
        sandbox: &Arc<Sandbox>,
    ) -> Registration {
        let credentials = issue();
        let caller = Arc::new(Caller {
            function: function.to_owned(),
            deployed_name: deployed_name.to_owned(),
            sandbox: Arc::downgrade(sandbox),
            invocation: Mutex::new(None),
        });
        lock(&self.by_access_key).insert(credentials.access_key_id.clone(), caller.clone());
        Registration {
            caller,
            credentials,
            callers: Arc::downgrade(self),
        }
    }

    /// Who signed a request with these headers: read once per request.
    pub(crate) fn signer(&self, headers: &HeaderMap) -> Signer {
        let authorization = Authorization::read(headers);
        let caller = authorization
            .credential()
            .and_then(|credential| self.find(credential));
        Signer {
            authorization,
            caller,
        }
    }

    /// The process whose credentials these are, if one's are.
    fn find(&self, credential: &Credential) -> Option<Arc<Caller>> {
        lock(&self.by_access_key)
            .get(&credential.access_key_id)
            .cloned()
    }

    /// The sandboxes of every live process.
    pub(crate) fn sandboxes(&self) -> Vec<Arc<Sandbox>> {
        lock(&self.by_access_key)
            .values()
            .filter_map(|caller| caller.sandbox.upgrade())
            .collect()
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

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Each change under these locks is a single assignment or map call.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header;

    fn signed_by(access_key_id: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        let value = format!(
            "AWS4-HMAC-SHA256 Credential={access_key_id}/20240120/eu-west-1/dynamodb/aws4_request, \
             SignedHeaders=host;x-amz-date, Signature=abc"
        );
        headers.insert(header::AUTHORIZATION, value.parse().unwrap());
        headers
    }

    #[test]
    fn a_call_is_attributed_to_its_process_and_invocation_until_the_process_ends() {
        let callers = Arc::new(Callers::default());
        let sandbox = Arc::new(Sandbox::default());
        let first = callers.register("onMessage", "app-dev-onMessage", &sandbox);
        let second = callers.register("onMessage", "app-dev-onMessage", &sandbox);
        let first_key = first.credentials.access_key_id.clone();
        assert_ne!(first_key, second.credentials.access_key_id);
        first.caller.set_invocation("req-1");
        let found = callers.signer(&signed_by(&first_key));
        assert_eq!(found.caller.as_ref().unwrap().function, "onMessage");
        assert_eq!(found.invocation(), Some("req-1".into()));
        let second_headers = signed_by(&second.credentials.access_key_id);
        let second_signer = callers.signer(&second_headers);
        assert!(second_signer.caller.is_some());
        assert_eq!(second_signer.invocation(), None);
        let someone_else = callers.signer(&signed_by("AKIASOMEONEELSE00000"));
        assert!(someone_else.authorization.is_signed());
        assert!(someone_else.caller.is_none());
        drop(first);
        assert!(callers.signer(&signed_by(&first_key)).caller.is_none());
        assert!(callers.signer(&second_headers).caller.is_some());
    }

    #[test]
    fn every_process_gets_keys_of_its_own() {
        let one = issue();
        let other = issue();
        assert_ne!(one.access_key_id, other.access_key_id);
        assert_eq!(one.access_key_id.len(), 20);
        assert!(one.access_key_id.starts_with("ASIA"));
        assert_eq!(one.secret_access_key.len(), 40);
    }
}
