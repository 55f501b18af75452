//! The Lambda's event: the JSON API Gateway hands a WebSocket Lambda (proxy
//! integration) for `$connect`, a message and `$disconnect`. Not the
//! emulator's own events (`emulator::events`), which report what happened.
//! Field names and presence follow captured AWS events; each must deserialize
//! into `aws_lambda_events`' `ApiGatewayWebsocketProxyRequest`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use hyper::HeaderMap;
use serde_json::{Map, Value, json};

use super::api::WebSocketApi;
use crate::emulator::connections::Connection;
use crate::emulator::ids;

/// Headers API Gateway drops from the handshake before the Lambda sees it.
const HANDSHAKE_ONLY: &[&str] = &["connection", "upgrade"];

/// What `$connect`'s event is made of: the handshake request as it came in.
pub(super) struct Handshake<'a> {
    pub(super) headers: &'a HeaderMap,
    pub(super) query: Option<&'a str>,
    pub(super) local_port: u16,
    pub(super) secure: bool,
}

pub(super) fn connect(
    api: &WebSocketApi,
    connection: &Connection,
    request_id: &str,
    handshake: &Handshake<'_>,
) -> Value {
    let headers = handshake_headers(handshake, connection, HANDSHAKE_ONLY);
    let mut event = Map::new();
    event.insert("headers".into(), single_values(&headers));
    event.insert("multiValueHeaders".into(), json!(headers));
    if let Some(parameters) = query_parameters(handshake.query) {
        event.insert("queryStringParameters".into(), single_values(&parameters));
        event.insert("multiValueQueryStringParameters".into(), json!(parameters));
    }
    let now = connection.connected_at;
    event.insert(
        "requestContext".into(),
        request_context(api, connection, request_id, "$connect", "CONNECT", now),
    );
    event.insert("isBase64Encoded".into(), json!(false));
    Value::Object(event)
}

/// The event of a `$connect` route's REQUEST authorizer: the handshake (its
/// `Connection` and `Upgrade` headers kept, as AWS's documented example
/// shows them), `methodArn`, and the request context `$connect` will get
/// (same request id).
pub(super) fn authorizer_request(
    api: &WebSocketApi,
    connection: &Connection,
    request_id: &str,
    method_arn: &str,
    handshake: &Handshake<'_>,
) -> Value {
    let headers = handshake_headers(handshake, connection, &[]);
    let parameters = query_parameters(handshake.query).unwrap_or_default();
    // Not authorized yet: the context has no `authorizer`.
    let context = request_context(
        api,
        connection,
        request_id,
        "$connect",
        "CONNECT",
        connection.connected_at,
    );
    json!({
        "type": "REQUEST",
        "methodArn": method_arn,
        "headers": single_values(&headers),
        "multiValueHeaders": headers,
        "queryStringParameters": single_values(&parameters),
        "multiValueQueryStringParameters": parameters,
        "stageVariables": {},
        "requestContext": context,
    })
}

/// The handshake's headers by name, as clients case them, without those in
/// `dropped`, with the ones API Gateway adds.
fn handshake_headers(
    handshake: &Handshake<'_>,
    connection: &Connection,
    dropped: &[&str],
) -> BTreeMap<String, Vec<String>> {
    let mut headers: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, value) in handshake.headers {
        if dropped.contains(&name.as_str()) {
            continue;
        }
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        headers
            .entry(canonical(name.as_str()))
            .or_default()
            .push(value);
    }
    let forwarded = [
        ("X-Amzn-Trace-Id", ids::trace_id()),
        ("X-Forwarded-For", connection.source_ip.clone()),
        ("X-Forwarded-Port", handshake.local_port.to_string()),
        (
            "X-Forwarded-Proto",
            if handshake.secure { "https" } else { "http" }.to_owned(),
        ),
    ];
    for (name, value) in forwarded {
        headers.insert(name.to_owned(), vec![value]);
    }
    headers
}

/// The query string's parameters by name; `None` without a query string.
fn query_parameters(query: Option<&str>) -> Option<BTreeMap<String, Vec<String>>> {
    let query = query.filter(|query| !query.is_empty())?;
    let mut parameters: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        parameters
            .entry(name.into_owned())
            .or_default()
            .push(value.into_owned());
    }
    Some(parameters)
}

pub(super) fn message(
    api: &WebSocketApi,
    connection: &Connection,
    request_id: &str,
    route_key: &str,
    body: &str,
) -> Value {
    let mut context = request_context(
        api,
        connection,
        request_id,
        route_key,
        "MESSAGE",
        Utc::now(),
    );
    context["messageId"] = json!(ids::request_id());
    json!({ "requestContext": context, "body": body, "isBase64Encoded": false })
}

pub(super) fn disconnect(
    api: &WebSocketApi,
    connection: &Connection,
    request_id: &str,
    status_code: u16,
    reason: &str,
) -> Value {
    let mut context = request_context(
        api,
        connection,
        request_id,
        "$disconnect",
        "DISCONNECT",
        Utc::now(),
    );
    context["disconnectStatusCode"] = json!(status_code);
    context["disconnectReason"] = json!(reason);
    let headers = BTreeMap::from([
        ("Host".to_owned(), vec![api.domain_name.clone()]),
        ("x-api-key".to_owned(), vec![String::new()]),
        ("X-Forwarded-For".to_owned(), vec![String::new()]),
        ("x-restapi".to_owned(), vec![String::new()]),
    ]);
    json!({
        "headers": single_values(&headers),
        "multiValueHeaders": headers,
        "requestContext": context,
        "isBase64Encoded": false,
    })
}

fn request_context(
    api: &WebSocketApi,
    connection: &Connection,
    request_id: &str,
    route_key: &str,
    event_type: &str,
    at: DateTime<Utc>,
) -> Value {
    let mut context = json!({
        "routeKey": route_key,
        "eventType": event_type,
        "extendedRequestId": request_id,
        "requestTime": at.format("%d/%b/%Y:%H:%M:%S %z").to_string(),
        "messageDirection": "IN",
        "stage": api.stage,
        "connectedAt": connection.connected_at.timestamp_millis(),
        "requestTimeEpoch": at.timestamp_millis(),
        "identity": connection.identity(),
        "requestId": request_id,
        "domainName": api.domain_name,
        "connectionId": connection.id,
        "apiId": api.api_id,
    });
    // What the `$connect` authorizer allowed the connection with travels
    // with it, to every route.
    if let Some(authorizer) = connection.authorizer() {
        context["authorizer"] = authorizer.clone();
    }
    context
}

/// `headers` and `queryStringParameters` keep the last value of each name.
fn single_values(values: &BTreeMap<String, Vec<String>>) -> Value {
    values
        .iter()
        .filter_map(|(name, all)| Some((name.clone(), json!(all.last()?))))
        .collect::<Map<String, Value>>()
        .into()
}

/// `sec-websocket-key` -> `Sec-WebSocket-Key`: the casing clients send.
fn canonical(name: &str) -> String {
    name.split('-')
        .map(|word| match word {
            "websocket" => "WebSocket".to_owned(),
            _ => {
                let mut chars = word.chars();
                chars
                    .next()
                    .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                    .unwrap_or_default()
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}

#[cfg(test)]
mod tests {
    use super::canonical;

    #[test]
    fn header_names_get_the_casing_clients_send() {
        assert_eq!(canonical("sec-websocket-key"), "Sec-WebSocket-Key");
        assert_eq!(canonical("host"), "Host");
        assert_eq!(canonical("user-agent"), "User-Agent");
    }
}
