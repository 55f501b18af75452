//! The scenario of each exercise and the snapshot it is compared with.

mod chat_rooms;
mod clean_exits;
mod connect;
mod there_and_back_again;
mod websockets_party;
mod who_goes_there;

use crate::session::{self, Script, Step};

pub struct Scenario {
    pub exercise: &'static str,
    pub script: Script,
    /// The reference transcript: `checker/snapshots/<exercise>.snap`, written by
    /// the self-check tests and updated with `cargo insta review`.
    pub snapshot: &'static str,
}

impl Scenario {
    /// The steps the snapshot expects; without `local`, only what a run
    /// against a deployed stack can observe.
    pub fn expected(&self, local: bool) -> Vec<Step> {
        session::parse(self.snapshot, local)
    }
}

pub const ALL: &[Scenario] = &[
    Scenario {
        exercise: "01-connect",
        script: connect::run,
        snapshot: include_str!("../snapshots/01-connect.snap"),
    },
    Scenario {
        exercise: "02-there-and-back-again",
        script: there_and_back_again::run,
        snapshot: include_str!("../snapshots/02-there-and-back-again.snap"),
    },
    Scenario {
        exercise: "03-websockets-party",
        script: websockets_party::run,
        snapshot: include_str!("../snapshots/03-websockets-party.snap"),
    },
    Scenario {
        exercise: "04-clean-exits",
        script: clean_exits::run,
        snapshot: include_str!("../snapshots/04-clean-exits.snap"),
    },
    Scenario {
        exercise: "05-chat-rooms",
        script: chat_rooms::run,
        snapshot: include_str!("../snapshots/05-chat-rooms.snap"),
    },
    Scenario {
        exercise: "06-who-goes-there",
        script: who_goes_there::run,
        snapshot: include_str!("../snapshots/06-who-goes-there.snap"),
    },
];

pub fn for_exercise(name: &str) -> Option<&'static Scenario> {
    ALL.iter().find(|scenario| scenario.exercise == name)
}
