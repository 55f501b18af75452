//! 03-websockets-party: a message reaches every connected client, sender
//! included, exactly once.

use std::future::Future;
use std::pin::Pin;

use crate::session::{Diverged, Session};

pub fn run(
    session: &mut Session,
) -> Pin<Box<dyn Future<Output = Result<(), Diverged>> + Send + '_>> {
    Box::pin(async move {
        session.step("alice, bob and carol connect")?;
        let Some(mut clients) = session.connect_all(&["alice", "bob", "carol"]).await else {
            return session.finish();
        };

        let messages = [
            (0, "alice's message reaches everyone", "hello, party people"),
            (1, "bob's message reaches everyone", "hi from bob, héllo 👋"),
            (
                2,
                "a JSON message reaches everyone unchanged",
                r#"{"type":"toast","text":"cheers"}"#,
            ),
        ];
        for (sender, title, text) in messages {
            session.step(title)?;
            session.send(&mut clients[sender], text).await;
            for client in &mut clients {
                session.receive(client).await;
            }
        }

        session.end_quietly(clients).await
    })
}
