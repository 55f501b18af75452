//! What IAM must allow for a call: the action, as the function's role names
//! it, on each table or index the call reads or writes. A batch needs its
//! own action on every table it names; a transaction needs the action of
//! each of its parts (`dynamodb:PutItem`, `dynamodb:ConditionCheckItem`…)
//! on that part's table, as DynamoDB's guide on transactions and IAM says.

use serde_json::Value;

use super::transact;
use crate::stack::table_arn;

/// The most tables a valid batch can name: one request each, 100 at most.
const MAX_TABLES: usize = 100;

/// `(action, resource ARN)` pairs, each checked; none when the call names no
/// table (DynamoDB refuses it anyway).
pub(crate) fn required(region: &str, operation: &str, body: &Value) -> Vec<(String, String)> {
    let action = format!("dynamodb:{operation}");
    match operation {
        "ListTables" => vec![(action, table_arn(region, "*"))],
        "BatchWriteItem" | "BatchGetItem" => body
            .get("RequestItems")
            .and_then(Value::as_object)
            .into_iter()
            .flat_map(|tables| tables.keys())
            // Past 100 tables the batch is refused anyway (100 keys at most).
            .take(MAX_TABLES + 1)
            .map(|table| (action.clone(), table_arn(region, table)))
            .collect(),
        "TransactWriteItems" => {
            let mut pairs: Vec<(String, String)> = Vec::new();
            for (action, table) in transact::permissions(body) {
                let pair = (action.to_owned(), table_arn(region, &table));
                if !pairs.contains(&pair) {
                    pairs.push(pair);
                }
            }
            pairs
        }
        _ => {
            let Some(table) = body.get("TableName").and_then(Value::as_str) else {
                return Vec::new();
            };
            let table = table_arn(region, table);
            let resource = match body.get("IndexName").and_then(Value::as_str) {
                Some(index) => format!("{table}/index/{index}"),
                None => table,
            };
            vec![(action, resource)]
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn batches_and_transactions_need_an_action_per_table() {
        let batch = json!({ "RequestItems": { "a": [], "b": [] } });
        let pairs = required("eu-west-1", "BatchWriteItem", &batch);
        assert_eq!(pairs.len(), 2);
        assert!(pairs[0].0 == "dynamodb:BatchWriteItem" && pairs[0].1.ends_with(":table/a"));
        let transaction = json!({ "TransactItems": [
            { "Put": { "TableName": "a", "Item": {} } },
            { "ConditionCheck": { "TableName": "b", "Key": {} } },
            { "Put": { "TableName": "a", "Item": {} } },
        ]});
        let pairs = required("eu-west-1", "TransactWriteItems", &transaction);
        let actions: Vec<&str> = pairs.iter().map(|(action, _)| action.as_str()).collect();
        assert_eq!(actions, ["dynamodb:PutItem", "dynamodb:ConditionCheckItem"]);
        let query = json!({ "TableName": "t", "IndexName": "i" });
        assert!(
            required("eu-west-1", "Query", &query)[0]
                .1
                .ends_with(":table/t/index/i")
        );
        assert!(required("eu-west-1", "GetItem", &json!({})).is_empty());
    }
}
