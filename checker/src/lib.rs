//! The workshop's checker: a local API Gateway WebSocket API with Lambdas as
//! real child processes, the exercises' scenarios, and the grading around them.
//!
//! # The map: a check's path through the modules
//!
//! `cargo run -p checker -- check 02`, from the top down:
//!
//! 1. The binary (`main.rs`, `cli/`) parses the arguments, finds the
//!    [`workshop`] the current folder is in, and prints what the library
//!    answers; nothing below it prints a report.
//! 2. [`workshop`]: exercise `02` and its folder; on a walk (no exercise
//!    named), the learner's [`workshop::Progress`] starts at the first
//!    exercise not done.
//! 3. [`grade`]: [`grade::check_local`] grades a [`grade::Submission`] (an
//!    exercise's copy and how to launch its stack):
//!    - [`launch`] reads its `serverless.yml` ([`stack`]), builds its
//!      Lambdas ([`cargo_build`]) and starts the [`emulator`]: a
//!      [`launch::RunningStack`];
//!    - [`scenarios`] holds the exercise's scenario: its script and the
//!      snapshot it must match;
//!    - in a [`session`], real WebSocket clients play the script against the
//!      running stack and write down what they observe, step by step, until
//!      the first step that differs from the snapshot: a [`session::Transcript`];
//!    - [`grade::judge`] compares the transcript with the snapshot once: a
//!      [`grade::Verdict`], a failure carrying what explains it (the
//!      Lambdas' errors and output, the tables, the emulator's notes).
//! 4. The progress records the verdict with the folder's fingerprint, and
//!    [`report`] renders the results: for people (the failing step as a
//!    diff, the next stage of the hint, what to run next), as Exercism's
//!    JSON, or as JUnit XML.
//!
//! Beside checking: [`compare`] runs the scenario locally and against a
//! deployed stack and lists where they differ; [`deploy`] plans and runs a
//! deployment to AWS with Serverless v3, which the binary then grades there
//! with [`grade::check_remote`]; [`class`] is the instructor's view of a
//! room (its server, and a learner's link to it that posts each verdict).
//!
//! Inside the emulator, a connection's and a message's path (gateway,
//! routing, Lambda, `@connections`) has its own map, at the top of
//! [`emulator`].
//!
//! # Layers
//!
//! Each layer uses only itself and the layers below; no two modules use each
//! other, directly or through others (`tests/shape/` holds the crate to it,
//! and to the rest of its shape: short functions, errors as types, one
//! module per concern below, one meaning per type name):
//!
//! | layer | modules |
//! |---|---|
//! | the command line | `main.rs`, `cli/` |
//! | what the learner reads | [`report`] |
//! | the workshop's journeys | [`grade`], [`compare`], [`deploy`], [`class`] |
//! | the workshop | [`workshop`] |
//! | driving a stack | [`scenarios`], [`session`], [`launch`] |
//! | the emulator and the build | [`emulator`], [`cargo_build`] |
//! | the stack file | [`stack`] |
//! | what the HTTP answers are made of | `response` (every HTTP response of the crate, the emulator's and the class server's), `ids` (API Gateway's ids) |

pub mod cargo_build;
pub mod class;
pub mod compare;
pub mod deploy;
pub mod emulator;
pub mod grade;
mod ids;
pub mod launch;
pub mod report;
mod response;
pub mod scenarios;
pub mod session;
pub mod stack;
pub mod workshop;
