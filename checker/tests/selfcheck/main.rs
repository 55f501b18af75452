//! The workshop checks itself: every stub fails for its intended reason,
//! every solution passes and defines the snapshot, correct alternatives pass,
//! broken variants get their specific report, and the learner's path works
//! from a fresh copy of the repository.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

mod flow;
mod formats;
mod remote;
mod rooms;
mod screen;
mod solutions;
mod stubs;
mod variants;
mod who_goes_there;
