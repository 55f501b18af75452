//! DynamoDB's errors as its clients parse them: HTTP 400, the code in `__type`
//! after a `#` (and in `x-amzn-ErrorType`), the text in `message`.

use std::fmt;

use serde_json::{Map, Value};

/// How every refusal of something DynamoDB has but this copy lacks begins.
pub(crate) const LOCAL_LIMIT: &str = "the checker's local DynamoDB does not support";

/// The error codes the local DynamoDB answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ErrorCode {
    Validation,
    ResourceNotFound,
    ConditionalCheckFailed,
    /// What DynamoDB Local answers for an operation it does not implement.
    UnknownOperation,
    /// The body is not the JSON the operation takes.
    Serialization,
    MissingAuthenticationToken,
    /// The request's body did not arrive in time.
    RequestTimeout,
    /// The caller's role does not allow the call (IAM).
    AccessDenied,
    /// A transaction's condition or validation failed: nothing was written.
    TransactionCanceled,
    /// A `ClientRequestToken` seen before with other parameters.
    IdempotentParameterMismatch,
    /// The request was throttled; the SDKs retry it.
    ProvisionedThroughputExceeded,
}

impl ErrorCode {
    /// Whether the answer writes `Message` rather than `message`: AccessDenied
    /// comes from AWS's front end, and TransactionCanceled is modelled so.
    pub(crate) fn capitalises_message(self) -> bool {
        matches!(
            self,
            ErrorCode::AccessDenied | ErrorCode::TransactionCanceled
        )
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            ErrorCode::Validation => "ValidationException",
            ErrorCode::ResourceNotFound => "ResourceNotFoundException",
            ErrorCode::ConditionalCheckFailed => "ConditionalCheckFailedException",
            ErrorCode::UnknownOperation => "UnknownOperationException",
            ErrorCode::Serialization => "SerializationException",
            ErrorCode::MissingAuthenticationToken => "MissingAuthenticationTokenException",
            ErrorCode::RequestTimeout => "RequestTimeoutException",
            ErrorCode::AccessDenied => "AccessDeniedException",
            ErrorCode::TransactionCanceled => "TransactionCanceledException",
            ErrorCode::IdempotentParameterMismatch => "IdempotentParameterMismatchException",
            ErrorCode::ProvisionedThroughputExceeded => "ProvisionedThroughputExceededException",
        }
    }

    /// 400 for every error of the service; 408 for a body that never came.
    pub(crate) fn status(self) -> hyper::StatusCode {
        match self {
            ErrorCode::RequestTimeout => hyper::StatusCode::REQUEST_TIMEOUT,
            _ => hyper::StatusCode::BAD_REQUEST,
        }
    }

    /// `__type` as DynamoDB writes it: errors of the service model carry its
    /// namespace, those of the HTTP front end (Coral) carry Coral's.
    pub(crate) fn qualified(self) -> String {
        let namespace = match self {
            ErrorCode::Serialization
            | ErrorCode::MissingAuthenticationToken
            | ErrorCode::RequestTimeout
            | ErrorCode::AccessDenied => "com.amazon.coral.service",
            _ => "com.amazonaws.dynamodb.v20120810",
        };
        format!("{namespace}#{}", self.name())
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct DynamoError {
    pub(crate) code: ErrorCode,
    pub(crate) message: String,
    /// What to change, for the report (never sent: the wire carries DynamoDB's text).
    pub(crate) advice: Option<String>,
    /// Fields of the answer beside the message (`Item`, `CancellationReasons`).
    pub(crate) fields: Map<String, Value>,
}

impl DynamoError {
    pub(crate) fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            advice: None,
            fields: Map::new(),
        }
    }

    pub(crate) fn advise(mut self, advice: impl Into<String>) -> Self {
        self.advice = Some(advice.into());
        self
    }

    pub(crate) fn with_field(mut self, name: &str, value: Value) -> Self {
        self.fields.insert(name.to_owned(), value);
        self
    }

    /// Whether the refusal is this local copy's, not DynamoDB's.
    pub(crate) fn is_local_limit(&self) -> bool {
        self.code == ErrorCode::UnknownOperation || self.message.contains(LOCAL_LIMIT)
    }

    pub(crate) fn validation(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Validation, message)
    }

    pub(crate) fn serialization(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Serialization, message)
    }

    /// DynamoDB's text, then the table's name so the learner sees which one.
    pub(crate) fn table_not_found(table: &str) -> Self {
        Self::new(
            ErrorCode::ResourceNotFound,
            format!(
                "Requested resource not found: Table: {table} not found (the tables are the \
                 AWS::DynamoDB::Table resources of serverless.yml)"
            ),
        )
    }

    /// A write's `ConditionExpression` was false; `item` is the item it
    /// tested, when `ReturnValuesOnConditionCheckFailure` asks for it.
    pub(crate) fn condition_failed(item: Option<Value>) -> Self {
        let error = Self::new(
            ErrorCode::ConditionalCheckFailed,
            "The conditional request failed",
        );
        match item {
            Some(item) => error.with_field("Item", item),
            None => error,
        }
    }

    /// IAM's refusal, in DynamoDB's words.
    pub(crate) fn access_denied(
        caller: &str,
        action: &str,
        resource: &str,
        explicit: bool,
    ) -> Self {
        let why = if explicit {
            "with an explicit deny in an identity-based policy".to_owned()
        } else {
            format!("because no identity-based policy allows the {action} action")
        };
        Self::new(
            ErrorCode::AccessDenied,
            format!(
                "User: {caller} is not authorized to perform: {action} on resource: {resource} \
                 {why}"
            ),
        )
    }

    /// Something DynamoDB has that this local copy does not: named, with what it has.
    pub(crate) fn unsupported(what: impl fmt::Display, supported: &str) -> Self {
        Self::validation(format!("{LOCAL_LIMIT} {what}; it supports {supported}"))
    }
}
