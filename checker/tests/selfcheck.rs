//! The workshop checks itself: every stub fails for its intended reason,
//! every solution passes and defines the snapshot, correct alternatives pass,
//! broken variants get their specific report, and the learner's path works
//! from a fresh copy of the repository.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "selfcheck/support.rs"]
mod support;

#[path = "selfcheck/flow.rs"]
mod flow;
#[path = "selfcheck/formats.rs"]
mod formats;
#[path = "selfcheck/remote.rs"]
mod remote;
#[path = "selfcheck/rooms.rs"]
mod rooms;
#[path = "selfcheck/solutions.rs"]
mod solutions;
#[path = "selfcheck/stubs.rs"]
mod stubs;
#[path = "selfcheck/variants.rs"]
mod variants;
