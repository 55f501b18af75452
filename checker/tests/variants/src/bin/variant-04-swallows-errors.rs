//! A broken exercise 04 that a check where every AWS call behaves cannot catch:
//! the `$default` Lambda deletes stale ids on 410 Gone like the solution, but
//! swallows every other failure. A post that fails otherwise (403, 413, 429,
//! 500, a refused connection) and a table call that fails (the Scan, the
//! DeleteItem, a missing table name) are printed and forgotten, and the Lambda
//! returns 200: the sender never gets `{"message": "Internal server error", …}`
//! and nothing says the broadcast did not go out. A check sees it by making a
//! call fail: the connections table unavailable during a message, say.
//! Stack: `04-swallows-errors.yml`. The check must fail.

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use lambda_runtime::{Error, LambdaEvent, run, service_fn};

async fn on_message(
    event: LambdaEvent<ApiGatewayWebsocketProxyRequest>,
) -> Result<ApiGatewayProxyResponse, Error> {
    let request = event.payload;
    let body = request.body.clone().unwrap_or_default();
    let dynamodb = variants::dynamodb_client().await;
    let table = variants::table_name("CONNECTIONS_TABLE").unwrap_or_default();
    let connection_ids = variants::connections::all(&dynamodb, &table)
        .await
        .unwrap_or_else(|error| {
            println!("variant-04-swallows-errors: ignoring the Scan's error: {error}");
            Vec::new()
        });
    let client = variants::management_client(&request).await;
    for connection_id in &connection_ids {
        let Err(error) = variants::post_to_connection(&client, connection_id, body.as_str()).await
        else {
            continue;
        };
        if !variants::is_gone(&error) {
            println!("variant-04-swallows-errors: ignoring {connection_id}'s error: {error}");
        } else if let Err(error) =
            variants::connections::delete(&dynamodb, &table, connection_id).await
        {
            println!("variant-04-swallows-errors: ignoring the DeleteItem's error: {error}");
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
