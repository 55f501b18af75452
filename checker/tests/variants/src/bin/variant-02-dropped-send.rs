//! A broken exercise 02: the echo's request is built and its `send()` called,
//! but the future it returns is dropped with `let _ =`, which also silences
//! the compiler's "futures do nothing unless you `.await`". Nothing is
//! posted. Stack: `02-dropped-send.yml`. The check must fail and name the line.

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use variants::management::primitives::Blob;

async fn on_message(
    event: LambdaEvent<ApiGatewayWebsocketProxyRequest>,
) -> Result<ApiGatewayProxyResponse, Error> {
    let request = event.payload;
    let Some(connection_id) = variants::connection_id(&request) else {
        return Err("the event has no connection id".into());
    };
    let body = request.body.clone().unwrap_or_default();
    let client = variants::management_client(&request).await;
    // The mistake, which clippy's `let_underscore_future` names (allowed here
    // so that the workspace's lints pass): the post is never sent.
    #[allow(clippy::let_underscore_future)]
    let _ = client
        .post_to_connection()
        .connection_id(connection_id)
        .data(Blob::new(body))
        .send();
    let mut response = ApiGatewayProxyResponse::default();
    response.status_code = 200;
    Ok(response)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    run(service_fn(on_message)).await
}
