//! Ids change every run: transcripts name connections by their client and
//! mask request ids, so two correct runs read the same.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex_lite::Regex;

static CONNECTION_ID_FIELD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#""connectionId"\s*:\s*"([^"]*)""#).expect("the pattern is valid")
});
static REQUEST_ID_FIELD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#""requestId"\s*:\s*"[^"]*""#).expect("the pattern is valid"));

/// Replaces known connection ids with `<name>` and request ids with `<request-id>`.
pub(super) fn redact(line: &str, names: &BTreeMap<String, String>) -> String {
    let mut line = line.to_owned();
    for (id, name) in names {
        line = line.replace(id.as_str(), &format!("<{name}>"));
    }
    let line = CONNECTION_ID_FIELD.replace_all(&line, |captures: &regex_lite::Captures<'_>| {
        let value = &captures[1];
        if value.starts_with('<') {
            captures[0].to_owned()
        } else {
            captures[0].replace(value, "<unknown-connection>")
        }
    });
    REQUEST_ID_FIELD
        .replace_all(&line, r#""requestId":"<request-id>""#)
        .into_owned()
}

/// Rust's panic message names the thread's id, which changes every run.
static THREAD_ID: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"thread '([^']*)' \(\d+\)").expect("the pattern is valid"));

/// Names known connection ids and drops thread ids from a Lambda's output.
pub(super) fn redact_log(line: &str, names: &BTreeMap<String, String>) -> String {
    let named = redact(line, names);
    THREAD_ID.replace_all(&named, "thread '$1'").into_owned()
}

/// The connection id an API Gateway error frame carries, if any.
pub(super) fn connection_id_in(text: &str) -> Option<String> {
    CONNECTION_ID_FIELD
        .captures(text)
        .map(|captures| captures[1].to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_become_names_and_placeholders() {
        let names = BTreeMap::from([("R1kmxc2VNjMCFIA=".to_owned(), "alice".to_owned())]);
        let frame = r#"{"message": "Forbidden", "connectionId":"R1kmxc2VNjMCFIA=", "requestId":"abcDEF123456+/A="}"#;
        assert_eq!(
            redact(frame, &names),
            r#"{"message": "Forbidden", "connectionId":"<alice>", "requestId":"<request-id>"}"#
        );
        assert_eq!(
            redact_log(
                "thread 'main' (14681) panicked, R1kmxc2VNjMCFIA= left",
                &names
            ),
            "thread 'main' panicked, <alice> left"
        );
        let other = r#"{"connectionId":"Zzzzzzzzzzzzzzz="}"#;
        assert_eq!(
            redact(other, &names),
            r#"{"connectionId":"<unknown-connection>"}"#
        );
    }
}
