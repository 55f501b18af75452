//! A correct exercise 01, written differently from the solution: the `$connect`
//! Lambda answers 204 (any 2xx accepts the handshake) and builds its response
//! as a `serde_json::Value` rather than an `ApiGatewayProxyResponse`.
//! Stack: `01-alternative.yml`. The check must pass.

use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use serde_json::{Value, json};

async fn on_connect(event: LambdaEvent<Value>) -> Result<Value, Error> {
    let connection_id = &event.payload["requestContext"]["connectionId"];
    println!("accepting {connection_id} with 204");
    Ok(json!({ "statusCode": 204 }))
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    run(service_fn(on_connect)).await
}
