//! Conformance of the emulator with API Gateway WebSocket APIs and Lambda, as
//! docs/emulator.md describes them. Every test drives the
//! running emulator with real clients: tokio-tungstenite, the official
//! `aws-sdk-apigatewaymanagement` and `aws-sdk-dynamodb` clients, and fixture
//! Lambdas built on `lambda_runtime` running as child processes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "conformance/support.rs"]
mod support;

#[path = "conformance/dynamodb.rs"]
mod dynamodb;
#[path = "conformance/dynamodb_items.rs"]
mod dynamodb_items;
#[path = "conformance/dynamodb_reads.rs"]
mod dynamodb_reads;
#[path = "conformance/handshake.rs"]
mod handshake;
#[path = "conformance/lambda.rs"]
mod lambda;
#[path = "conformance/limits.rs"]
mod limits;
#[path = "conformance/management.rs"]
mod management;
#[path = "conformance/process.rs"]
mod process;
#[path = "conformance/routing.rs"]
mod routing;
#[path = "conformance/session.rs"]
mod session;
