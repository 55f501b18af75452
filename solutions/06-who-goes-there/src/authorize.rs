//! Exercise 06: the `$connect` route's Lambda authorizer. API Gateway invokes
//! it with the handshake before `$connect` runs: a policy that allows
//! `execute-api:Invoke` on the event's `methodArn` lets the client in, with
//! the `context` and `principalId` in `requestContext.authorizer` of every
//! event of that connection; a policy that denies refuses the handshake (403).
//!
//! The client sends its token in the query string: `wss://…/dev?token=alice-secret`.

mod helpers;

use aws_lambda_events::apigw::ApiGatewayCustomAuthorizerRequestTypeRequest;
use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use serde_json::{Value, json};

/// An IAM policy for the connection: `effect` ("Allow" or "Deny") on `method_arn`.
fn policy(effect: &str, method_arn: &str) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Action": "execute-api:Invoke",
            "Effect": effect,
            "Resource": method_arn,
        }],
    })
}

async fn authorize(
    event: LambdaEvent<ApiGatewayCustomAuthorizerRequestTypeRequest>,
) -> Result<Value, Error> {
    let request = event.payload;
    let method_arn = request.method_arn.unwrap_or_default();
    // API Gateway invokes the authorizer only when the identity source
    // (`route.request.querystring.token`) is there: no token, 401 at once.
    let token = request
        .query_string_parameters
        .first("token")
        .unwrap_or_default();

    // The TODO was: allow the users' tokens, with the name in the context,
    // and deny any other.
    let Some(name) = helpers::user_for_token(token) else {
        println!("refused an unknown token");
        return Ok(json!({
            "principalId": "anonymous",
            "policyDocument": policy("Deny", &method_arn),
        }));
    };
    println!("{name} is let in");
    Ok(json!({
        "principalId": name,
        "policyDocument": policy("Allow", &method_arn),
        "context": { "name": name },
    }))
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    run(service_fn(authorize)).await
}
