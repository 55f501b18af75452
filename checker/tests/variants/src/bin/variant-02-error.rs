//! A broken exercise 02: the `$default` Lambda returns an error for every
//! message, so the client gets `{"message": "Internal server error", …}`.
//! Stack: `02-error.yml`. The check must fail.

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use lambda_runtime::{Error, LambdaEvent, run, service_fn};

async fn on_message(
    event: LambdaEvent<ApiGatewayWebsocketProxyRequest>,
) -> Result<ApiGatewayProxyResponse, Error> {
    let body = event.payload.body.unwrap_or_default();
    Err(format!("variant-02-error: onMessage fails on every message (this one: {body:?})").into())
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    run(service_fn(on_message)).await
}
