//! The workshop's predefined helpers, ready to use: you need not change them.
//!
//! Each Lambda of this crate (a binary in src/) says `mod helpers;` and calls
//! what it needs from here, as `helpers::management_client(&request)`.
// Each binary uses only some of these; the rest are unused there.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};

use aws_config::SdkConfig;
use aws_lambda_events::apigw::ApiGatewayWebsocketProxyRequest;
use aws_sdk_apigatewaymanagement::config;
use lambda_runtime::Error;
use tokio::sync::OnceCell;
/// The AWS configuration of the Lambda's environment (region, credentials),
/// loaded at the first call and kept for the life of the process: later
/// invocations reuse it, as AWS advises for whatever a Lambda can set up once.
pub async fn aws_config() -> &'static SdkConfig {
    static CONFIG: OnceCell<SdkConfig> = OnceCell::const_new();
    CONFIG.get_or_init(aws_config::load_from_env).await
}

/// A client for the management API (`@connections`) of the WebSocket API that
/// sent `request`: the API through which a Lambda sends data to its connections.
///
/// That API lives at the WebSocket API's own address, `https://{domainName}/{stage}`,
/// which the event's request context gives. The client is made at the first
/// call for that address and kept for the process: it keeps its connections
/// open, so later invocations skip the connection setup.
pub async fn management_client(
    request: &ApiGatewayWebsocketProxyRequest,
) -> Result<aws_sdk_apigatewaymanagement::Client, Error> {
    static CLIENTS: Mutex<BTreeMap<String, aws_sdk_apigatewaymanagement::Client>> =
        Mutex::new(BTreeMap::new());
    let context = &request.request_context;
    let (Some(domain), Some(stage)) = (&context.domain_name, &context.stage) else {
        return Err("the event has no domainName or stage in its request context".into());
    };
    let endpoint = format!("https://{domain}/{stage}");
    let config = aws_config().await;
    // Only a lookup or an insert happens under the lock: a panic cannot leave it half done.
    let mut clients = CLIENTS.lock().unwrap_or_else(PoisonError::into_inner);
    let client = clients.entry(endpoint).or_insert_with_key(|endpoint| {
        let config = config::Builder::from(config).endpoint_url(endpoint).build();
        aws_sdk_apigatewaymanagement::Client::from_conf(config)
    });
    Ok(client.clone())
}
