//! Exercise 04: the `$default` Lambda of exercise 03, which sends every message
//! to every stored connection, and should now clean up after clients that left.
//!
//! `$disconnect` is best effort: a connection can close without its id leaving
//! the table (its `onDisconnect` failed, or was not deployed yet). Posting to
//! it then fails with 410 Gone.

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use lambda_runtime::{Error, LambdaEvent, run, service_fn};

async fn on_message(
    event: LambdaEvent<ApiGatewayWebsocketProxyRequest>,
) -> Result<ApiGatewayProxyResponse, Error> {
    let request = event.payload;
    let body = request.body.clone().unwrap_or_default();
    println!("message received: {body}");

    // Exercise 03: send `body` to every stored connection, the sender's included.
    let dynamodb = workshop::dynamodb_client().await;
    let table = workshop::table_name("CONNECTIONS_TABLE")?;
    let connection_ids = workshop::connections::all(&dynamodb, &table).await?;
    let client = workshop::management_client(&request).await;
    for connection_id in &connection_ids {
        // TODO: a post that fails with 410 Gone means the client has left: delete
        // its id from the table (`workshop::connections::delete`) and carry on
        // with the next connection. `workshop::is_gone(&error)` tells a 410 from
        // other errors; those still end the Lambda with an error, as `?` does
        // now. Match on the result instead of using `?`:
        //     match workshop::post_to_connection(…).await {
        //         Ok(()) => …,
        //         Err(error) if workshop::is_gone(&error) => …,
        //         Err(error) => return Err(error.into()),
        //     }
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
