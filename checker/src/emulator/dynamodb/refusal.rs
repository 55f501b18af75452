//! A refused call, told to the event stream: what AWS answers and what to
//! change, for the report, the `serve` log and the console. A refusal for
//! a mistake in the call (a `ValidationException`, a table that is not
//! there) is AWS's too; one for something this local copy lacks is not.

use super::error::{DynamoError, ErrorCode};
use crate::emulator::events::{Event, EventBus, cut};
use crate::emulator::lambda::callers::Caller;

/// An error's text as reported at most: DynamoDB names every unused
/// placeholder, which for a hostile request is megabytes the run's history would keep.
const MAX_REPORTED_BYTES: usize = 4096;

/// Reports `error`, the answer to `call` (`dynamodb:Query on chats`), when
/// it points at the code rather than at the data (a failed condition is
/// the code working).
pub(crate) fn report(events: &EventBus, caller: Option<&Caller>, call: &str, error: &DynamoError) {
    let reported = matches!(
        error.code,
        ErrorCode::Validation
            | ErrorCode::ResourceNotFound
            | ErrorCode::UnknownOperation
            | ErrorCode::Serialization
            | ErrorCode::IdempotentParameterMismatch
    );
    if !reported {
        return;
    }
    events.emit(Event::DynamoDbRefused {
        function: caller.map(|caller| caller.function.clone()),
        call: call.to_owned(),
        error: cut(
            format!("{}: {}", error.code, error.message),
            MAX_REPORTED_BYTES,
        ),
        advice: error.advice.clone(),
        local_limit: error.is_local_limit(),
        request_id: caller.and_then(Caller::invocation),
    });
}
