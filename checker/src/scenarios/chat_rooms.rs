//! 05-chat-rooms: clients join chats with `{"action":"joinChat"}`, messages
//! reach the sender's chat only, `ping` answers `pong`, and a participant may
//! join from two connections, leave and come back. Frames are compared as
//! JSON, so field order and spacing are the solution's own business.

use std::future::Future;
use std::pin::Pin;

use crate::session::{Client, Diverged, Session};

// Indexes into the scenario's clients.
const ALICE: usize = 0;
const BOB: usize = 1;
const CAROL: usize = 2;
const ALICE_PHONE: usize = 3;
/// The chats table's name ends in this (`…-chats`).
const TABLE: &str = "chats";

fn join(chat: &str, participant: &str) -> String {
    serde_json::json!({ "action": "joinChat", "chatId": chat, "participantId": participant })
        .to_string()
}

/// `sender` sends `text`; each of `readers` should receive one frame, each of
/// `outsiders` nothing.
async fn say(
    session: &mut Session,
    clients: &mut [Client],
    sender: usize,
    text: &str,
    readers: &[usize],
    outsiders: &[usize],
) {
    session.send(&mut clients[sender], text).await;
    for &reader in readers {
        session.receive_json(&mut clients[reader]).await;
    }
    for &outsider in outsiders {
        session.expect_quiet(&mut clients[outsider]).await;
    }
}

pub fn run(
    session: &mut Session,
) -> Pin<Box<dyn Future<Output = Result<(), Diverged>> + Send + '_>> {
    Box::pin(chat(session))
}

async fn chat(session: &mut Session) -> Result<(), Diverged> {
    session.step("alice, bob and carol connect")?;
    let Some(mut clients) = session.connect_all(&["alice", "bob", "carol"]).await else {
        return session.finish();
    };
    join_and_talk(session, &mut clients).await?;

    session.step("a participant joins from a second connection")?;
    let Some(phone) = session.connect("alice-phone").await else {
        return session.finish();
    };
    clients.push(phone);
    say(
        session,
        &mut clients,
        ALICE_PHONE,
        &join("rust", "Alice"),
        &[ALICE_PHONE],
        &[],
    )
    .await;
    let json_text = r#"{"text":"JSON bodies travel as text"}"#;
    say(
        session,
        &mut clients,
        BOB,
        json_text,
        &[ALICE, BOB, ALICE_PHONE],
        &[CAROL],
    )
    .await;

    vanish_and_come_back(session, &mut clients).await?;
    session.end_quietly(clients).await
}

/// Each joins a chat; a message and a ping reach whom they should.
async fn join_and_talk(session: &mut Session, clients: &mut [Client]) -> Result<(), Diverged> {
    session.step("each joins a chat and is told so")?;
    for (index, chat, participant) in [
        (ALICE, "rust", "Alice"),
        (BOB, "rust", "Bob"),
        (CAROL, "go", "Carol"),
    ] {
        say(
            session,
            clients,
            index,
            &join(chat, participant),
            &[index],
            &[],
        )
        .await;
    }

    session.step("a message reaches the sender's chat only")?;
    say(
        session,
        clients,
        ALICE,
        "hello rustaceans",
        &[ALICE, BOB],
        &[CAROL],
    )
    .await;

    session.step("ping answers pong to the sender only")?;
    say(
        session,
        clients,
        CAROL,
        r#"{"action":"ping"}"#,
        &[CAROL],
        &[ALICE, BOB],
    )
    .await;
    Ok(())
}

/// Alice's first connection drops; her other one still hears the chat, and
/// she joins again on a new one.
async fn vanish_and_come_back(
    session: &mut Session,
    clients: &mut [Client],
) -> Result<(), Diverged> {
    session.step("a participant vanishes without a close frame, and comes back")?;
    let alice = std::mem::replace(
        &mut clients[ALICE],
        placeholder(session, "alice-again").await?,
    );
    session.vanish(alice).await;
    session.record_disconnect("alice").await;
    session.record_table(TABLE).await;
    say(
        session,
        clients,
        BOB,
        "still there, Alice?",
        &[BOB, ALICE_PHONE],
        &[],
    )
    .await;
    say(
        session,
        clients,
        ALICE,
        &join("rust", "Alice"),
        &[ALICE],
        &[],
    )
    .await;
    say(
        session,
        clients,
        BOB,
        "welcome back",
        &[ALICE, BOB, ALICE_PHONE],
        &[CAROL],
    )
    .await;
    Ok(())
}

/// Alice's new connection, opened before her old one closes so the order of
/// the transcript does not depend on how fast `$disconnect` runs.
async fn placeholder(session: &mut Session, name: &str) -> Result<Client, Diverged> {
    match session.connect(name).await {
        Some(client) => Ok(client),
        None => session.finish().and(Err(Diverged)),
    }
}
