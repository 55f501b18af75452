//! Exercise 04: the `$disconnect` Lambda, which should forget the connection.
//!
//! API Gateway calls this function after a connection has closed, whoever
//! closed it (the client, a timeout, `DeleteConnection`), so the connection can
//! no longer receive anything. What the function returns is ignored.

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use lambda_runtime::{Error, LambdaEvent, run, service_fn};

async fn on_disconnect(
    event: LambdaEvent<ApiGatewayWebsocketProxyRequest>,
) -> Result<ApiGatewayProxyResponse, Error> {
    let Some(connection_id) = workshop::connection_id(&event.payload) else {
        return Err("the event has no connection id in its request context".into());
    };
    println!("disconnected: {connection_id}");

    // TODO: delete `connection_id` from the connections table, so that
    // broadcasts stop sending to it: `workshop::connections::delete` (DeleteItem),
    // with the client and table name that on-connect.rs uses, awaited with `?`.

    let mut response = ApiGatewayProxyResponse::default();
    response.status_code = 200;
    Ok(response)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    run(service_fn(on_disconnect)).await
}
