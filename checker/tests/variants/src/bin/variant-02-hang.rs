//! A broken exercise 02: the `$default` Lambda never returns, so every message
//! runs into the function's timeout (2 s in `02-hang.yml`) and the client gets
//! `{"message": "Internal server error", …}`. Stack: `02-hang.yml`. The check must fail.

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use lambda_runtime::{Error, LambdaEvent, run, service_fn};

async fn on_message(
    event: LambdaEvent<ApiGatewayWebsocketProxyRequest>,
) -> Result<ApiGatewayProxyResponse, Error> {
    let body = event.payload.body.unwrap_or_default();
    println!("variant-02-hang: received {body:?}, never answering");
    std::future::pending().await
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    run(service_fn(on_message)).await
}
