//! What the variants share: the management client for the API that sent an
//! event ([`management`]) and the DynamoDB tables of exercises 03 to 05
//! ([`connections`], [`chats`]), as small functions over the SDK.

pub mod chats;
pub mod connections;
pub mod management;

use aws_lambda_events::apigw::ApiGatewayWebsocketProxyRequest;

/// The DynamoDB SDK, for calls the helpers do not make.
pub use aws_sdk_dynamodb as dynamodb;
pub use management::{is_gone, management_client, management_endpoint, post_to_connection};

/// The id of the connection that sent `event`.
pub fn connection_id(event: &ApiGatewayWebsocketProxyRequest) -> Option<&str> {
    event.request_context.connection_id.as_deref()
}

/// A DynamoDB client, configured from the Lambda environment.
///
/// On AWS it reaches the region's DynamoDB; the checker sets
/// `AWS_ENDPOINT_URL_DYNAMODB` so that it reaches the emulator's tables.
pub async fn dynamodb_client() -> dynamodb::Client {
    static CLIENT: tokio::sync::OnceCell<dynamodb::Client> = tokio::sync::OnceCell::const_new();
    CLIENT
        .get_or_init(|| async { dynamodb::Client::new(shared_config().await) })
        .await
        .clone()
}

/// The AWS configuration from the Lambda environment (region, credentials,
/// `AWS_ENDPOINT_URL_*`), loaded once per process: loading it is the slow part
/// of making a client, and AWS advises doing it outside the handler.
pub async fn shared_config() -> &'static aws_config::SdkConfig {
    static CONFIG: tokio::sync::OnceCell<aws_config::SdkConfig> =
        tokio::sync::OnceCell::const_new();
    CONFIG.get_or_init(aws_config::load_from_env).await
}

/// The table name in the environment variable `variable`, which `serverless.yml`
/// sets under `provider.environment` (e.g. `CONNECTIONS_TABLE: !Ref ConnectionsTable`).
pub fn table_name(variable: &str) -> Result<String, String> {
    std::env::var(variable).map_err(|_| {
        format!(
            "the environment variable {variable} is not set: give it the table's name under \
             `provider.environment` in serverless.yml"
        )
    })
}
