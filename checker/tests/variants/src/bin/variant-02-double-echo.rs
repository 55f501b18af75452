//! A broken exercise 02: the `$default` Lambda echoes every message twice, so
//! the client receives each message two times. Stack: `02-double-echo.yml`.
//! The check must fail.

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use lambda_runtime::{Error, LambdaEvent, run, service_fn};

async fn on_message(
    event: LambdaEvent<ApiGatewayWebsocketProxyRequest>,
) -> Result<ApiGatewayProxyResponse, Error> {
    let request = event.payload;
    let Some(connection_id) = variants::connection_id(&request) else {
        return Err("the event has no connection id".into());
    };
    let client = variants::management_client(&request).await;
    let body = request.body.clone().unwrap_or_default();
    for _ in 0..2 {
        variants::post_to_connection(&client, connection_id, body.clone()).await?;
    }
    let mut response = ApiGatewayProxyResponse::default();
    response.status_code = 200;
    Ok(response)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    run(service_fn(on_message)).await
}
