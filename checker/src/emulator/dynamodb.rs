//! A local DynamoDB on the emulator's port, for the exercises that keep
//! connection ids in tables: the AWS JSON 1.0 protocol (`POST /` with
//! `X-Amz-Target: DynamoDB_20120810.<Operation>`), the item operations
//! (UpdateItem with update expressions), the batch and transaction writes a
//! learner reaches for, Query and Scan with expressions, DescribeTable and
//! ListTables, on the tables the stack's `resources` declare. Errors are
//! DynamoDB's, so `is_resource_not_found_exception()` and friends work.

mod batch;
mod budget;
mod describe;
mod error;
mod expression;
mod items;
mod key;
mod number;
mod permissions;
mod read;
mod refusal;
mod request;
mod size;
mod survey;
pub(crate) mod tables;
mod tokens;
mod transact;
mod update_item;
mod value;

use bytes::Bytes;
use hyper::body::Incoming;
use hyper::{Method, Request, StatusCode};
use serde_json::Value;

use super::body::{self, BodyError};
use super::events::EventBus;
use super::lambda::callers::Signer;
use super::response::{self, AwsError, Protocol, Response};
use super::services::Services;
pub use error::DynamoError;
use error::ErrorCode;
use request::parse;
use survey::Survey;

pub use tables::TableDump;
pub(crate) use tables::Tables;

const TARGET_PREFIX: &str = "DynamoDB_20120810.";
/// DynamoDB's own request limit.
const MAX_REQUEST_BYTES: usize = 16 * 1024 * 1024;
const SUPPORTED_OPERATIONS: &str = "PutItem, GetItem, UpdateItem, DeleteItem, BatchWriteItem, \
    BatchGetItem, TransactWriteItems, Query, Scan, DescribeTable and ListTables";

/// A DynamoDB call: a POST carrying `X-Amz-Target` (the caller checks the path is `/`).
pub(crate) fn is_request(request: &Request<Incoming>) -> bool {
    request.method() == Method::POST && request.headers().contains_key("x-amz-target")
}

pub(crate) async fn handle(
    services: &Services,
    tables: &Tables,
    request: Request<Incoming>,
) -> Response {
    match answer(services, tables, request).await {
        Ok(body) => response::aws(Protocol::AwsJson, StatusCode::OK, &body),
        Err(error) => {
            tracing::debug!(%error, "DynamoDB call refused");
            let qualified = error.code.qualified();
            let answer = AwsError {
                qualified: Some(&qualified),
                capital_message: error.code.capitalises_message(),
                fields: Some(&error.fields),
                ..AwsError::new(error.code.status(), error.code.name(), &error.message)
            };
            response::aws_error(Protocol::AwsJson, answer)
        }
    }
}

async fn answer(
    services: &Services,
    tables: &Tables,
    request: Request<Incoming>,
) -> Result<Value, DynamoError> {
    // The SDK signs with SigV4; only the header's presence is checked, as
    // the Lambdas hold dummy credentials.
    let signer = services.callers.signer(request.headers());
    if !signer.authorization.is_signed() {
        return Err(DynamoError::new(
            ErrorCode::MissingAuthenticationToken,
            "Request is missing Authentication Token",
        ));
    }
    let target = request
        .headers()
        .get("x-amz-target")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    let request_id = signer.invocation();
    let Some(operation) = target.strip_prefix(TARGET_PREFIX).map(str::to_owned) else {
        return Err(unknown_operation(target));
    };
    let bytes = read_body(services, request).await?;
    let survey = survey::survey(&bytes).map_err(not_json)?;
    let large = budget::is_large(survey.tree_bytes);
    let refused = large
        .then(|| refuse_unused_placeholders(&survey, &operation))
        .and_then(Result::err);
    if let Some(error) = refused {
        let on = survey.table.as_deref().unwrap_or("every table");
        let call = format!("dynamodb:{operation} on {on}");
        refusal::report(&services.events, signer.caller.as_deref(), &call, &error);
        budget::return_memory_soon();
        return Err(error);
    }
    let share = tables.parse_budget.share(survey.tree_bytes).await?;
    drop(survey);
    let answer = answer_body(
        services,
        tables,
        (&signer, request_id.as_deref()),
        &operation,
        bytes,
    );
    // Every tree of the request is gone: the memory goes back before the
    // next large request has the share.
    if large {
        budget::return_memory().await;
        budget::return_memory_soon();
    }
    drop(share);
    answer
}

