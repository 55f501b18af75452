//! A broken exercise 05: the `ping` Lambda returns {"event":"pong"} as its
//! response's body instead of posting it to the connection. `ping` is a one-way
//! route (no `routeResponseSelectionExpression`), so API Gateway drops the body
//! and the client gets nothing back. The other functions are the solution's.
//! Stack: `05-no-pong.yml`. The check must fail.

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use aws_lambda_events::encodings::Body;
use lambda_runtime::{Error, LambdaEvent, run, service_fn};

async fn ping(
    event: LambdaEvent<ApiGatewayWebsocketProxyRequest>,
) -> Result<ApiGatewayProxyResponse, Error> {
    let connection_id = variants::connection_id(&event.payload).unwrap_or_default();
    println!("variant-05-no-pong: ping from {connection_id}, answering in the response");
    let mut response = ApiGatewayProxyResponse::default();
    response.status_code = 200;
    response.body = Some(Body::Text(r#"{"event":"pong"}"#.to_owned()));
    Ok(response)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    run(service_fn(ping)).await
}
