//! Which invocation made a call to the emulator. Each Lambda process gets a
//! session token of its own (`AWS_SESSION_TOKEN`, which the SDK sends as
//! `X-Amz-Security-Token` with every signed request) and runs one invocation
//! at a time, so a call carrying a process's token belongs to the invocation
//! that process runs, or ran last (work left running after a handler
//! returned). A client built with other credentials is simply not known.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};

use hyper::{HeaderMap, Request};

/// The header the SDK carries the session token in.
const TOKEN_HEADER: &str = "x-amz-security-token";

#[derive(Default)]
pub(crate) struct Callers {
    by_token: Mutex<HashMap<String, Arc<Caller>>>,
}

/// One Lambda process as a caller: its token and its invocation.
pub(crate) struct Caller {
    pub(crate) token: String,
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
}

/// A process's place among the callers; dropped with the process.
pub(crate) struct Registration {
    pub(crate) caller: Arc<Caller>,
    callers: Weak<Callers>,
}

impl Drop for Registration {
    fn drop(&mut self) {
        if let Some(callers) = self.callers.upgrade() {
            lock(&callers.by_token).remove(&self.caller.token);
        }
    }
}

impl Callers {
    /// A process about to start, known by its credentials' session token
    /// (fresh for each process).
    pub(crate) fn register(self: &Arc<Self>, token: String) -> Registration {
        let caller = Arc::new(Caller {
            token,
            invocation: Mutex::new(None),
        });
        lock(&self.by_token).insert(caller.token.clone(), caller.clone());
        Registration {
            caller,
            callers: Arc::downgrade(self),
        }
    }

    /// The invocation a request to the emulator came from, if its token is a process's.
    pub(crate) fn invocation_of<B>(&self, request: &Request<B>) -> Option<String> {
        self.invocation_for(request.headers())
    }

    /// The same, from the request's headers.
    pub(crate) fn invocation_for(&self, headers: &HeaderMap) -> Option<String> {
        let token = headers.get(TOKEN_HEADER)?.to_str().ok()?;
        lock(&self.by_token).get(token)?.invocation()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Each change under these locks is a single assignment or map call.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_is_attributed_to_its_process_invocation_until_the_process_ends() {
        let callers = Arc::new(Callers::default());
        let first = callers.register("token-1".into());
        let second = callers.register("token-2".into());
        assert_ne!(first.caller.token, second.caller.token);
        first.caller.set_invocation("req-1");
        let request = |token: &str| {
            Request::builder()
                .header(TOKEN_HEADER, token)
                .body(())
                .unwrap()
        };
        assert_eq!(
            callers.invocation_of(&request(&first.caller.token)),
            Some("req-1".into())
        );
        assert_eq!(callers.invocation_of(&request(&second.caller.token)), None);
        assert_eq!(callers.invocation_of(&request("someone-else")), None);
        let token = first.caller.token.clone();
        drop(first);
        assert_eq!(callers.invocation_of(&request(&token)), None);
    }
}
