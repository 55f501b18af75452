//! One WebSocket connection's whole life, in one place: the handshake's
//! checks, `$connect`'s authorizer (whose context the connection keeps), and
//! `$connect` (whose answer becomes the handshake's status), the open
//! socket's one loop (the client's frames read while the queued ones are
//! written, side by side, within API Gateway's lifetimes), and one
//! [`Life::finish`] that every ending goes through: the table entry goes,
//! [`Event::Disconnected`] is reported and `$disconnect` runs.
//!
//! The life runs in a task of its own. hyper drops the request's future when
//! the client leaves mid-handshake; the task still sees `$connect`'s outcome,
//! so a connection `$connect` accepted gets its `$disconnect` even if it never
//! opened, and its table entry (held by a [`Listing`]) goes whatever path ends it.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use hyper::body::Incoming;
use hyper::header::{self, HeaderName, HeaderValue};
use hyper::upgrade::{OnUpgrade, Upgraded};
use hyper::{Request, StatusCode};
use tokio::sync::oneshot;
use tokio::time::{Instant, Sleep};

use super::api::WebSocketApi;
use super::authorizer;
use super::handshake::{self, Arrival};
use super::invoke::{Call, invoke};
use super::lambda_event::{self, Handshake};
use super::message;
use super::socket::{self, Closing, End, Read};
use crate::emulator::connections::{Connection, Frames, Listing};
use crate::emulator::events::Event;
use crate::emulator::ids;
use crate::emulator::response::{self, Response};

/// How long the 101 answer may take to be written before the client is taken for gone.
const UPGRADE_TIMEOUT: Duration = Duration::from_secs(10);

