//! The workshop app: accepts connections and echoes every message back to its sender.
//! One binary serves all three routes, picked by the event's route key.

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use lambda_runtime::{Error, LambdaEvent, run, service_fn};

async fn handler(
    event: LambdaEvent<ApiGatewayWebsocketProxyRequest>,
) -> Result<ApiGatewayProxyResponse, Error> {
    let request = event.payload;
    let route = request
        .request_context
        .route_key
        .as_deref()
        .unwrap_or_default();
    let connection_id = workshop::connection_id(&request).unwrap_or_default();
    match route {
        "$connect" => println!("connected: {connection_id}"),
        "$disconnect" => println!("disconnected: {connection_id}"),
        _ => {
            let client = workshop::management_client(&request).await;
            let body = request.body.clone().unwrap_or_default();
            workshop::post_to_connection(&client, connection_id, body).await?;
        }
    }
    let mut response = ApiGatewayProxyResponse::default();
    response.status_code = 200;
    Ok(response)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    run(service_fn(handler)).await
}
