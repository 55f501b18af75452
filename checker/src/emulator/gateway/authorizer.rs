//! `$connect`'s Lambda REQUEST authorizer, a step of the handshake, as API
//! Gateway runs it: the identity sources are read first (one missing or
//! empty: 401, the function is not invoked); the function gets the
//! handshake and `methodArn`; its answer is read as API Gateway reads it. A
//! policy that allows `execute-api:Invoke` on `methodArn` lets the handshake
//! go on to `$connect`, and the principal and context travel with the
//! connection (`requestContext.authorizer` of all its routes); a policy that
//! does not gives 403; the error "Unauthorized" 401; any other failure, or
//! an answer API Gateway cannot use, 500. Nothing is cached: API Gateway
//! caches no WebSocket authorizer's result, every handshake invokes it.

use std::time::Instant;

use hyper::StatusCode;
use serde_json::{Map, Value, json};

use super::api::{ConnectAuthorizer, WebSocketApi};
use super::invoke::{Call, invoke_payload};
use super::lambda_event::{self, Handshake};
use crate::emulator::connections::Connection;
use crate::emulator::events::Event;
use crate::emulator::ids;
use crate::emulator::invoke_error::InvokeError;
use crate::stack::{ACCOUNT_ID, IdentitySource, action_matches, resource_matches};

/// API Gateway's quota on a WebSocket authorizer's result.
const MAX_RESULT_BYTES: usize = 8 * 1024;

/// The action an authorizer's policy must allow.
const INVOKE: &str = "execute-api:Invoke";

/// Runs the authorizer for the handshake `request_id`: `Ok` when it allows
/// the connection (whose authorizer context is then set), else the status
/// the handshake is refused with, reported as [`Event::AuthorizerRefused`].
pub(super) async fn authorize(
    api: &WebSocketApi,
    connection: &Connection,
    authorizer: &ConnectAuthorizer,
    request_id: &str,
    handshake: &Handshake<'_>,
) -> Result<(), StatusCode> {
    let function = authorizer.function.name();
    let refuse = |status: StatusCode, reason: String| {
        api.events.emit(Event::AuthorizerRefused {
            function: function.to_owned(),
            connection_id: connection.id.clone(),
            request_id: request_id.to_owned(),
            status: status.as_u16(),
            reason,
        });
        status
    };
    if let Some(missing) = authorizer
        .identity_sources
        .iter()
        .find(|source| !present(source, handshake))
    {
        return Err(refuse(
            StatusCode::UNAUTHORIZED,
            missing_identity(function, missing),
        ));
    }
    let method_arn = method_arn(api);
    let event =
        lambda_event::authorizer_request(api, connection, request_id, &method_arn, handshake);
    let invocation_id = ids::request_id();
    let call = Call {
        route_key: "$connect",
        connection_id: &connection.id,
        request_id: &invocation_id,
        authorizes: Some(request_id),
    };
    let started = Instant::now();
    let outcome = invoke_payload(&api.events, &authorizer.function, call, event.to_string()).await;
    let latency = started.elapsed().as_millis();
    match decide(outcome, &method_arn) {
        Ok(mut allowed) => {
            allowed.insert("integrationLatency".to_owned(), json!(latency));
            connection.authorize(Value::Object(allowed));
            Ok(())
        }
        Err((status, why)) => Err(refuse(
            status,
            format!("the $connect authorizer {function} {why}"),
        )),
    }
}

/// `arn:aws:execute-api:{region}:{account}:{api}/{stage}/$connect`.
fn method_arn(api: &WebSocketApi) -> String {
    format!(
        "arn:aws:execute-api:{}:{ACCOUNT_ID}:{}/{}/$connect",
        api.region, api.api_id, api.stage
    )
}

/// Whether the handshake carries `source`, not empty.
fn present(source: &IdentitySource, handshake: &Handshake<'_>) -> bool {
    match source {
        IdentitySource::Header(name) => handshake
            .headers
            .get_all(name.as_str())
            .iter()
            .any(|value| !value.as_bytes().trim_ascii().is_empty()),
        IdentitySource::QueryString(name) => handshake.query.is_some_and(|query| {
            form_urlencoded::parse(query.as_bytes())
                .any(|(key, value)| key == name.as_str() && !value.is_empty())
        }),
    }
}

