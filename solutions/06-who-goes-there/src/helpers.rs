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

/// A DynamoDB client, made at the first call and kept for the process.
///
/// On AWS it reaches the region's DynamoDB; the checker points it at its own
/// local tables (`AWS_ENDPOINT_URL_DYNAMODB`), so the same code runs in both.
pub async fn dynamodb_client() -> &'static aws_sdk_dynamodb::Client {
    static CLIENT: OnceCell<aws_sdk_dynamodb::Client> = OnceCell::const_new();
    CLIENT
        .get_or_init(|| async { aws_sdk_dynamodb::Client::new(aws_config().await) })
        .await
}

/// The name of the table in the environment variable `variable`, which
/// serverless.yml sets under `provider.environment`.
fn table_name(variable: &str) -> Result<String, Error> {
    std::env::var(variable).map_err(|_| {
        format!(
            "the environment variable {variable} is not set: give it the table's name under \
             `provider.environment` in serverless.yml"
        )
        .into()
    })
}

/// The chats table's name (`CHATS_TABLE`). One item per connection in a chat:
/// partition key `ChatId`, sort key `ConnectionId`, and `ParticipantId`, all
/// strings; the global secondary index `ConnectionIdIndex` is keyed by
/// `ConnectionId`, to find a connection's chats.
pub fn chats_table() -> Result<String, Error> {
    table_name("CHATS_TABLE")
}

/// The workshop's users: each token and the name it proves. A stand-in for a
/// real identity provider (Cognito, an OAuth server), which would check a
/// signed token instead of looking it up.
const USERS: [(&str, &str); 3] = [
    ("alice-secret", "Alice"),
    ("bob-secret", "Bob"),
    ("carol-secret", "Carol"),
];

/// The name `token` proves, if it is one of the workshop's users' tokens.
pub fn user_for_token(token: &str) -> Option<&'static str> {
    USERS
        .iter()
        .find(|(known, _)| *known == token)
        .map(|(_, name)| *name)
}

/// The name the `$connect` authorizer put in the connection's context
/// (`requestContext.authorizer.name`), which every route's event carries.
pub fn authorized_name(request: &ApiGatewayWebsocketProxyRequest) -> Option<&str> {
    request
        .request_context
        .authorizer
        .fields
        .get("name")?
        .as_str()
}
