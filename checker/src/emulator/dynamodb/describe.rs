//! DescribeTable and ListTables: every table is `ACTIVE` from the start.

use serde_json::{Value, json};

use super::error::DynamoError;
use super::request::{DescribeTable, ListTables};
use super::tables::Tables;
use super::value::Item;
use crate::stack::{Index, KeySchema, Projection, table_arn};

const MAX_LIST: i64 = 100;

pub(crate) fn describe_table(tables: &Tables, input: DescribeTable) -> Result<Value, DynamoError> {
    let table = tables.get(&input.table_name)?;
    let schema = &table.schema;
    // The ARN `!GetAtt Table.Arn` gives the Lambdas, so the two agree.
    let arn = table_arn(&tables.region, &schema.name);
    let items: Vec<Item> = table.items().values().cloned().collect();
    let mut description = json!({
        "TableName": schema.name,
        "TableArn": arn,
        "TableStatus": "ACTIVE",
        "CreationDateTime": table.created_at,
        "KeySchema": key_schema(&schema.key),
        "AttributeDefinitions": schema.attributes.iter().map(|attribute| json!({
            "AttributeName": attribute.name,
            "AttributeType": attribute.kind.to_string(),
        })).collect::<Vec<_>>(),
        "ItemCount": items.len(),
        "TableSizeBytes": size(items.iter()),
        "BillingModeSummary": { "BillingMode": schema.billing_mode },
        "ProvisionedThroughput": {
            "NumberOfDecreasesToday": 0,
            "ReadCapacityUnits": 0,
            "WriteCapacityUnits": 0,
        },
    });
    for (field, local) in [
        ("GlobalSecondaryIndexes", false),
        ("LocalSecondaryIndexes", true),
    ] {
        let indexes: Vec<Value> = schema
            .indexes
            .iter()
            .filter(|index| index.local == local)
            .map(|index| describe_index(index, &arn, &items))
            .collect();
        if !indexes.is_empty() {
            description[field] = json!(indexes);
        }
    }
    Ok(json!({ "Table": description }))
}

fn describe_index(index: &Index, table_arn: &str, items: &[Item]) -> Value {
    let in_index: Vec<&Item> = items
        .iter()
        .filter(|item| index.key.key_in_index(item).is_some())
        .collect();
    let mut projection = json!({ "ProjectionType": match &index.projection {
        Projection::All => "ALL",
        Projection::KeysOnly => "KEYS_ONLY",
        Projection::Include(_) => "INCLUDE",
    }});
    if let Projection::Include(names) = &index.projection {
        projection["NonKeyAttributes"] = json!(names);
    }
    let mut description = json!({
        "IndexName": index.name,
        "IndexArn": format!("{table_arn}/index/{}", index.name),
        "KeySchema": key_schema(&index.key),
        "Projection": projection,
        "ItemCount": in_index.len(),
        "IndexSizeBytes": size(in_index.into_iter()),
    });
    if !index.local {
        description["IndexStatus"] = json!("ACTIVE");
    }
    description
}

fn key_schema(key: &KeySchema) -> Vec<Value> {
    let mut schema = vec![json!({ "AttributeName": key.partition.name, "KeyType": "HASH" })];
    if let Some(sort) = &key.sort {
        schema.push(json!({ "AttributeName": sort.name, "KeyType": "RANGE" }));
    }
    schema
}

/// Roughly what DynamoDB counts: the items' JSON, a little more than their real size.
fn size<'i>(items: impl Iterator<Item = &'i Item>) -> usize {
    items
        .map(|item| serde_json::to_vec(item).map_or(0, |json| json.len()))
        .sum()
}

pub(crate) fn list_tables(tables: &Tables, input: ListTables) -> Result<Value, DynamoError> {
    let limit = input.limit.unwrap_or(MAX_LIST);
    if !(1..=MAX_LIST).contains(&limit) {
        return Err(DynamoError::validation(format!(
            "1 validation error detected: Value '{limit}' at 'limit' failed to satisfy \
             constraint: Member must have value between 1 and {MAX_LIST}"
        )));
    }
    let after = input.exclusive_start_table_name.as_deref();
    let names: Vec<&String> = tables
        .names()
        .filter(|name| after.is_none_or(|after| name.as_str() > after))
        .collect();
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let page = &names[..names.len().min(limit)];
    let mut answer = json!({ "TableNames": page });
    if names.len() > limit {
        answer["LastEvaluatedTableName"] = json!(page.last());
    }
    Ok(answer)
}