/// Answers a WebSocket handshake: refused at once if RFC 6455 refuses it,
/// else with `$connect`'s answer, as API Gateway does.
pub(crate) async fn upgrade(
    api: Arc<WebSocketApi>,
    mut request: Request<Incoming>,
    arrival: Arrival,
) -> Response {
    let key = match handshake::check(&request) {
        Ok(key) => key,
        Err(invalid) => return invalid.answer(),
    };
    let user_agent = request
        .headers()
        .get(header::USER_AGENT)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let (connection, frames) = Connection::new(
        ids::connection_id(),
        arrival.peer.ip().to_string(),
        user_agent,
        &api.connections,
    );
    let listing = api.connections.register(connection.clone());
    let on_upgrade = hyper::upgrade::on(&mut request);
    let (answer, answered) = oneshot::channel();
    let life = Life {
        api,
        connection,
        listing,
    };
    let opening = Opening {
        request,
        arrival,
        key,
        answer,
        on_upgrade,
        frames,
    };
    tokio::spawn(life.run(opening));
    answered.await.unwrap_or_else(|_| {
        response::text(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error")
    })
}

/// The handshake on its way to an answer.
struct Opening {
    request: Request<Incoming>,
    arrival: Arrival,
    key: HeaderValue,
    answer: oneshot::Sender<Response>,
    on_upgrade: OnUpgrade,
    /// What the socket will write, once open.
    frames: Frames,
}

/// One connection, from its handshake to its end.
struct Life {
    api: Arc<WebSocketApi>,
    connection: Arc<Connection>,
    listing: Listing,
}

impl Life {
    async fn run(self, opening: Opening) {
        let Opening {
            request,
            arrival,
            key,
            answer,
            on_upgrade,
            frames,
        } = opening;
        let query = request.uri().query().unwrap_or_default().to_owned();
        let headers = match self.connect(&request, arrival).await {
            Ok(headers) => headers,
            Err(status) => return self.rejected(status, query, answer),
        };
        // Not kept for the connection's life: only `$connect` needed it.
        drop(request);
        if answer
            .send(response::switching_protocols(&key, headers))
            .is_err()
        {
            // `$connect` accepted a client that left before its socket opened:
            // it is gone as a vanished client is, and gets its `$disconnect`.
            return self.finish(Closing::vanished()).await;
        }
        match tokio::time::timeout(UPGRADE_TIMEOUT, on_upgrade).await {
            Ok(Ok(upgraded)) => {
                let closing = self.serve(upgraded, query, frames).await;
                self.finish(closing).await;
            }
            Ok(Err(error)) => {
                tracing::debug!(%error, "the client left during the handshake");
                self.finish(Closing::vanished()).await;
            }
            Err(_) => self.finish(Closing::vanished()).await,
        }
    }

    /// Runs `$connect`, if the API has it, after its authorizer, if it has
    /// one: the headers its answer adds to the handshake, or the status the
    /// authorizer or `$connect` rejects the connection with.
    async fn connect(
        &self,
        request: &Request<Incoming>,
        arrival: Arrival,
    ) -> Result<Vec<(HeaderName, HeaderValue)>, StatusCode> {
        let Some(route) = self.api.routes.get("$connect") else {
            return Ok(Vec::new());
        };
        let request_id = ids::request_id();
        let handshake = Handshake {
            headers: request.headers(),
            query: request.uri().query(),
            local_port: arrival.local_port,
            secure: arrival.secure,
        };
        if let Some(authorizer) = &route.authorizer {
            authorizer::authorize(
                &self.api,
                &self.connection,
                authorizer,
                &request_id,
                &handshake,
            )
            .await?;
        }
        let lambda_event =
            lambda_event::connect(&self.api, &self.connection, &request_id, &handshake);
        let call = Call {
            route_key: "$connect",
            connection_id: &self.connection.id,
            request_id: &request_id,
            authorizes: None,
        };
        let outcome = invoke(&self.api.events, &route.function, call, lambda_event).await;
        handshake::connect_answer(&outcome)
    }

    /// `$connect` refused the connection: it never opens, and gets no `$disconnect`.
    fn rejected(self, status: StatusCode, query: String, answer: oneshot::Sender<Response>) {
        drop(self.listing);
        self.api.events.emit(Event::ConnectRejected {
            connection_id: self.connection.id.clone(),
            status: status.as_u16(),
            query,
        });
        // The client may have left meanwhile: nothing more to do then.
        let _ = answer.send(response::empty(status));
    }

    /// The open connection's one loop: the client's frames are read while
    /// the queued ones are written, side by side, as at API Gateway (a client
    /// that reads nothing can still send, and its replies wait in its bounded
    /// queue), until either side ends it or a lifetime runs out.
    async fn serve(&self, upgraded: Upgraded, query: String, mut frames: Frames) -> Closing {
        let socket = socket::open(upgraded).await;
        self.connection.mark_open();
        self.api.events.emit(Event::Connected {
            connection_id: self.connection.id.clone(),
            query,
        });
        let lifetime = tokio::time::sleep(self.api.max_lifetime);
        tokio::pin!(lifetime);
        let idle = tokio::time::sleep(self.api.idle_timeout);
        tokio::pin!(idle);
        let (mut sink, mut stream) = socket.split();
        let end = {
            let writing = socket::write_queued(
                &self.api.events,
                &self.connection,
                &mut frames,
                &mut sink,
                self.api.write_timeout,
            );
            tokio::pin!(writing);
            loop {
                tokio::select! {
                    frame = stream.next() => match socket::read(frame, &self.connection.id) {
                        Read::Text(text) => {
                            self.connection.touch();
                            self.awake(idle.as_mut());
                            self.receive(text);
                        }
                        Read::Alive => self.awake(idle.as_mut()),
                        Read::Nothing => {}
                        Read::End(end) => break end,
                    },
                    end = &mut writing => break end,
                    () = &mut idle => break End::going_away(),
                    () = &mut lifetime => break End::going_away(),
                }
            }
        };
        socket::close(sink, stream, end).await
    }

    /// The client showed it is there: the idle timeout starts again.
    fn awake(&self, idle: std::pin::Pin<&mut Sleep>) {
        idle.reset(Instant::now() + self.api.idle_timeout);
    }

    /// A message from the client, routed on its own, as API Gateway invokes
    /// each message on its own; counted in flight until its way ends.
    fn receive(&self, text: String) {
        let request_id = ids::request_id();
        self.api.events.emit(Event::FrameIn {
            connection_id: self.connection.id.clone(),
            text: text.clone(),
            request_id: request_id.clone(),
        });
        let in_flight = self.api.connections.routing();
        let routed = message::route(self.api.clone(), self.connection.clone(), text, request_id);
        tokio::spawn(async move {
            routed.await;
            drop(in_flight);
        });
    }

    /// Every ending comes here: the connection leaves the table, its end is
    /// reported, and `$disconnect` runs if the API has it (API Gateway
    /// ignores its result).
    async fn finish(self, closing: Closing) {
        drop(self.listing);
        self.api.events.emit(Event::Disconnected {
            connection_id: self.connection.id.clone(),
            status_code: closing.code,
            reason: closing.reason.clone(),
        });
        let Some(route) = self.api.routes.get("$disconnect") else {
            return;
        };
        let request_id = ids::request_id();
        let lambda_event = lambda_event::disconnect(
            &self.api,
            &self.connection,
            &request_id,
            closing.code,
            &closing.reason,
        );
        let call = Call {
            route_key: "$disconnect",
            connection_id: &self.connection.id,
            request_id: &request_id,
            authorizes: None,
        };
        let _ = invoke(&self.api.events, &route.function, call, lambda_event).await;
    }
}