fn missing_identity(function: &str, source: &IdentitySource) -> String {
    let how = match source {
        IdentitySource::Header(name) => format!("send the header `{name}` with the handshake"),
        IdentitySource::QueryString(name) => {
            format!("connect with `?{name}=…` at the end of the URL")
        }
    };
    format!(
        "the handshake has no {} (or it is empty), where the $connect authorizer {function} \
         reads the identity (`identitySource: {source}`): API Gateway answers 401 without \
         invoking it; {how}",
        source.describe()
    )
}

/// What an authorizer's outcome makes of the handshake: the connection's
/// `requestContext.authorizer` (its `principalId` and context, without
/// `integrationLatency`), or the status and why, to follow "the authorizer X".
fn decide(
    outcome: Result<String, InvokeError>,
    method_arn: &str,
) -> Result<Map<String, Value>, (StatusCode, String)> {
    let failed = |why: String| (StatusCode::INTERNAL_SERVER_ERROR, why);
    let unusable = |Unusable(why)| failed(why);
    let body = match outcome {
        Ok(body) => body,
        Err(InvokeError::Function { message, .. }) if message == "Unauthorized" => {
            return Err((
                StatusCode::UNAUTHORIZED,
                "failed with the error \"Unauthorized\", which API Gateway answers with 401"
                    .to_owned(),
            ));
        }
        Err(error) => {
            return Err(failed(format!(
                "failed ({error}): API Gateway answers 500 when the authorizer fails; to refuse \
                 a client, return a policy that denies it (403) or the error \"Unauthorized\" (401)"
            )));
        }
    };
    if body.len() > MAX_RESULT_BYTES {
        return Err(failed(format!(
            "answered {} bytes, over API Gateway's 8 KB quota on an authorizer's result, \
             which it answers with 500",
            body.len()
        )));
    }
    let answer: Value = serde_json::from_str(&body).map_err(|error| {
        failed(format!(
            "answered what is not JSON ({error}): API Gateway answers 500"
        ))
    })?;
    let Value::Object(answer) = answer else {
        return Err(failed(format!(
            "answered {answer}, not an object with `principalId`, `policyDocument` and \
             `context`: API Gateway answers 500"
        )));
    };
    let principal_id = match answer.get("principalId") {
        Some(Value::String(principal)) => principal.clone(),
        _ => {
            return Err(failed(
                "answered without a `principalId` text, which API Gateway requires (it answers \
                 500): set it to who the client is, e.g. the user's name"
                    .to_owned(),
            ));
        }
    };
    let statements = statements(&answer).map_err(unusable)?;
    allows(&statements, method_arn)?;
    let mut authorizer = context(&answer).map_err(unusable)?;
    authorizer.insert("principalId".to_owned(), Value::String(principal_id));
    Ok(authorizer)
}

/// Whether the policy lets the client in: a statement that denies
/// `execute-api:Invoke` on `methodArn` refuses it, else one must allow it.
fn allows(statements: &[PolicyStatement], method_arn: &str) -> Result<(), (StatusCode, String)> {
    let mut allowed = false;
    for (index, statement) in statements.iter().enumerate() {
        let applies = statement
            .actions
            .iter()
            .any(|action| action_matches(action, INVOKE))
            && statement
                .resources
                .iter()
                .any(|resource| resource_matches(resource, method_arn));
        match (applies, statement.allow) {
            (true, false) => {
                return Err((
                    StatusCode::FORBIDDEN,
                    format!(
                        "answered a policy whose statement {} denies {INVOKE} on `{method_arn}`: \
                         API Gateway answers 403",
                        index + 1
                    ),
                ));
            }
            (true, true) => allowed = true,
            (false, _) => {}
        }
    }
    if !allowed {
        return Err((
            StatusCode::FORBIDDEN,
            format!(
                "answered a policy with no statement that allows {INVOKE} on `{method_arn}` (the \
                 event's `methodArn`): API Gateway answers 403. To let the client in, return \
                 `Effect: Allow` with that action and `Resource: methodArn`"
            ),
        ));
    }
    Ok(())
}

