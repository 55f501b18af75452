//! The one stream of what happens in the emulator. The `serve` log, the
//! console, test assertions and the checker's transcripts and reports all
//! read it.
//!
//! Every event is numbered and stamped once, when emitted. Each subscriber
//! has a bounded queue of its own: one that falls behind misses the events
//! that do not fit and then receives one [`Event::Skipped`] that counts them;
//! the emulator never waits for a subscriber. The bus also keeps a bounded
//! history, so a console opened late still shows how the run began.

mod queue;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use serde::{Serialize, Serializer};

mod explain;

use super::lambda::InvokeError;
use crate::stack::Location;
use queue::Queue;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// The handshake completed: the connection is open. `query` is the
    /// handshake URL's query string ("" when it has none).
    Connected {
        connection_id: String,
        query: String,
    },
    /// `$connect` answered with a status other than 2xx, or failed.
    ConnectRejected {
        connection_id: String,
        status: u16,
        query: String,
    },
    /// The socket closed, whoever closed it.
    Disconnected {
        connection_id: String,
        status_code: u16,
        reason: String,
    },
    /// A text frame from a client; `request_id` is the one API Gateway gives
    /// the message (`requestContext.requestId` of its invocation).
    FrameIn {
        connection_id: String,
        text: String,
        request_id: String,
    },
    /// Where a client's message went: the route selection expression's value
    /// for it and the route that took it (`$default` when none matched the
    /// value); `None` when no route did (the client gets `Forbidden`).
    Routed {
        request_id: String,
        connection_id: String,
        selection: String,
        route_key: Option<String>,
    },
    /// A frame the emulator sent to a client (posts, two-way replies, error
    /// frames); `request_id` names the request it answers, or the invocation
    /// that posted it, when known.
    FrameOut {
        connection_id: String,
        text: String,
        request_id: Option<String>,
    },
    /// A frame of the emulator's own (a two-way reply, an error frame) not
    /// sent: the client's queue was full (it reads nothing). `request_id`
    /// names the request it answered.
    FrameDropped {
        connection_id: String,
        reason: String,
        request_id: String,
    },
    InvocationStarted {
        function: String,
        route_key: String,
        connection_id: String,
        request_id: String,
        /// The event JSON exactly as the Lambda receives it.
        payload: String,
    },
    InvocationFinished {
        function: String,
        request_id: String,
        /// `Ok` with the Lambda's response as it sent it, or why there is none.
        #[serde(serialize_with = "serialize_outcome")]
        outcome: Result<String, InvokeError>,
    },
    /// A one-way route's Lambda returned a body, which API Gateway drops: the
    /// client receives nothing from it.
    ReplyDropped {
        function: String,
        route_key: String,
        connection_id: String,
        request_id: String,
    },
    /// A message selected `selected`, which no route has, though `route`
    /// differs from it only in case: route keys match exactly, so the message
    /// went to `$default` (or was answered Forbidden without one).
    RouteCaseMismatch {
        selected: String,
        route: String,
        connection_id: String,
        request_id: String,
    },
    /// One line a Lambda process wrote to stdout or stderr, and the
    /// invocation that process was running (or ran last), if any.
    Log {
        function: String,
        line: String,
        request_id: Option<String>,
    },
    /// A call to the `@connections` management API and its HTTP status;
    /// `request_id` is the calling invocation's, when the caller is known.
    Management {
        method: String,
        connection_id: String,
        status: u16,
        request_id: Option<String>,
    },
    /// A function's call that its role does not allow: answered as AWS
    /// answers it (DynamoDB's `AccessDeniedException`, `@connections`' 403).
    AccessDenied {
        /// Its key in serverless.yml.
        function: String,
        /// `dynamodb:Query`, `execute-api:ManageConnections`…
        action: String,
        /// The ARN the call is on.
        resource: String,
        /// The `Deny` statement that refuses it; `None`: no statement allows it.
        deny_at: Option<Location>,
        /// Where the role's statements are written: where to grant it.
        grant_at: Location,
        /// The invocation that made the call, when known.
        request_id: Option<String>,
    },
    /// A call from a Lambda process whose handler had returned (and whose next
    /// invocation had not come): work the handler left running. Lambda freezes
    /// such a process, so the work runs late or never.
    AfterReturn {
        /// Its function's key in serverless.yml.
        function: String,
        /// The call, e.g. `POST @connections/R1kmxc2VNjMCFIA=` or
        /// `dynamodb:PutItem on connections`.
        call: String,
        /// The invocation the process ran last, when known.
        request_id: Option<String>,
    },
    /// A call that went to the SDK's regional endpoint (a client built from the
    /// environment alone), answered as that endpoint answers on AWS.
    RegionalEndpoint {
        /// The calling function's key in serverless.yml; `None` when the
        /// credentials are not a function's.
        function: Option<String>,
        /// The signing name of the service called, e.g. `execute-api`.
        service: String,
        /// The region it was signed for.
        region: String,
        method: String,
        /// The path after the endpoint, e.g. `/@connections/R1kmxc2VNjMCFIA%3D`.
        path: String,
        /// The HTTP status it got.
        status: u16,
        /// The invocation that made the call, when known.
        request_id: Option<String>,
    },
    /// A call the local DynamoDB refused for a mistake in it (DynamoDB's
    /// `ValidationException` and the like, answered as on AWS), or for
    /// something this local copy lacks (`local_limit`).
    #[serde(rename = "dynamodb_refused")]
    DynamoDbRefused {
        /// The calling function's key in serverless.yml; `None` when no Lambda called.
        function: Option<String>,
        /// The call, e.g. `dynamodb:Query on tables-dev-chats`.
        call: String,
        /// The error as the caller got it: its code and DynamoDB's message.
        error: String,
        /// What to change, when the message alone does not say it.
        advice: Option<String>,
        /// Refused by this local copy only; DynamoDB may accept it.
        local_limit: bool,
        /// The invocation that made the call, when known.
        request_id: Option<String>,
    },
    /// A successful write to a local DynamoDB table.
    TableWrite {
        table: String,
        /// `PutItem`, `UpdateItem` or `DeleteItem` (a batch's and a
        /// transaction's writes are one event each).
        operation: String,
        /// The item's key as DynamoDB JSON, e.g. `{"ConnectionId":{"S":"R1kmxc2VNjMCFIA="}}`.
        key: String,
        /// The writing invocation's request id, when the caller is known.
        request_id: Option<String>,
    },
    /// Not something the emulator did: this subscriber fell behind and
    /// `count` events did not fit in its queue. Only a subscription makes it.
    Skipped { count: u64 },
}

