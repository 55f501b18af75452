//! The one stream of what happens in the emulator. The `serve` log, test
//! assertions and the checker's transcripts and reports all read it.

use std::sync::Mutex;

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

use super::lambda::InvokeError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The handshake completed: the connection is open.
    Connected { connection_id: String },
    /// `$connect` answered with a status other than 2xx, or failed.
    ConnectRejected { connection_id: String, status: u16 },
    /// The socket closed, whoever closed it.
    Disconnected {
        connection_id: String,
        status_code: u16,
        reason: String,
    },
    /// A text frame from a client.
    FrameIn { connection_id: String, text: String },
    /// A frame the emulator sent to a client (posts, two-way replies, error frames).
    FrameOut { connection_id: String, text: String },
    InvocationStarted {
        function: String,
        route_key: String,
        connection_id: String,
        request_id: String,
    },
    InvocationFinished {
        function: String,
        request_id: String,
        /// `Ok` with the Lambda's response, or why there is none.
        outcome: Result<String, InvokeError>,
    },
    /// One line a Lambda process wrote to stdout or stderr.
    Log { function: String, line: String },
    /// A call to the `@connections` management API and its HTTP status.
    Management {
        method: String,
        connection_id: String,
        status: u16,
    },
    /// A successful write to a local DynamoDB table.
    TableWrite {
        table: String,
        /// `PutItem` or `DeleteItem`.
        operation: String,
        /// The item's key as DynamoDB JSON, e.g. `{"ConnectionId":{"S":"R1kmxc2VNjMCFIA="}}`.
        key: String,
    },
}

#[derive(Default)]
pub struct EventBus {
    subscribers: Mutex<Vec<UnboundedSender<Event>>>,
}

impl EventBus {
    /// Every event from now on, in the order the emulator saw them.
    pub fn subscribe(&self) -> UnboundedReceiver<Event> {
        let (sender, receiver) = unbounded_channel();
        self.lock().push(sender);
        receiver
    }

    pub(crate) fn emit(&self, event: Event) {
        tracing::debug!(?event);
        self.lock()
            .retain(|subscriber| subscriber.send(event.clone()).is_ok());
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<UnboundedSender<Event>>> {
        // A panic while holding this lock cannot leave the list inconsistent.
        self.subscribers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
