//! 04-clean-exits: ids of clients that leave are deleted on `$disconnect`,
//! and a broadcast that meets a stale id (410 Gone) deletes it and carries on.

use std::future::Future;
use std::pin::Pin;

use crate::session::{Client, Diverged, Session};

/// The connections table's name ends in this (`…-connections`).
const TABLE: &str = "connections";

async fn broadcast(session: &mut Session, sender: usize, text: &str, clients: &mut [Client]) {
    session.send(&mut clients[sender], text).await;
    for client in clients.iter_mut() {
        session.receive(client).await;
    }
}

pub fn run(
    session: &mut Session,
) -> Pin<Box<dyn Future<Output = Result<(), Diverged>> + Send + '_>> {
    Box::pin(async move {
        session.step("alice, bob and carol connect")?;
        let Some(mut clients) = session.connect_all(&["alice", "bob", "carol"]).await else {
            return session.finish();
        };
        session.record_table(TABLE).await;

        session.step("a message reaches everyone")?;
        broadcast(session, 0, "hello, everyone", &mut clients).await;

        session.step("carol closes: $disconnect forgets her")?;
        let carol = clients.remove(2);
        session.close(carol).await;
        session.record_disconnect("carol").await;
        session.record_table(TABLE).await;
        broadcast(session, 1, "carol left", &mut clients).await;

        session.step("dave vanishes without a close frame: he is forgotten too")?;
        let Some(dave) = session.connect("dave").await else {
            return session.finish();
        };
        session.vanish(dave).await;
        session.record_disconnect("dave").await;
        session.record_table(TABLE).await;

        session.step("a stale id is deleted by the next broadcast, which carries on")?;
        session.plant_stale_connection(TABLE, "ghost");
        broadcast(session, 0, "is anyone still there?", &mut clients).await;
        session.record_table(TABLE).await;

        if session.is_local() {
            session.step("(local) a post that fails for another reason is not swallowed")?;
            session.throttle_posts(true);
            session
                .send(&mut clients[0], "while @connections is throttled")
                .await;
            session.receive(&mut clients[0]).await;
            session.expect_quiet(&mut clients[1]).await;
            session.throttle_posts(false);
        }

        session.end_quietly(clients).await
    })
}
