//! Who may use the console: this machine, through pages of the console's
//! own origin. The emulator listens on 127.0.0.1 only; on top of that:
//! - the peer must be a loopback address;
//! - `Host` must name the emulator (`127.0.0.1:PORT` or `localhost:PORT`), so
//!   a site whose name was rebound to 127.0.0.1 (DNS rebinding) is refused;
//! - `Origin`, which browsers send with every WebSocket handshake and every
//!   POST, must be the console's own (`http://127.0.0.1:PORT` or
//!   `http://localhost:PORT`). A request without one (curl, a test client)
//!   is let in: no page can leave it out;
//! - a POST must be `Content-Type: application/json`, which no cross-origin
//!   form can send without a preflight, and the console answers none.

use std::net::SocketAddr;

use hyper::header;
use hyper::{Method, Request};

/// The names the console answers to, with the emulator's port.
const HOSTS: [&str; 2] = ["127.0.0.1", "localhost"];

/// The `Host` a request that passed used: `127.0.0.1:PORT` or `localhost:PORT`.
pub(super) struct Allowed {
    pub(super) host: String,
}

pub(super) fn check<B>(
    request: &Request<B>,
    peer: SocketAddr,
    local_port: u16,
) -> Result<Allowed, Forbidden> {
    if !peer.ip().is_loopback() {
        return Err(refuse("the console answers only this machine"));
    }
    let allowed: Vec<String> = HOSTS
        .iter()
        .map(|name| format!("{name}:{local_port}"))
        .collect();
    let host = header_text(request, header::HOST).unwrap_or_default();
    let single_host = request.headers().get_all(header::HOST).iter().count() == 1;
    if !single_host || !allowed.contains(&host) {
        return Err(refuse(&format!(
            "the console answers only to http://127.0.0.1:{local_port} or http://localhost:{local_port}, \
             not to the host name \"{host}\""
        )));
    }
    if let Some(origin) = header_text(request, header::ORIGIN) {
        let own = allowed
            .iter()
            .any(|name| origin == format!("http://{name}"));
        if !own {
            return Err(refuse(&format!(
                "the console answers only its own pages (http://{host}), not a page of {origin}"
            )));
        }
    }
    if request.method() == Method::POST {
        let json = header_text(request, header::CONTENT_TYPE)
            .is_some_and(|kind| kind.starts_with("application/json"));
        if !json {
            return Err(refuse(
                "a console POST must be Content-Type: application/json",
            ));
        }
    }
    Ok(Allowed { host })
}

fn header_text<B>(request: &Request<B>, name: header::HeaderName) -> Option<String> {
    request
        .headers()
        .get(name)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}

/// Why a request was refused, for its 403 answer.
pub(super) struct Forbidden(pub(super) String);

fn refuse(reason: &str) -> Forbidden {
    Forbidden(format!("Forbidden: {reason}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCAL: &str = "127.0.0.1:3001";

    fn request(method: Method, headers: &[(&str, &str)]) -> Request<()> {
        let mut builder = Request::builder().method(method).uri("/@console/feed");
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(()).unwrap()
    }

    fn passes(method: Method, headers: &[(&str, &str)], peer: &str) -> bool {
        check(&request(method, headers), peer.parse().unwrap(), 3001).is_ok()
    }

    #[test]
    fn its_own_pages_and_tools_on_this_machine_pass() {
        let peer = "127.0.0.1:50000";
        assert!(passes(Method::GET, &[("host", LOCAL)], peer));
        assert!(passes(Method::GET, &[("host", "localhost:3001")], peer));
        assert!(passes(
            Method::GET,
            &[("host", LOCAL), ("origin", "http://127.0.0.1:3001")],
            peer
        ));
        assert!(passes(
            Method::POST,
            &[
                ("host", "localhost:3001"),
                ("origin", "http://localhost:3001"),
                ("content-type", "application/json")
            ],
            peer
        ));
    }

    #[test]
    fn other_origins_rebound_names_and_forms_are_refused() {
        let peer = "127.0.0.1:50000";
        // A page of another site, or of another local port.
        for origin in [
            "http://evil.example",
            "http://127.0.0.1:8080",
            "null",
            "https://127.0.0.1:3001",
        ] {
            assert!(
                !passes(Method::GET, &[("host", LOCAL), ("origin", origin)], peer),
                "{origin}"
            );
        }
        // DNS rebinding: the right address under another name.
        assert!(!passes(Method::GET, &[("host", "evil.example:3001")], peer));
        assert!(!passes(Method::GET, &[("host", "127.0.0.1:9999")], peer));
        assert!(!passes(Method::GET, &[], peer));
        assert!(!passes(
            Method::GET,
            &[("host", LOCAL), ("host", "evil.example:3001")],
            peer
        ));
        // A POST a form could send.
        assert!(!passes(
            Method::POST,
            &[("host", LOCAL), ("content-type", "text/plain")],
            peer
        ));
        // Not this machine.
        assert!(!passes(
            Method::GET,
            &[("host", LOCAL)],
            "192.168.1.20:50000"
        ));
    }
}
