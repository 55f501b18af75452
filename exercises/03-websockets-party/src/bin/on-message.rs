//! Exercise 03: the `$default` Lambda, which should send every message to every
//! connected client.
//!
//! For now it is exercise 02's echo: the message goes back to its sender only.
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

    // TODO: send `body` to every stored connection, the sender's included,
    // instead of echoing it to the sender alone.
    // 1. A DynamoDB client, `workshop::dynamodb_client().await`, and the table's
    //    name, `workshop::table_name("CONNECTIONS_TABLE")?` (on-connect.rs does the same).
    // 2. Every stored id: `workshop::connections::all(&dynamodb, &table).await?` (a Scan).
    // 3. Post `body` to each id with `workshop::post_to_connection`, awaiting each
    //    call and letting `?` turn a failure into a Lambda error.
    // A post fails with 410 Gone when its client has left: nothing removes ids
    // from the table yet, so once someone leaves, broadcasts fail. That is
    // exercise 04.
    let Some(connection_id) = workshop::connection_id(&request) else {
        return Err("the event has no connection id in its request context".into());
    };
    let client = workshop::management_client(&request).await;
    workshop::post_to_connection(&client, connection_id, body).await?;

    let mut response = ApiGatewayProxyResponse::default();
    response.status_code = 200;
    Ok(response)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    run(service_fn(on_message)).await
}
