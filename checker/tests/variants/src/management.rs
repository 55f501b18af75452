//! The `@connections` management API, which sends data to a connection, and
//! its SDK (`variants::management::Client`, `::Error`, `::primitives::Blob`…).

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use aws_lambda_events::apigw::ApiGatewayWebsocketProxyRequest;
use aws_sdk_apigatewaymanagement::error::ProvideErrorMetadata;
use aws_sdk_apigatewaymanagement::primitives::Blob;
pub use aws_sdk_apigatewaymanagement::*;

/// The `@connections` endpoint of the API that sent `event`: `https://{domainName}/{stage}`.
///
/// This is the URL AWS documents; the checker's emulator answers on it too.
pub fn management_endpoint(event: &ApiGatewayWebsocketProxyRequest) -> Option<String> {
    let context = &event.request_context;
    let domain = context.domain_name.as_deref()?;
    let stage = context.stage.as_deref()?;
    Some(format!("https://{domain}/{stage}"))
}

/// A management API client that can post to the connections of the API that sent `event`.
///
/// Region and credentials come from the Lambda environment, as on AWS. The
/// client is made once per endpoint and reused by later invocations of the
/// same process, as AWS advises: it keeps its connections open.
pub async fn management_client(event: &ApiGatewayWebsocketProxyRequest) -> Client {
    static CLIENTS: Mutex<BTreeMap<Option<String>, Client>> = Mutex::new(BTreeMap::new());
    let endpoint = management_endpoint(event);
    let cached = clients(&CLIENTS).get(&endpoint).cloned();
    if let Some(client) = cached {
        return client;
    }
    let mut builder = config::Builder::from(crate::shared_config().await);
    if let Some(endpoint) = &endpoint {
        builder = builder.endpoint_url(endpoint);
    }
    let client = Client::from_conf(builder.build());
    clients(&CLIENTS).insert(endpoint, client.clone());
    client
}

fn clients(
    cache: &Mutex<BTreeMap<Option<String>, Client>>,
) -> MutexGuard<'_, BTreeMap<Option<String>, Client>> {
    // Only inserts and clones happen under the lock: poisoning cannot break it.
    cache.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Sends `text` as one text frame to `connection_id` (PostToConnection).
pub async fn post_to_connection(
    client: &Client,
    connection_id: &str,
    text: impl Into<Vec<u8>>,
) -> Result<(), Error> {
    client
        .post_to_connection()
        .connection_id(connection_id)
        .data(Blob::new(text))
        .send()
        .await?;
    Ok(())
}

/// Whether a management API call failed with 410 `GoneException`: the
/// connection is closed (the client left), so there is no one to send to.
///
/// Takes the error of [`post_to_connection`] as well as the SDK's own
/// (`SdkError<PostToConnectionError>`).
pub fn is_gone(error: &impl ProvideErrorMetadata) -> bool {
    error.code() == Some("GoneException")
}
