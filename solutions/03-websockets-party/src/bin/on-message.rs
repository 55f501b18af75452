//! Exercise 03: the `$default` Lambda, which sends every message to every
//! connected client.
//!
//! `onConnect` stores the id of each connection in the connections table, so
//! the ids of everyone to send to are in that table.

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use lambda_runtime::{Error, LambdaEvent, run, service_fn};

async fn on_message(
    event: LambdaEvent<ApiGatewayWebsocketProxyRequest>,
) -> Result<ApiGatewayProxyResponse, Error> {
    let request = event.payload;
    let body = request.body.clone().unwrap_or_default();
    println!("message received: {body}");

    // The TODO was: send `body` to every stored connection, the sender's included.
    // 1. A DynamoDB client and the table's name, as in on-connect.rs.
    let dynamodb = workshop::dynamodb_client().await;
    let table = workshop::table_name("CONNECTIONS_TABLE")?;
    // 2. Every stored id (Scan).
    let connection_ids = workshop::connections::all(&dynamodb, &table).await?;
    // 3. PostToConnection to each, one after the other. A client that left
    //    makes its post fail with 410 Gone, and `?` ends the broadcast there:
    //    exercise 04 deals with that.
    let client = workshop::management_client(&request).await;
    for connection_id in &connection_ids {
        workshop::post_to_connection(&client, connection_id, body.as_str()).await?;
    }
    println!("sent to {} connections", connection_ids.len());

    let mut response = ApiGatewayProxyResponse::default();
    response.status_code = 200;
    Ok(response)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    run(service_fn(on_message)).await
}