/// Why API Gateway cannot use an authorizer's answer (it answers 500), to
/// follow "the authorizer X".
#[derive(Debug)]
struct Unusable(String);

/// One statement of an authorizer's policy, as far as API Gateway reads it.
struct PolicyStatement {
    allow: bool,
    actions: Vec<String>,
    resources: Vec<String>,
}

/// `policyDocument.Statement`: one statement or a list of them.
fn statements(answer: &Map<String, Value>) -> Result<Vec<PolicyStatement>, Unusable> {
    let Some(Value::Object(policy)) = answer.get("policyDocument") else {
        return Err(Unusable(
            "answered without a `policyDocument` object, which API Gateway requires \
                    (it answers 500): return `{\"Version\": \"2012-10-17\", \"Statement\": \
                    [{\"Action\": \"execute-api:Invoke\", \"Effect\": \"Allow\", \"Resource\": \
                    methodArn}]}`"
                .to_owned(),
        ));
    };
    let listed = match policy.get("Statement") {
        Some(Value::Array(statements)) if !statements.is_empty() => statements.iter().collect(),
        Some(statement @ Value::Object(_)) => vec![statement],
        _ => {
            return Err(Unusable(
                "answered a `policyDocument` without statements (`Statement`): API \
                        Gateway answers 500"
                    .to_owned(),
            ));
        }
    };
    listed.into_iter().map(statement).collect()
}

fn statement(value: &Value) -> Result<PolicyStatement, Unusable> {
    let Value::Object(fields) = value else {
        return Err(Unusable(format!(
            "answered the policy statement {value}, which is not an object: API Gateway answers 500"
        )));
    };
    if let Some(other) = fields
        .keys()
        .find(|key| !["Sid", "Effect", "Action", "Resource"].contains(&key.as_str()))
    {
        return Err(Unusable(format!(
            "answered a policy statement with `{other}`, which the checker does not evaluate (it \
             reads `Effect`, `Action` and `Resource`); write the statement with those alone"
        )));
    }
    let allow = match fields.get("Effect").and_then(Value::as_str) {
        Some("Allow") => true,
        Some("Deny") => false,
        other => {
            return Err(Unusable(format!(
                "answered a policy statement whose `Effect` is {}, not \"Allow\" or \"Deny\": API \
                 Gateway answers 500",
                other.map_or_else(|| "missing".to_owned(), |effect| format!("\"{effect}\""))
            )));
        }
    };
    let texts = |name: &str| -> Result<Vec<String>, Unusable> {
        let texts: Option<Vec<String>> = match fields.get(name) {
            Some(Value::String(text)) => Some(vec![text.clone()]),
            Some(Value::Array(items)) if !items.is_empty() => items
                .iter()
                .map(|item| item.as_str().map(str::to_owned))
                .collect(),
            _ => None,
        };
        texts.ok_or_else(|| {
            Unusable(format!(
                "answered a policy statement whose `{name}` is not a text or a list of texts: API \
                 Gateway answers 500"
            ))
        })
    };
    Ok(PolicyStatement {
        allow,
        actions: texts("Action")?,
        resources: texts("Resource")?,
    })
}

