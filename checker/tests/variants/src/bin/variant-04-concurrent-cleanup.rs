//! A correct exercise 04, written differently from the solution: the posts go
//! out concurrently with the SDK's own client calls; a 410 is recognised on the
//! SDK's error type (`PostToConnectionError::is_gone_exception`), each stale id
//! is deleted once every post has finished, and the first other error fails the
//! Lambda after the live connections have had the message.
//! Stack: `04-alternative-concurrent-cleanup.yml`. The check must pass.

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use aws_sdk_apigatewaymanagement::operation::post_to_connection::PostToConnectionError;
use aws_sdk_apigatewaymanagement::primitives::Blob;
use futures_util::future::join_all;
use lambda_runtime::{Error, LambdaEvent, run, service_fn};

async fn on_message(
    event: LambdaEvent<ApiGatewayWebsocketProxyRequest>,
) -> Result<ApiGatewayProxyResponse, Error> {
    let request = event.payload;
    let body = request.body.as_deref().unwrap_or_default();
    let dynamodb = variants::dynamodb_client().await;
    let table = std::env::var("CONNECTIONS_TABLE")?;
    let connection_ids = variants::connections::all(&dynamodb, &table).await?;
    let client = variants::management_client(&request).await;
    let posts = connection_ids.iter().map(|connection_id| {
        let sent = client
            .post_to_connection()
            .connection_id(connection_id)
            .data(Blob::new(body))
            .send();
        async move { (connection_id, sent.await) }
    });
    let mut failure = None;
    for (connection_id, result) in join_all(posts).await {
        let Err(error) = result else { continue };
        if error
            .as_service_error()
            .is_some_and(PostToConnectionError::is_gone_exception)
        {
            println!("variant-04-concurrent-cleanup: {connection_id} is gone");
            variants::connections::delete(&dynamodb, &table, connection_id).await?;
        } else {
            failure.get_or_insert(error);
        }
    }
    if let Some(error) = failure {
        return Err(error.into());
    }
    let mut response = ApiGatewayProxyResponse::default();
    response.status_code = 200;
    Ok(response)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    run(service_fn(on_message)).await
}
