//! A broken exercise 02: the `$default` Lambda panics on every message, so the
//! client gets `{"message": "Internal server error", …}` frames and no echo.
//! Stack: `02-panic.yml`. The check must fail.

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use lambda_runtime::{Error, LambdaEvent, run, service_fn};

async fn on_message(
    event: LambdaEvent<ApiGatewayWebsocketProxyRequest>,
) -> Result<ApiGatewayProxyResponse, Error> {
    let body = event.payload.body.unwrap_or_default();
    panic!("variant-02-panic: onMessage panics on every message (this one: {body:?})");
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    run(service_fn(on_message)).await
}
