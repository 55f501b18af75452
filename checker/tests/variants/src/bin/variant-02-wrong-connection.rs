//! A broken exercise 02 that a one-client check cannot catch: the `$default`
//! Lambda remembers the first connection id it ever saw and echoes every message
//! there. With two clients (the first one sending first), the second client's
//! messages reach the first client and the second gets nothing.
//! The id lives in the process, so this holds while one warm process serves the
//! messages one after the other. Stack: `02-wrong-connection.yml`. The check must fail.

use std::sync::OnceLock;

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use lambda_runtime::{Error, LambdaEvent, run, service_fn};

/// The connection of the first message this process handled.
static FIRST_CONNECTION: OnceLock<String> = OnceLock::new();

async fn on_message(
    event: LambdaEvent<ApiGatewayWebsocketProxyRequest>,
) -> Result<ApiGatewayProxyResponse, Error> {
    let request = event.payload;
    let Some(sender) = variants::connection_id(&request) else {
        return Err("the event has no connection id".into());
    };
    let target = FIRST_CONNECTION.get_or_init(|| sender.to_owned());
    println!("variant-02-wrong-connection: message from {sender}, echoing to {target}");
    let client = variants::management_client(&request).await;
    let body = request.body.clone().unwrap_or_default();
    variants::post_to_connection(&client, target, body).await?;
    let mut response = ApiGatewayProxyResponse::default();
    response.status_code = 200;
    Ok(response)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    run(service_fn(on_message)).await
}
