//! A broken exercise 04: the `$default` Lambda skips a connection whose post
//! fails with 410 Gone, so the message still reaches everyone else, but never
//! deletes its id: a stale id (one `$disconnect` did not remove) stays in the
//! table, and every later broadcast posts to it again and meets 410 again.
//! `onDisconnect` is the solution's, so stale ids only exist where a check puts
//! them: an item in the connections table with no open connection.
//! Stack: `04-no-410-cleanup.yml`. The check must fail.

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use lambda_runtime::{Error, LambdaEvent, run, service_fn};

async fn on_message(
    event: LambdaEvent<ApiGatewayWebsocketProxyRequest>,
) -> Result<ApiGatewayProxyResponse, Error> {
    let request = event.payload;
    let body = request.body.clone().unwrap_or_default();
    let dynamodb = variants::dynamodb_client().await;
    let table = variants::table_name("CONNECTIONS_TABLE")?;
    let connection_ids = variants::connections::all(&dynamodb, &table).await?;
    let client = variants::management_client(&request).await;
    for connection_id in &connection_ids {
        match variants::post_to_connection(&client, connection_id, body.as_str()).await {
            Ok(()) => {}
            Err(error) if variants::is_gone(&error) => {
                println!("variant-04-no-410-cleanup: {connection_id} is gone, keeping it");
            }
            Err(error) => return Err(error.into()),
        }
    }
    let mut response = ApiGatewayProxyResponse::default();
    response.status_code = 200;
    Ok(response)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    run(service_fn(on_message)).await
}
