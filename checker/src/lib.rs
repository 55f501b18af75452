//! The workshop's checker: a local API Gateway WebSocket API with Lambdas as
//! real child processes, the exercises' scenarios, and the grading around them.

pub mod cargo_build;
pub mod class;
pub mod compare;
pub mod deploy;
pub mod emulator;
pub mod exercises;
pub mod grade;
pub mod local_stack;
pub mod report;
pub mod scenario;
pub mod scenarios;
pub mod stack;
