//! The class server's answers: JSON, text and the page's files, each with
//! headers that keep the page to itself.

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{self, HeaderValue};
use hyper::{Response, StatusCode};
use serde_json::json;

pub(super) type Answer = Response<Full<Bytes>>;

pub(super) fn json(status: StatusCode, body: String) -> Answer {
    with_type(status, Bytes::from(body), "application/json")
}

/// `{"message": …}`: what the learner's checker prints when it is refused.
pub(super) fn message(status: StatusCode, message: &str) -> Answer {
    json(status, json!({ "message": message }).to_string())
}

pub(super) fn text(status: StatusCode, body: String) -> Answer {
    with_type(status, Bytes::from(body), "text/plain; charset=utf-8")
}

pub(super) fn asset(body: &'static str, content_type: &'static str) -> Answer {
    with_type(
        StatusCode::OK,
        Bytes::from_static(body.as_bytes()),
        content_type,
    )
}

pub(super) fn csv(body: Vec<u8>) -> Answer {
    let mut answer = with_type(StatusCode::OK, Bytes::from(body), "text/csv; charset=utf-8");
    answer.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"class.csv\""),
    );
    answer
}

fn with_type(status: StatusCode, body: Bytes, content_type: &'static str) -> Answer {
    let mut answer = Response::new(Full::new(body));
    *answer.status_mut() = status;
    let headers = answer.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // Scripts, styles and requests only from this server; never framed; nothing cached.
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; \
             base-uri 'none'; form-action 'none'",
        ),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    answer
}