/// `{"response": "..."}` or `{"error": "..."}`.
fn serialize_outcome<S: Serializer>(
    outcome: &Result<String, InvokeError>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut map = serializer.serialize_map(Some(1))?;
    match outcome {
        Ok(response) => map.serialize_entry("response", response)?,
        Err(error) => map.serialize_entry("error", &error.to_string())?,
    }
    map.end()
}

impl Event {
    /// Roughly the bytes the event holds, for the bounds on queues and history.
    fn weight(&self) -> usize {
        const FIXED: usize = 96;
        let text = match self {
            Self::Connected {
                connection_id,
                query,
            }
            | Self::ConnectRejected {
                connection_id,
                query,
                ..
            } => connection_id.len() + query.len(),
            Self::Disconnected { reason, .. } => reason.len(),
            Self::FrameDropped {
                connection_id,
                reason,
                ..
            } => connection_id.len() + reason.len(),
            Self::FrameIn { text, .. } | Self::FrameOut { text, .. } => text.len(),
            Self::Routed { selection, .. } => selection.len(),
            Self::InvocationStarted { payload, .. } => payload.len(),
            Self::InvocationFinished { outcome, .. } => outcome.as_ref().map_or(64, String::len),
            Self::Log { line, .. } => line.len(),
            Self::TableWrite { key, .. } => key.len(),
            Self::ReplyDropped { route_key, .. } => route_key.len(),
            Self::RouteCaseMismatch {
                selected, route, ..
            } => selected.len() + route.len(),
            Self::AccessDenied {
                function,
                action,
                resource,
                ..
            } => function.len() + action.len() + resource.len(),
            Self::AfterReturn { function, call, .. } => function.len() + call.len(),
            Self::DynamoDbRefused {
                call,
                error,
                advice,
                ..
            } => call.len() + error.len() + advice.as_ref().map_or(0, String::len),
            Self::RegionalEndpoint { service, path, .. } => service.len() + path.len(),
            Self::Management { .. } | Self::Skipped { .. } => 0,
        };
        FIXED + text
    }
}

