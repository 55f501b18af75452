//! 06-who-goes-there: the chat app of 05 behind a `$connect` authorizer.
//! Clients without a token (401) or with a forged one (403) are refused
//! before `$connect`; the workshop's users connect with theirs, and join a
//! chat under the name their token proves, whatever name the message claims.

use std::future::Future;
use std::pin::Pin;

use crate::session::{Client, Diverged, Session};

const ALICE: usize = 0;
const BOB: usize = 1;
const CAROL: usize = 2;

pub fn run(
    session: &mut Session,
) -> Pin<Box<dyn Future<Output = Result<(), Diverged>> + Send + '_>> {
    Box::pin(who_goes_there(session))
}

async fn who_goes_there(session: &mut Session) -> Result<(), Diverged> {
    session.step("a client without a token is refused")?;
    if let Some(intruder) = session.connect("mallory").await {
        return refused_too_late(session, intruder).await;
    }

    session.step("a client with a forged token is refused")?;
    if let Some(intruder) = session.connect_with("mallory", "token=forged").await {
        return refused_too_late(session, intruder).await;
    }

    session.step("alice, bob and carol connect with their tokens")?;
    let mut clients = Vec::new();
    for (name, token) in [
        ("alice", "alice-secret"),
        ("bob", "bob-secret"),
        ("carol", "carol-secret"),
    ] {
        let Some(client) = session.connect_with(name, &format!("token={token}")).await else {
            return session.finish();
        };
        clients.push(client);
    }

    session.step("each joins a chat under the name the token proves")?;
    // Alice claims to be Bob: the name is the token's, not the message's.
    for (index, message) in [
        (
            ALICE,
            r#"{"action":"joinChat","chatId":"rust","participantId":"Bob"}"#,
        ),
        (BOB, r#"{"action":"joinChat","chatId":"rust"}"#),
        (CAROL, r#"{"action":"joinChat","chatId":"go"}"#),
    ] {
        session.send(&mut clients[index], message).await;
        session.receive_json(&mut clients[index]).await;
    }

    session.step("a message reaches the chat under its sender's proven name")?;
    session
        .send(&mut clients[ALICE], "hello from the real Alice")
        .await;
    session.receive_json(&mut clients[ALICE]).await;
    session.receive_json(&mut clients[BOB]).await;
    session.expect_quiet(&mut clients[CAROL]).await;

    session.end_quietly(clients).await
}

/// An intruder got in: the scenario stops there, after it leaves.
async fn refused_too_late(session: &mut Session, intruder: Client) -> Result<(), Diverged> {
    session.close(intruder).await;
    session.finish()
}
