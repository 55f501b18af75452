//! The scenario of each exercise and the snapshot it is compared with.

mod chat_rooms;
mod clean_exits;
mod connect;
mod there_and_back_again;
mod websockets_party;

use std::future::Future;
use std::pin::Pin;

use crate::scenario::{Diverged, Session};

pub type Run =
    for<'a> fn(&'a mut Session) -> Pin<Box<dyn Future<Output = Result<(), Diverged>> + Send + 'a>>;

pub struct Scenario {
    pub exercise: &'static str,
    pub run: Run,
    /// The reference transcript: `checker/snapshots/<exercise>.snap`, written by
    /// the self-check tests and updated with `cargo insta review`.
    pub snapshot: &'static str,
}

pub const ALL: &[Scenario] = &[
    Scenario {
        exercise: "01-connect",
        run: connect::run,
        snapshot: include_str!("../snapshots/01-connect.snap"),
    },
    Scenario {
        exercise: "02-there-and-back-again",
        run: there_and_back_again::run,
        snapshot: include_str!("../snapshots/02-there-and-back-again.snap"),
    },
    Scenario {
        exercise: "03-websockets-party",
        run: websockets_party::run,
        snapshot: include_str!("../snapshots/03-websockets-party.snap"),
    },
    Scenario {
        exercise: "04-clean-exits",
        run: clean_exits::run,
        snapshot: include_str!("../snapshots/04-clean-exits.snap"),
    },
    Scenario {
        exercise: "05-chat-rooms",
        run: chat_rooms::run,
        snapshot: include_str!("../snapshots/05-chat-rooms.snap"),
    },
];

pub fn for_exercise(name: &str) -> Option<&'static Scenario> {
    ALL.iter().find(|scenario| scenario.exercise == name)
}
