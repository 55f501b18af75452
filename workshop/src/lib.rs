//! Helpers shared by the workshop's Lambdas, like the original workshop's
//! predefined `initApiGatewayManagementApi`.

use aws_lambda_events::apigw::ApiGatewayWebsocketProxyRequest;
use aws_sdk_apigatewaymanagement::Client;
use aws_sdk_apigatewaymanagement::primitives::Blob;

pub use aws_sdk_apigatewaymanagement as management;

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
/// Region and credentials come from the Lambda environment, as on AWS.
pub async fn management_client(event: &ApiGatewayWebsocketProxyRequest) -> Client {
    let config = aws_config::load_from_env().await;
    let mut builder = aws_sdk_apigatewaymanagement::config::Builder::from(&config);
    if let Some(endpoint) = management_endpoint(event) {
        builder = builder.endpoint_url(endpoint);
    }
    Client::from_conf(builder.build())
}

/// The id of the connection that sent `event`.
pub fn connection_id(event: &ApiGatewayWebsocketProxyRequest) -> Option<&str> {
    event.request_context.connection_id.as_deref()
}

/// Sends `text` as one text frame to `connection_id`.
pub async fn post_to_connection(
    client: &Client,
    connection_id: &str,
    text: impl Into<Vec<u8>>,
) -> Result<(), management::Error> {
    client
        .post_to_connection()
        .connection_id(connection_id)
        .data(Blob::new(text))
        .send()
        .await?;
    Ok(())
}