/// The call `bytes` carries, once it has its share of memory: its tree
/// built, the caller's role checked, the operation run (`request_id`: the
/// caller's invocation when the call came).
fn answer_body(
    services: &Services,
    tables: &Tables,
    (signer, request_id): (&Signer, Option<&str>),
    operation: &str,
    bytes: Bytes,
) -> Result<Value, DynamoError> {
    let body: Value = serde_json::from_slice(&bytes).map_err(not_json)?;
    drop(bytes);
    let on = body
        .get("TableName")
        .and_then(Value::as_str)
        .unwrap_or("every table");
    let call = format!("dynamodb:{operation} on {on}");
    let caller = signer.caller.as_deref();
    for (action, resource) in permissions::required(&services.region, operation, &body) {
        services
            .iam
            .authorize(caller, &action, &resource, &call, &services.events)
            .map_err(|refusal| {
                DynamoError::access_denied(&refusal.caller, &action, &resource, refusal.explicit)
            })?;
    }
    run(tables, &services.events, request_id, operation, body)
        .inspect_err(|error| refusal::report(&services.events, caller, &call, error))
}

/// The request's body, bounded by DynamoDB's limit and the emulator's time.
async fn read_body(services: &Services, request: Request<Incoming>) -> Result<Bytes, DynamoError> {
    body::read(
        request.into_body(),
        MAX_REQUEST_BYTES,
        services.body_timeout,
    )
    .await
    .map_err(|error| match error {
        BodyError::TimedOut => DynamoError::new(
            ErrorCode::RequestTimeout,
            "Request timed out: the body did not arrive in time",
        ),
        BodyError::TooLarge | BodyError::Broken => {
            DynamoError::validation("Request size exceeded 16 MB")
        }
    })
}

fn not_json(error: serde_json::Error) -> DynamoError {
    DynamoError::serialization(format!("the body is not JSON: {error}"))
}

/// A large request's unused placeholders, refused before its tree is
/// built, for the operations whose top level carries them (a smaller
/// request meets the full check, after its expressions are parsed).
fn refuse_unused_placeholders(survey: &Survey<'_>, operation: &str) -> Result<(), DynamoError> {
    match operation {
        "PutItem" | "DeleteItem" | "UpdateItem" | "Query" | "Scan" => survey.unused_placeholders(),
        _ => Ok(()),
    }
}

/// One operation on the tables; `caller` is the request id of the
/// invocation that asks, when known.
pub(crate) fn run(
    tables: &Tables,
    events: &EventBus,
    caller: Option<&str>,
    operation: &str,
    body: Value,
) -> Result<Value, DynamoError> {
    match operation {
        "PutItem" => items::put(tables, events, caller, parse(body)?),
        "GetItem" => items::get(tables, parse(body)?),
        "UpdateItem" => update_item::update(tables, events, caller, parse(body)?),
        "BatchWriteItem" => batch::write(tables, events, caller, parse(body)?),
        "BatchGetItem" => batch::get(tables, parse(body)?),
        "TransactWriteItems" => {
            let fingerprint = transact::fingerprint(&body);
            transact::write(tables, events, caller, parse(body)?, fingerprint)
        }
        "DeleteItem" => items::delete(tables, events, caller, parse(body)?),
        "Query" => read::query(tables, parse(body)?),
        "Scan" => read::scan(tables, parse(body)?),
        "DescribeTable" => describe::describe_table(tables, parse(body)?),
        "ListTables" => describe::list_tables(tables, parse(body)?),
        other => Err(unknown_operation(other)),
    }
}

