//! The workshop's checker: a local API Gateway WebSocket API with Lambdas as
//! real child processes, and the tools that build and serve a stack.

pub mod cargo_build;
pub mod emulator;
pub mod stack;
