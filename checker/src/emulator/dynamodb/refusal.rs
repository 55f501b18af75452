//! A refused call, told to the event stream: what AWS answers and what to
//! change, for the report, the `serve` log and the console. A refusal for
//! a mistake in the call (a `ValidationException`, a table that is not
//! there) is AWS's too; one for something this local copy lacks is not.

use super::error::{DynamoError, ErrorCode};
use crate::emulator::events::{Event, EventBus};
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
        error: cut(format!("{}: {}", error.code, error.message)),
        advice: error.advice.clone(),
        local_limit: error.is_local_limit(),
        request_id: caller.and_then(Caller::invocation),
    });
}

/// `text`, cut past [`MAX_REPORTED_BYTES`] with its size said.
fn cut(text: String) -> String {
    if text.len() <= MAX_REPORTED_BYTES {
        return text;
    }
    let mut at = MAX_REPORTED_BYTES;
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    format!("{} … [cut at {at} of {} bytes]", &text[..at], text.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_error_is_cut_on_a_character_with_its_size_said() {
        let text = format!("{}é{}", "a".repeat(MAX_REPORTED_BYTES - 1), "b".repeat(10));
        let total = text.len();
        let shown = cut(text);
        assert_eq!(
            shown,
            format!(
                "{} … [cut at {} of {total} bytes]",
                "a".repeat(MAX_REPORTED_BYTES - 1),
                MAX_REPORTED_BYTES - 1
            )
        );
        assert_eq!(cut("short".to_owned()), "short");
    }
}
