//! Item sizes as DynamoDB counts them ("DynamoDB item sizes and formats"),
//! for its 400 KB item limit and the 1 MB a Query or Scan reads per page.

use serde_json::Value;

use super::error::DynamoError;
use super::number::Number;
use super::value::{Item, Scalar, tagged};

/// DynamoDB's limit on one item, names and values together.
pub(crate) const MAX_ITEM_BYTES: usize = 400 * 1024;
/// What one Query or Scan page reads at most, before its filter.
pub(crate) const MAX_PAGE_BYTES: usize = 1024 * 1024;

/// The item's size: each attribute's name and value.
pub(crate) fn item_size(item: &Item) -> usize {
    item.iter()
        .map(|(name, value)| name.len() + value_size(value))
        .sum()
}

/// A value's size: strings in UTF-8 bytes, binaries in raw bytes, numbers
/// one byte per two significant digits plus one, booleans and nulls one
/// byte, lists and maps 3 bytes plus one per element plus the elements.
fn value_size(value: &Value) -> usize {
    let Some((tag, inner)) = tagged(value) else {
        return 0;
    };
    match (tag, inner) {
        ("S", Value::String(text)) => text.len(),
        ("N", Value::String(text)) => number_size(text),
        ("B", _) => binary_size(value),
        ("BOOL" | "NULL", _) => 1,
        ("SS", Value::Array(members)) => {
            members.iter().filter_map(Value::as_str).map(str::len).sum()
        }
        ("NS", Value::Array(members)) => members
            .iter()
            .filter_map(Value::as_str)
            .map(number_size)
            .sum(),
        ("BS", Value::Array(members)) => members
            .iter()
            .map(|member| binary_size(&serde_json::json!({ "B": member })))
            .sum(),
        ("L", Value::Array(elements)) => {
            3 + elements
                .iter()
                .map(|element| 1 + value_size(element))
                .sum::<usize>()
        }
        ("M", Value::Object(entries)) => {
            3 + entries
                .iter()
                .map(|(name, value)| 1 + name.len() + value_size(value))
                .sum::<usize>()
        }
        _ => 0,
    }
}

fn number_size(text: &str) -> usize {
    Number::parse(text).map_or(text.len(), |number| {
        number.significant_digits().div_ceil(2) + 1
    })
}

fn binary_size(value: &Value) -> usize {
    match Scalar::of(value) {
        Some(Scalar::B(bytes)) => bytes.len(),
        _ => 0,
    }
}

/// PutItem's and BatchWriteItem's refusal of an item over 400 KB.
pub(crate) fn check_item(item: &Item) -> Result<(), DynamoError> {
    if item_size(item) > MAX_ITEM_BYTES {
        return Err(too_large("Item size has exceeded the maximum allowed size"));
    }
    Ok(())
}

/// UpdateItem's refusal of an update that leaves the item over 400 KB.
pub(crate) fn check_updated(item: &Item) -> Result<(), DynamoError> {
    if item_size(item) > MAX_ITEM_BYTES {
        return Err(too_large(
            "Item size to update has exceeded the maximum allowed size",
        ));
    }
    Ok(())
}

fn too_large(message: &str) -> DynamoError {
    DynamoError::validation(message).advise(
        "a DynamoDB item holds at most 400 KB, attribute names included: keep large data \
         elsewhere (S3, with its key in the item) or split it over several items",
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn size(item: Value) -> usize {
        item_size(item.as_object().expect("an item"))
    }

    #[test]
    fn sizes_follow_dynamodbs_rules() {
        assert_eq!(size(json!({"ab": {"S": "héllo"}})), 2 + 6);
        assert_eq!(size(json!({"n": {"N": "12345"}})), 1 + 3 + 1);
        assert_eq!(size(json!({"n": {"N": "1200.0"}})), 1 + 1 + 1);
        assert_eq!(size(json!({"b": {"B": "AAEC"}})), 1 + 3);
        assert_eq!(
            size(json!({"t": {"BOOL": true}, "z": {"NULL": true}})),
            2 + 2
        );
        assert_eq!(
            size(json!({"l": {"L": [{"S": "ab"}, {"N": "1"}]}})),
            1 + 3 + (1 + 2) + (1 + 2)
        );
        assert_eq!(
            size(json!({"m": {"M": {"k": {"S": "v"}}}})),
            1 + 3 + 1 + 1 + 1
        );
        assert_eq!(size(json!({"s": {"SS": ["a", "bc"]}})), 1 + 3);
    }

    #[test]
    fn items_over_400_kb_are_refused() {
        let fits = json!({ "d": { "S": "x".repeat(MAX_ITEM_BYTES - 1) } });
        assert_eq!(check_item(fits.as_object().expect("an item")), Ok(()));
        let over = json!({ "d": { "S": "x".repeat(MAX_ITEM_BYTES) } });
        let error = check_item(over.as_object().expect("an item")).expect_err("too large");
        assert_eq!(
            error.message,
            "Item size has exceeded the maximum allowed size"
        );
    }
}
