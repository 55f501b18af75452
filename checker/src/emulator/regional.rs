//! The SDK's regional endpoints (`https://execute-api.{region}.amazonaws.com`
//! and the like), as far as a Lambda reaches them here. On AWS nothing sets an
//! endpoint for a Lambda, so an SDK client built from the environment alone
//! goes there. The emulator's `AWS_ENDPOINT_URL` sends such a client to this
//! path instead, so nothing leaves the machine: a `@connections` call fails
//! as it does on AWS, where the regional endpoint knows no API (403
//! `ForbiddenException`), and every call is reported, naming its function.

use hyper::body::Incoming;
use hyper::{Request, StatusCode};
use percent_encoding::percent_decode_str;

use super::events::Event;
use super::response::{self, AwsError, Protocol, Response};
use super::services::Services;

/// The first path segment of the emulator's stand-in for the regional endpoints.
pub(crate) const PATH: &str = "aws-regional-endpoint";

/// Answers a request whose path starts with `/{PATH}`.
pub(crate) fn handle(services: &Services, request: &Request<Incoming>) -> Response {
    let signer = services.callers.signer(request.headers());
    let credential = signer.authorization.credential();
    let service = credential.map_or_else(
        || "an unknown service (the call was unsigned)".to_owned(),
        |credential| credential.service.clone(),
    );
    let region = credential.map_or_else(|| "?".to_owned(), |credential| credential.region.clone());
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
            "the checker's emulator serves @connections and DynamoDB; this call to {service} was \
             sent to the SDK's regional endpoint and stays on this machine"
        )
    };
    let status = StatusCode::FORBIDDEN;
    let call = format!(
        "{} {path} on the regional {service} endpoint",
        request.method()
    );
    if let Some(caller) = &signer.caller {
        caller.report_if_after_return(&call, &services.events);
    }
    services.events.emit(Event::RegionalEndpoint {
        function: signer.caller.as_ref().map(|caller| caller.function.clone()),
        service,
        region,
        method: request.method().to_string(),
        path,
        status: status.as_u16(),
        request_id: signer.invocation(),
    });
    let forbidden = AwsError::new(status, "ForbiddenException", &message);
    response::aws_error(Protocol::RestJson, forbidden)
}