/// DynamoDB Local's answer to an operation it lacks, naming it and what there is.
fn unknown_operation(operation: &str) -> DynamoError {
    DynamoError::new(
        ErrorCode::UnknownOperation,
        format!(
            "An unknown operation was requested: the checker's local DynamoDB does not support \
             {operation}; it supports {SUPPORTED_OPERATIONS}"
        ),
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn tables() -> Tables {
        use crate::stack::{KeyAttribute, KeySchema, Location, ScalarKind, Table};
        let key = KeyAttribute {
            name: "ConnectionId".to_owned(),
            kind: ScalarKind::S,
        };
        let table = Table {
            logical_id: "Connections".to_owned(),
            declared_name: Some("connections".to_owned()),
            name: "connections".to_owned(),
            key: KeySchema {
                partition: key.clone(),
                sort: None,
            },
            attributes: vec![key],
            indexes: Vec::new(),
            billing_mode: "PAY_PER_REQUEST".to_owned(),
            at: Location {
                file: "serverless.yml".into(),
                line: 1,
                column: 1,
            },
        };
        Tables::new(&[table], "eu-west-1")
    }

    #[test]
    fn operations_write_read_and_report_writes() {
        let tables = tables();
        let events = EventBus::default();
        let mut stream = events.subscribe();
        let item = json!({ "TableName": "connections", "Item": {
            "ConnectionId": { "S": "abc=" }, "Name": { "S": "alice" }
        }});
        assert_eq!(run(&tables, &events, None, "PutItem", item), Ok(json!({})));
        assert_eq!(
            stream.try_recv(),
            Some(super::super::events::Event::TableWrite {
                table: "connections".to_owned(),
                operation: "PutItem".to_owned(),
                key: r#"{"ConnectionId":{"S":"abc="}}"#.to_owned(),
                request_id: None,
            })
        );
        let got = run(
            &tables,
            &events,
            None,
            "GetItem",
            json!({ "TableName": "connections", "Key": { "ConnectionId": { "S": "abc=" } } }),
        );
        assert_eq!(got.expect("found")["Item"]["Name"], json!({ "S": "alice" }));
        let dump = tables.dump();
        assert_eq!(dump.len(), 1);
        assert_eq!(dump[0].items.len(), 1);
    }

    #[test]
    fn unknown_operations_and_parameters_are_named() {
        let tables = tables();
        let events = EventBus::default();
        let error =
            run(&tables, &events, None, "TransactGetItems", json!({})).expect_err("unsupported");
        assert_eq!(error.code, ErrorCode::UnknownOperation);
        assert!(
            error.message.contains("does not support TransactGetItems"),
            "{}",
            error.message
        );
        let error = run(
            &tables,
            &events,
            None,
            "Scan",
            json!({ "TableName": "connections", "Segment": 0, "TotalSegments": 2 }),
        )
        .expect_err("unsupported");
        assert_eq!(error.code, ErrorCode::Validation);
        assert!(
            error.message.contains("the parameter Segment of Scan"),
            "{}",
            error.message
        );
        let error = run(
            &tables,
            &events,
            None,
            "Scan",
            json!({ "TableName": "connections", "ScanIndexForward": false }),
        )
        .expect_err("a Query parameter");
        assert!(
            error.message.contains("ScanIndexForward of Scan"),
            "{}",
            error.message
        );
        let error = run(
            &tables,
            &events,
            None,
            "GetItem",
            json!({ "TableName": "nope", "Key": {} }),
        )
        .expect_err("no such table");
        assert_eq!(error.code, ErrorCode::ResourceNotFound);
    }

    #[test]
    fn conditional_write_parameters_are_read_and_others_refused() {
        let tables = tables();
        let events = EventBus::default();
        let put = |extra: Value| {
            let mut body = json!({ "TableName": "connections", "Item": {
                "ConnectionId": { "S": "abc=" }
            }});
            body.as_object_mut()
                .expect("a JSON object")
                .extend(extra.as_object().expect("a JSON object").clone());
            run(&tables, &events, None, "PutItem", body)
        };
        let condition = json!({
            "ConditionExpression": "attribute_not_exists(#id)",
            "ExpressionAttributeNames": { "#id": "ConnectionId" },
            "ReturnValues": "ALL_OLD"
        });
        assert_eq!(put(condition.clone()), Ok(json!({})));
        let error = put(condition).expect_err("the item exists now");
        assert_eq!(error.code, ErrorCode::ConditionalCheckFailed);
        let error = put(json!({ "ReturnValues": "ALL_NEW" })).expect_err("not for PutItem");
        assert_eq!(error.code, ErrorCode::Validation);
        let error = put(json!({ "Expected": { "ConnectionId": { "Exists": false } } }))
            .expect_err("a legacy parameter");
        assert!(
            error.message.contains("the parameter Expected of PutItem"),
            "{}",
            error.message
        );
    }
}
