//! Conformance of the emulator with API Gateway WebSocket APIs and Lambda, as
//! docs/emulator.md describes them. Every test drives the
//! running emulator with real clients: tokio-tungstenite, the official
//! `aws-sdk-apigatewaymanagement` and `aws-sdk-dynamodb` clients, and fixture
//! Lambdas built on `lambda_runtime` running as child processes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

mod authorizer;
mod console;
mod dynamodb;
mod dynamodb_batches;
mod dynamodb_crosscheck;
mod dynamodb_items;
mod dynamodb_reads;
mod dynamodb_refusals;
mod dynamodb_updates;
mod events;
mod handshake;
mod hostile_bounds;
mod hostile_descriptors;
mod hostile_dynamodb;
mod hostile_http;
mod hostile_lambda;
mod hostile_serve;
mod iam;
mod lambda;
mod limits;
mod management;
mod process;
mod raw;
mod robustness;
mod routing;
mod sandbox;
mod session;
