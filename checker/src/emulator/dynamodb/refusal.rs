//! A refused call, told to the event stream: what AWS answers and what to
//! change, for the report, the `serve` log and the console. A refusal for
//! a mistake in the call (a `ValidationException`, a table that is not
//! there) is AWS's too; one for something this local copy lacks is not.

use super::error::{DynamoError, ErrorCode};
use crate::emulator::events::{Event, EventBus};
use crate::emulator::lambda::callers::Caller;

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
        error: format!("{}: {}", error.code, error.message),
        advice: error.advice.clone(),
        local_limit: error.is_local_limit(),
        request_id: caller.and_then(Caller::invocation),
    });
}