/// An event with its place in the stream and the time it happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stamped {
    /// 1, 2, 3… in the order the emulator emitted them.
    pub seq: u64,
    /// Microseconds since the Unix epoch, read from a monotonic clock started
    /// with the bus (so durations between events are exact).
    pub at: i64,
    #[serde(flatten)]
    pub event: Event,
}

/// What a subscription hands out: an event, or how many it missed.
#[derive(Debug, Clone)]
pub enum Delivery {
    Event(Arc<Stamped>),
    Skipped(u64),
}

/// A limit on a queue or on the history, in events and in bytes; whichever
/// is reached first applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bound {
    pub events: usize,
    pub bytes: usize,
}

impl Bound {
    /// What [`EventBus::subscribe`] gives: more than any scenario or test
    /// produces between two reads.
    pub const SUBSCRIBER: Self = Self {
        events: 65_536,
        bytes: 128 << 20,
    };
    /// The run's history a console opened late is shown.
    pub const HISTORY: Self = Self {
        events: 50_000,
        bytes: 64 << 20,
    };
}

/// What the bus holds at one moment: its history and every subscriber's queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BusStats {
    pub emitted: u64,
    pub history_events: usize,
    pub history_bytes: usize,
    pub evicted: u64,
    pub subscribers: usize,
    /// Events and bytes waiting in all subscribers' queues together.
    pub queued_events: usize,
    pub queued_bytes: usize,
}

/// The history a new console subscriber starts from.
#[derive(Debug, Clone)]
pub struct Backlog {
    pub events: Vec<Arc<Stamped>>,
    /// Events of the run no longer in the history (the oldest, evicted).
    pub evicted: u64,
}

impl Event {
    /// For events that point at a likely mistake in the learner's code or
    /// `serverless.yml`: what happened and what to do, in a sentence.
    pub fn explain(&self) -> Option<String> {
        match self {
            Self::ReplyDropped {
                function,
                route_key,
                ..
            } => Some(format!(
                "{function} ({route_key}) returned a body, but this route sends nothing back: \
                 post it to the connection with PostToConnection instead (API Gateway drops the \
                 body of a one-way route)"
            )),
            Self::RouteCaseMismatch {
                selected, route, ..
            } => Some(format!(
                "a message's action \"{selected}\" matches the route `{route}` only in case; \
                 route keys match exactly, case included, so that route did not get it: spell \
                 both the same"
            )),
            Self::AccessDenied {
                function,
                action,
                resource,
                deny_at,
                grant_at,
                ..
            } => Some(explain::access_denied(
                function,
                action,
                resource,
                deny_at.as_ref(),
                grant_at,
            )),
            Self::RegionalEndpoint {
                function,
                service,
                region,
                method,
                path,
                status,
                ..
            } => Some(explain::regional_endpoint(
                function.as_deref(),
                service,
                region,
                method,
                path,
                *status,
            )),
            Self::AfterReturn { function, call, .. } => Some(explain::after_return(function, call)),
            Self::DynamoDbRefused {
                function,
                call,
                error,
                advice,
                local_limit,
                ..
            } => Some(explain::dynamodb_refused(
                function.as_deref(),
                call,
                error,
                advice.as_deref(),
                *local_limit,
            )),
            _ => None,
        }
    }
}

pub struct EventBus {
    started: Instant,
    started_micros: i64,
    state: Mutex<BusState>,
}

struct BusState {
    next_seq: u64,
    subscribers: Vec<Arc<Queue>>,
    history: VecDeque<Arc<Stamped>>,
    history_bytes: usize,
    history_bound: Bound,
    evicted: u64,
}

impl Default for EventBus {
    fn default() -> Self {
        Self::new(Bound::HISTORY)
    }
}

impl EventBus {
    pub fn new(history_bound: Bound) -> Self {
        Self {
            started: Instant::now(),
            started_micros: chrono::Utc::now().timestamp_micros(),
            state: Mutex::new(BusState {
                next_seq: 1,
                subscribers: Vec::new(),
                history: VecDeque::new(),
                history_bytes: 0,
                history_bound,
                evicted: 0,
            }),
        }
    }

    /// Every event from now on, in the order the emulator saw them.
    pub fn subscribe(&self) -> Subscription {
        self.subscribe_bounded(Bound::SUBSCRIBER)
    }

