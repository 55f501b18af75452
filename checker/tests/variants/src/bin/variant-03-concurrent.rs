//! A correct exercise 03, written differently from the solution: the DynamoDB
//! client and the table's name are made once per Lambda process, in `main`, and
//! borrowed by every invocation; the posts go out concurrently (`join_all`)
//! instead of one after the other; the stack passes the table's name as a
//! `${…}` string rather than `!Ref`. Stack: `03-alternative-concurrent.yml`.
//! The check must pass.

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use futures_util::future::join_all;
use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use variants::dynamodb::Client;

async fn on_message(
    dynamodb: &Client,
    table: &str,
    event: LambdaEvent<ApiGatewayWebsocketProxyRequest>,
) -> Result<ApiGatewayProxyResponse, Error> {
    let request = event.payload;
    let body = request.body.clone().unwrap_or_default();
    let connection_ids = variants::connections::all(dynamodb, table).await?;
    let client = variants::management_client(&request).await;
    let posts = connection_ids
        .iter()
        .map(|connection_id| variants::post_to_connection(&client, connection_id, body.as_str()));
    for result in join_all(posts).await {
        result?;
    }
    let mut response = ApiGatewayProxyResponse::default();
    response.status_code = 200;
    Ok(response)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let dynamodb = variants::dynamodb_client().await;
    let table = variants::table_name("CONNECTIONS_TABLE")?;
    run(service_fn(|event| on_message(&dynamodb, &table, event))).await
}
