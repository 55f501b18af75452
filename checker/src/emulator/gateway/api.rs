//! The WebSocket API a connection belongs to: its stage and ids, its routes,
//! its open connections, API Gateway's quotas and the lifetimes it enforces,
//! and the event stream its connections report on.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use crate::emulator::connections::Connections;
use crate::emulator::events::EventBus;
use crate::emulator::lambda::FunctionPool;
use crate::emulator::routing::RouteSelection;
use crate::stack::IdentitySource;

/// API Gateway's quotas for WebSocket APIs.
pub(crate) const MAX_MESSAGE_BYTES: usize = 128 * 1024;
pub(crate) const MAX_FRAME_BYTES: usize = 32 * 1024;

pub(crate) struct RouteTarget {
    pub(crate) function: Arc<FunctionPool>,
    pub(crate) two_way: bool,
    /// `$connect`'s Lambda authorizer, if it has one.
    pub(crate) authorizer: Option<ConnectAuthorizer>,
}

/// A Lambda REQUEST authorizer: its function, and where it reads the identity.
pub(crate) struct ConnectAuthorizer {
    pub(crate) function: Arc<FunctionPool>,
    pub(crate) identity_sources: Vec<IdentitySource>,
}

pub(crate) struct WebSocketApi {
    pub(crate) stage: String,
    /// The stack's region, in the ARNs API Gateway makes (an authorizer's `methodArn`).
    pub(crate) region: String,
    pub(crate) api_id: String,
    /// `127.0.0.1:{port}`, what Lambdas see as `requestContext.domainName`.
    pub(crate) domain_name: String,
    pub(crate) route_selection: RouteSelection,
    /// By route key.
    pub(crate) routes: HashMap<String, RouteTarget>,
    pub(crate) connections: Connections,
    pub(crate) events: Arc<EventBus>,
    /// How long a connection may stay without a message or a ping.
    pub(crate) idle_timeout: Duration,
    /// How long a connection may stay at all.
    pub(crate) max_lifetime: Duration,
    /// How long a frame may wait to be written to a client that reads
    /// nothing before the connection is dropped as vanished.
    pub(crate) write_timeout: Duration,
}
