//! DynamoDB's errors as its clients parse them: HTTP 400, the code in `__type`
//! after a `#` (and in `x-amzn-ErrorType`), the text in `message`.

use std::fmt;

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
}

impl ErrorCode {
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
}

impl DynamoError {
    pub(crate) fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
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
        Self::validation(format!(
            "the checker's local DynamoDB does not support {what}; it supports {supported}"
        ))
    }
}
