//! A broken exercise 02: the management client comes from
//! `aws_config::load_from_env()` alone, with no endpoint taken from the event.
//! On AWS the SDK then posts to the regional endpoint, which knows no API, and
//! every post fails with 403 ForbiddenException. Stack: `02-env-client.yml`.
//! The check must fail.

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use aws_sdk_apigatewaymanagement::primitives::Blob;
use lambda_runtime::{Error, LambdaEvent, run, service_fn};

async fn on_message(
    event: LambdaEvent<ApiGatewayWebsocketProxyRequest>,
) -> Result<ApiGatewayProxyResponse, Error> {
    let request = event.payload;
    let connection_id = request
        .request_context
        .connection_id
        .ok_or("the event has no connection id")?;
    let config = aws_config::load_from_env().await;
    let client = aws_sdk_apigatewaymanagement::Client::new(&config);
    client
        .post_to_connection()
        .connection_id(connection_id)
        .data(Blob::new(request.body.unwrap_or_default()))
        .send()
        .await?;
    let mut response = ApiGatewayProxyResponse::default();
    response.status_code = 200;
    Ok(response)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    run(service_fn(on_message)).await
}