    /// Every event from now on, through a queue of at most `bound`.
    pub fn subscribe_bounded(&self, bound: Bound) -> Subscription {
        let queue = Arc::new(Queue::new(bound));
        self.lock().subscribers.push(queue.clone());
        Subscription { queue }
    }

    /// The history so far and every event after it, with nothing missed or
    /// repeated between the two.
    pub fn subscribe_with_history(&self, bound: Bound) -> (Backlog, Subscription) {
        let queue = Arc::new(Queue::new(bound));
        let mut state = self.lock();
        state.subscribers.push(queue.clone());
        let backlog = Backlog {
            events: state.history.iter().cloned().collect(),
            evicted: state.evicted,
        };
        (backlog, Subscription { queue })
    }

    /// The newest event in the history that `matches`.
    pub fn find_in_history(&self, matches: impl Fn(&Event) -> bool) -> Option<Arc<Stamped>> {
        self.lock()
            .history
            .iter()
            .rev()
            .find(|stamped| matches(&stamped.event))
            .cloned()
    }

    /// Ends every subscription (each still reads what is queued, then `None`):
    /// the emulator is shutting down, and the console's feeds end with it.
    pub(crate) fn close(&self) {
        for subscriber in std::mem::take(&mut self.lock().subscribers) {
            subscriber.close();
        }
    }

    /// What the bus holds now (the benchmark shows it stays bounded).
    pub fn stats(&self) -> BusStats {
        let state = self.lock();
        let (queued_events, queued_bytes) = state
            .subscribers
            .iter()
            .map(|queue| queue.len())
            .fold((0, 0), |(events, bytes), (e, b)| (events + e, bytes + b));
        BusStats {
            emitted: state.next_seq - 1,
            history_events: state.history.len(),
            history_bytes: state.history_bytes,
            evicted: state.evicted,
            subscribers: state.subscribers.len(),
            queued_events,
            queued_bytes,
        }
    }

    pub(crate) fn emit(&self, event: Event) {
        tracing::debug!(?event);
        let elapsed = i64::try_from(self.started.elapsed().as_micros()).unwrap_or(i64::MAX);
        let weight = event.weight();
        let mut state = self.lock();
        let stamped = Arc::new(Stamped {
            seq: state.next_seq,
            at: self.started_micros.saturating_add(elapsed),
            event,
        });
        state.next_seq += 1;
        state
            .subscribers
            .retain(|subscriber| subscriber.push(&stamped, weight));
        state.remember(stamped, weight);
    }

    fn lock(&self) -> MutexGuard<'_, BusState> {
        // Every change under this lock is completed before it is released.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl BusState {
    fn remember(&mut self, stamped: Arc<Stamped>, weight: usize) {
        self.history.push_back(stamped);
        self.history_bytes += weight;
        while self.history.len() > self.history_bound.events
            || self.history_bytes > self.history_bound.bytes
        {
            let Some(oldest) = self.history.pop_front() else {
                break;
            };
            self.history_bytes = self.history_bytes.saturating_sub(oldest.event.weight());
            self.evicted += 1;
        }
    }
}

impl Drop for EventBus {
    fn drop(&mut self) {
        self.close();
    }
}

/// One subscriber's end of the bus. Dropping it unsubscribes.
pub struct Subscription {
    queue: Arc<Queue>,
}

impl Subscription {
    /// The next event, waiting for one; `None` once the emulator is gone.
    /// Missed events come as one [`Event::Skipped`].
    pub async fn recv(&mut self) -> Option<Event> {
        self.recv_stamped().await.map(into_event)
    }

    /// The next event if one is queued.
    pub fn try_recv(&mut self) -> Option<Event> {
        self.queue.pop().map(into_event)
    }

    /// The next event with its number and time, waiting for one.
    pub async fn recv_stamped(&mut self) -> Option<Delivery> {
        self.queue.next().await
    }

    /// The next event with its number and time, if one is queued.
    pub fn try_recv_stamped(&mut self) -> Option<Delivery> {
        self.queue.pop()
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.queue.close();
    }
}

fn into_event(delivery: Delivery) -> Event {
    match delivery {
        Delivery::Event(stamped) => stamped.event.clone(),
        Delivery::Skipped(count) => Event::Skipped { count },
    }
}

#[cfg(test)]
mod tests;
