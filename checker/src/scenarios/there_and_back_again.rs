//! 02-there-and-back-again: every message comes back to the client that sent
//! it, and only to that client, unchanged and in order.

use std::future::Future;
use std::pin::Pin;

use crate::session::{Diverged, Session};

/// Sent one at a time: each waits for its echo, so the order is defined
/// (API Gateway invokes pipelined messages concurrently).
const MESSAGES: &[&str] = &[
    "one",
    "two",
    "three",
    "héllo wörld, 你好 👋",
    r#"{"type":"chat","text":"JSON comes back as it was sent"}"#,
    r#"{"action":"sendMessage","text":"no route has this key, so $default takes it"}"#,
];

pub fn run(
    session: &mut Session,
) -> Pin<Box<dyn Future<Output = Result<(), Diverged>> + Send + '_>> {
    Box::pin(async move {
        session.step("alice and bob connect")?;
        let Some(clients) = session.connect_all(&["alice", "bob"]).await else {
            return session.finish();
        };
        let [mut alice, mut bob]: [_; 2] = clients.try_into().map_err(|_| Diverged)?;

        session.step("alice's message comes back to alice only")?;
        session.send(&mut alice, "hello from alice").await;
        session.receive(&mut alice).await;
        session.expect_quiet(&mut bob).await;

        session.step("bob's message comes back to bob only")?;
        session.send(&mut bob, "hello from bob").await;
        session.receive(&mut bob).await;
        session.expect_quiet(&mut alice).await;

        session.step("messages come back unchanged and in order")?;
        for message in MESSAGES {
            session.send(&mut alice, message).await;
            session.receive(&mut alice).await;
        }

        session.step("nothing else arrives")?;
        session.expect_quiet(&mut alice).await;
        session.expect_quiet(&mut bob).await;

        session.step("alice and bob close")?;
        session.close(alice).await;
        session.close(bob).await;
        session.finish()
    })
}