/// `context`, each value a text as the routes' events carry it: API Gateway
/// takes strings, numbers and booleans there, and hands them on as strings.
fn context(answer: &Map<String, Value>) -> Result<Map<String, Value>, Unusable> {
    let fields = match answer.get("context") {
        None | Some(Value::Null) => return Ok(Map::new()),
        Some(Value::Object(fields)) => fields,
        Some(other) => {
            return Err(Unusable(format!(
                "answered a `context` that is {other}, not an object: API Gateway answers 500"
            )));
        }
    };
    fields
        .iter()
        .map(|(key, value)| {
            let text = match value {
                Value::String(text) => text.clone(),
                Value::Number(number) => number.to_string(),
                Value::Bool(flag) => flag.to_string(),
                _ => {
                    return Err(Unusable(format!(
                        "answered the context value `{key}`: {value}; API Gateway takes only \
                         texts, numbers and booleans there (it answers 500): send an object \
                         as a JSON text, or one key per value"
                    )));
                }
            };
            Ok((key.clone(), Value::String(text)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str = "arn:aws:execute-api:eu-west-1:000000000000:abc123/dev/$connect";

    fn answer(value: Value) -> Result<Map<String, Value>, (StatusCode, String)> {
        decide(Ok(value.to_string()), ARN)
    }

    fn policy(effect: &str, resource: Value) -> Value {
        json!({
            "principalId": "alice",
            "policyDocument": {
                "Version": "2012-10-17",
                "Statement": [{ "Action": "execute-api:Invoke", "Effect": effect, "Resource": resource }],
            },
            "context": { "name": "Alice", "age": 36, "admin": true },
        })
    }

    fn status(result: Result<Map<String, Value>, (StatusCode, String)>) -> u16 {
        result.expect_err("refused").0.as_u16()
    }

    #[test]
    fn an_allow_on_the_method_arn_passes_the_context_on_as_texts() {
        let allowed = answer(policy("Allow", json!(ARN))).expect("allowed");
        assert_eq!(
            Value::Object(allowed),
            json!({ "principalId": "alice", "name": "Alice", "age": "36", "admin": "true" })
        );
        let wildcard = answer(policy("Allow", json!(["arn:aws:execute-api:*:*:*/dev/*"])));
        assert!(wildcard.is_ok());
    }

    #[test]
    fn a_deny_or_no_allow_is_403() {
        assert_eq!(status(answer(policy("Deny", json!(ARN)))), 403);
        let elsewhere = "arn:aws:execute-api:eu-west-1:000000000000:abc123/dev/GET/";
        let refused = answer(policy("Allow", json!(elsewhere))).expect_err("refused");
        assert_eq!(refused.0, StatusCode::FORBIDDEN);
        assert!(refused.1.contains("`Resource: methodArn`"), "{}", refused.1);
        let mut both = policy("Allow", json!("*"));
        both["policyDocument"]["Statement"]
            .as_array_mut()
            .expect("a list")
            .push(json!({ "Action": "execute-api:*", "Effect": "Deny", "Resource": ARN }));
        assert_eq!(status(answer(both)), 403, "a Deny wins over an Allow");
    }

    #[test]
    fn failures_and_unusable_answers_are_500_and_unauthorized_401() {
        let unauthorized = decide(
            Err(InvokeError::Function {
                error_type: "&str".into(),
                message: "Unauthorized".into(),
            }),
            ARN,
        );
        assert_eq!(status(unauthorized), 401);
        let failed = decide(
            Err(InvokeError::Function {
                error_type: "&str".into(),
                message: "bad token".into(),
            }),
            ARN,
        );
        assert_eq!(status(failed), 500);
        assert_eq!(status(decide(Ok("not json".into()), ARN)), 500);
        assert_eq!(status(answer(json!({ "principalId": "a" }))), 500);
        let mut anonymous = policy("Allow", json!(ARN));
        anonymous["principalId"] = Value::Null;
        assert_eq!(status(answer(anonymous)), 500);
        let mut nested = policy("Allow", json!(ARN));
        nested["context"]["user"] = json!({ "name": "Alice" });
        let refused = answer(nested).expect_err("refused");
        assert!(refused.1.contains("`user`"), "{}", refused.1);
        let mut typo = policy("Allow", json!(ARN));
        typo["policyDocument"]["Statement"][0]["Effect"] = json!("allow");
        assert_eq!(status(answer(typo)), 500);
        let big = policy("Allow", json!(ARN)).to_string() + &" ".repeat(MAX_RESULT_BYTES);
        assert_eq!(status(decide(Ok(big), ARN)), 500);
    }
}
