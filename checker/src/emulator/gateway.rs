//! The WebSocket side of API Gateway. A connection's whole life is one room,
//! [`connection`]; the files it calls call down, never up:
//!
//! ```text
//! connection   upgrade → authorizer → $connect → the socket's loop → finish ($disconnect)
//!  ├─ handshake     RFC 6455's checks and $connect's answer, pure
//!  ├─ authorizer    $connect's Lambda authorizer: identity, policy, context
//!  ├─ socket        frame limits, what a read means, writing, closing
//!  ├─ message       one message's way: route → invoke → two-way reply or error frame
//!  ├─ invoke        a route's function invoked, reported on the event stream
//!  └─ lambda_event  the Lambda's event JSON for $connect, a message, $disconnect
//! api               the WebSocket API all of them read: stage, routes, connections
//! ```

mod api;
mod authorizer;
mod connection;
mod handshake;
mod invoke;
mod lambda_event;
mod message;
mod socket;

pub(crate) use api::{ConnectAuthorizer, MAX_MESSAGE_BYTES, RouteTarget, WebSocketApi};
pub(crate) use connection::upgrade;
pub(crate) use handshake::{Arrival, is_upgrade};
pub(crate) use invoke::{Call, invoke_payload};
