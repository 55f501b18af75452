//! The SDK's regional endpoints (`https://execute-api.{region}.amazonaws.com`
//! and the like), as far as a Lambda reaches them here. On AWS nothing sets an
//! endpoint for a Lambda, so an SDK client built from the environment alone
//! goes there. The emulator's `AWS_ENDPOINT_URL` sends such a client to this
//! path instead, so nothing leaves the machine: a `@connections` call fails
//! as it does on AWS, where the regional endpoint knows no API (403
//! `ForbiddenException`), and every call is reported, naming its function.

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode, header};
use percent_encoding::percent_decode_str;
use serde_json::json;

use super::events::Event;
use super::{Shared, iam, ids};

/// The first path segment of the emulator's stand-in for the regional endpoints.
pub(crate) const PATH: &str = "aws-regional-endpoint";

/// Answers a request whose path starts with `/{PATH}`.
pub(crate) fn handle(shared: &Shared, request: &Request<Incoming>) -> Response<Full<Bytes>> {
    let signature = iam::signature(request.headers());
    let service = signature
        .as_ref()
        .map_or_else(|| "an unsigned call".to_owned(), |s| s.service.clone());
    let region = signature
        .as_ref()
        .map_or_else(|| "?".to_owned(), |s| s.region.clone());
    let path = request
        .uri()
        .path()
        .strip_prefix(&format!("/{PATH}"))
        .unwrap_or_default();
    let path = percent_decode_str(path).decode_utf8_lossy().into_owned();
    let message = if service == "execute-api" {
        // API Gateway's answer for a request that names no API it knows.
        "Forbidden".to_owned()
    } else {
        format!(
            "the checker's emulator serves @connections and DynamoDB; this {service} call was \
             sent to the SDK's regional endpoint and stays on this machine"
        )
    };
    let status = StatusCode::FORBIDDEN;
    let call = format!(
        "{} {path} on the regional {service} endpoint",
        request.method()
    );
    let caller = shared.callers.find(request.headers());
    if let Some(caller) = &caller {
        caller.report_if_after_return(&call, &shared.events);
    }
    shared.events.emit(Event::RegionalEndpoint {
        function: caller.as_ref().map(|caller| caller.function.clone()),
        service,
        region,
        method: request.method().to_string(),
        path,
        status: status.as_u16(),
        request_id: caller.and_then(|caller| caller.invocation()),
    });
    let mut response = Response::new(Full::new(Bytes::from(
        json!({ "message": message }).to_string(),
    )));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    headers.insert(
        "x-amzn-errortype",
        header::HeaderValue::from_static("ForbiddenException"),
    );
    if let Ok(request_id) = header::HeaderValue::from_str(&ids::request_id()) {
        headers.insert("x-amzn-requestid", request_id);
    }
    response
}
