//! 01-connect: a client connects, `$connect` runs, and with no route for
//! messages yet, API Gateway answers a message with its Forbidden frame.

use std::future::Future;
use std::pin::Pin;

use crate::session::{Diverged, Session};

pub fn run(
    session: &mut Session,
) -> Pin<Box<dyn Future<Output = Result<(), Diverged>> + Send + '_>> {
    Box::pin(async move {
        session.step("alice connects and $connect runs")?;
        let Some(mut alice) = session.connect("alice").await else {
            return session.finish();
        };
        session.record_invocations("$connect");

        session.step("a message finds no route yet")?;
        session.send(&mut alice, "hello").await;
        session.receive(&mut alice).await;

        session.step("alice closes")?;
        session.close(alice).await;
        session.finish()
    })
}
