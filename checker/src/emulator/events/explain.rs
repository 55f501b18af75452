//! What the IAM and endpoint events mean for the learner: what AWS does, as
//! the emulator did, and what to change, in a sentence a report can show.

use std::path::{Component, Path, PathBuf};

use crate::stack::{Location, STATEMENTS_FIELD};

/// A call the role refused.
pub(super) fn access_denied(
    function: &str,
    action: &str,
    resource: &str,
    deny_at: Option<&Location>,
    grant_at: &Location,
) -> String {
    let answer = if action.starts_with("dynamodb:") {
        "AccessDeniedException (HTTP 400)"
    } else {
        "403 ForbiddenException"
    };
    let refused = format!(
        "{function} was refused {action} on {}",
        shown_resource(resource)
    );
    match deny_at {
        Some(deny) => format!(
            "{refused}: the Deny statement at {} refuses it, and a Deny wins over every Allow, \
             so AWS answers {answer}, as the checker did; narrow that Deny or remove it",
            shown(deny)
        ),
        None => {
            let index = if resource.contains("/index/") {
                "; an index is a resource of its own, which the table's ARN does not cover: add \
                 `!Join ['/', [!GetAtt <Table>.Arn, 'index/*']]`"
            } else {
                ""
            };
            format!(
                "{refused}: no statement of the functions' IAM role allows it, so AWS answers \
                 {answer}, as the checker did; grant it under {STATEMENTS_FIELD} ({}): \
                 `- Effect: Allow` with `Action: {action}` and a `Resource` that covers that \
                 ARN{index}",
                shown(grant_at)
            )
        }
    }
}

/// A call made after the handler returned.
pub(super) fn after_return(function: &str, call: &str) -> String {
    format!(
        "{function} did work after its handler had returned ({call}): Lambda freezes the \
         process once the runtime asks for the next event, so such work runs late, at a later \
         invocation, or never, on AWS as here; await it before returning (a `tokio::spawn`ed \
         task or a future nobody awaits is such work)"
    )
}

/// A DynamoDB call refused for a mistake in it, or for a limit of the local copy.
pub(super) fn dynamodb_refused(
    function: Option<&str>,
    call: &str,
    error: &str,
    advice: Option<&str>,
    local_limit: bool,
) -> String {
    let who = function.unwrap_or("a client that is not a Lambda");
    if local_limit {
        return format!(
            "{who} called {call}, which the checker's local DynamoDB cannot run ({error}); \
             DynamoDB may accept it, so this says nothing about your code: write the call with \
             what the message lists, or check against another DynamoDB with \
             --dynamodb-endpoint"
        );
    }
    let fix = advice.unwrap_or("change the call as DynamoDB's message says");
    let answer = match error.split_once(": ") {
        Some((code, message)) => format!("{code} \"{message}\""),
        None => error.to_owned(),
    };
    format!(
        "{who} called {call}, which DynamoDB refuses: AWS answers every such call with \
         {answer}, as the checker did; {fix}"
    )
}

/// A call sent to the SDK's regional endpoint.
pub(super) fn regional_endpoint(
    function: Option<&str>,
    service: &str,
    region: &str,
    method: &str,
    path: &str,
    status: u16,
) -> String {
    let who = function.unwrap_or("a client that is not a Lambda");
    if service == "execute-api" {
        format!(
            "{who} called @connections ({method} {}) through the SDK's regional endpoint \
             https://execute-api.{region}.amazonaws.com, which knows no API: on AWS as here every \
             call there fails with {status} ForbiddenException. Its client was built from the \
             environment alone; build it for the API that sent the event: \
             `config::Builder::from(&config).endpoint_url(format!(\"https://{{domain_name}}/{{stage}}\"))`, \
             with `domain_name` and `stage` from the event's `request_context`",
            without_connection(path)
        )
    } else {
        format!(
            "{who} called {service} through the SDK's regional endpoint; the checker emulates \
             @connections and DynamoDB only, so that call failed here ({status}) without leaving \
             this machine"
        )
    }
}

/// A place in serverless.yml as a reader can open it: its path relative to
/// the current folder (`exercises/03-websockets-party/serverless.yml:24:7`,
/// or with `../` from a folder beside it).
fn shown(at: &Location) -> String {
    let relative = std::env::current_dir()
        .ok()
        .and_then(|dir| relative_to(&dir, &at.file));
    match relative {
        Some(file) => Location { file, ..at.clone() }.to_string(),
        None => at.to_string(),
    }
}

/// `path` seen from `base`, both absolute; `None` when either is not.
fn relative_to(base: &Path, path: &Path) -> Option<PathBuf> {
    if !base.is_absolute() || !path.is_absolute() {
        return None;
    }
    let base: Vec<Component<'_>> = base.components().collect();
    let path: Vec<Component<'_>> = path.components().collect();
    let shared = base.iter().zip(&path).take_while(|(a, b)| a == b).count();
    let mut relative = PathBuf::new();
    for _ in shared..base.len() {
        relative.push("..");
    }
    relative.extend(&path[shared..]);
    Some(relative)
}

/// An ARN or path with the connection id after `@connections/` as `{connectionId}`.
fn without_connection(text: &str) -> String {
    match text.find("@connections/") {
        Some(start) => format!("{}@connections/{{connectionId}}", &text[..start]),
        None => text.to_owned(),
    }
}

/// An ARN as a message shows it: the API's and the connection's random ids
/// of an `execute-api` ARN as `{apiId}` and `{connectionId}`, so one mistake
/// reads the same every run.
fn shown_resource(resource: &str) -> String {
    let resource = without_connection(resource);
    let Some(rest) = resource.strip_prefix("arn:aws:execute-api:") else {
        return resource;
    };
    match rest.splitn(3, ':').collect::<Vec<_>>().as_slice() {
        [region, account, path] => match path.split_once('/') {
            Some((_api, tail)) => {
                format!("arn:aws:execute-api:{region}:{account}:{{apiId}}/{tail}")
            }
            None => resource.clone(),
        },
        _ => resource.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_are_shown_from_the_current_folder() {
        let file = Path::new("/w/exercises/03/serverless.yml");
        assert_eq!(
            relative_to(Path::new("/w"), file),
            Some(PathBuf::from("exercises/03/serverless.yml"))
        );
        assert_eq!(
            relative_to(Path::new("/w/checker"), file),
            Some(PathBuf::from("../exercises/03/serverless.yml"))
        );
        assert_eq!(
            relative_to(Path::new("/w"), Path::new("serverless.yml")),
            None
        );
    }

    #[test]
    fn execute_api_arns_read_the_same_every_run() {
        assert_eq!(
            shown_resource(
                "arn:aws:execute-api:eu-west-1:000000000000:abcdefghij/dev/DELETE/@connections/R1kmxc2VNjMCFIA="
            ),
            "arn:aws:execute-api:eu-west-1:000000000000:{apiId}/dev/DELETE/@connections/{connectionId}"
        );
        let table = "arn:aws:dynamodb:eu-west-1:000000000000:table/t/index/i";
        assert_eq!(shown_resource(table), table);
    }
}
