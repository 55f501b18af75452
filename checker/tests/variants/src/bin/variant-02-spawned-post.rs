//! A broken exercise 02: the echo is posted from a task the handler spawns and
//! does not wait for, so the handler returns before the post is made. Lambda
//! freezes the process once the runtime asks for the next event: the post is
//! made late, when a later invocation thaws the process, or never. Stack:
//! `02-spawned-post.yml`. The check must fail and say to await the post.

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use lambda_runtime::{Error, LambdaEvent, run, service_fn};

async fn on_message(
    event: LambdaEvent<ApiGatewayWebsocketProxyRequest>,
) -> Result<ApiGatewayProxyResponse, Error> {
    let request = event.payload;
    let Some(connection_id) = variants::connection_id(&request).map(str::to_owned) else {
        return Err("the event has no connection id".into());
    };
    let body = request.body.clone().unwrap_or_default();
    // The mistake: fire and forget. Nothing waits for this task.
    tokio::spawn(async move {
        let client = variants::management_client(&request).await;
        if let Err(error) = variants::post_to_connection(&client, &connection_id, body).await {
            eprintln!("the echo failed: {error}");
        }
    });
    let mut response = ApiGatewayProxyResponse::default();
    response.status_code = 200;
    Ok(response)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    run(service_fn(on_message)).await
}
