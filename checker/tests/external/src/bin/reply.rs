//! Replies to every message on a two-way route.

use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use serde_json::{Value, json};

async fn handler(event: LambdaEvent<Value>) -> Result<Value, Error> {
    let body = event.payload["body"].as_str().unwrap_or_default();
    println!("replying to {body}");
    Ok(json!({ "statusCode": 200, "body": format!("you said: {body}") }))
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    run(service_fn(handler)).await
}
