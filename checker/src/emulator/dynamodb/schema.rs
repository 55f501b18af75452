//! The tables a stack declares: the `AWS::DynamoDB::Table` resources of
//! `resources.Resources`, checked as CloudFormation and DynamoDB would check
//! them on deploy, so a definition that would fail there fails here first.

use serde_json::Value;

use super::value::ScalarKind;

const TABLE_TYPE: &str = "AWS::DynamoDB::Table";
const KEY_SCHEMA_EXAMPLE: &str = "`KeySchema: [{ AttributeName: ConnectionId, KeyType: HASH }]`";

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct KeyAttribute {
    pub(crate) name: String,
    pub(crate) kind: ScalarKind,
}

/// A partition key (HASH) and an optional sort key (RANGE).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct KeySchema {
    pub(crate) partition: KeyAttribute,
    pub(crate) sort: Option<KeyAttribute>,
}

impl KeySchema {
    pub(crate) fn attributes(&self) -> impl Iterator<Item = &KeyAttribute> {
        std::iter::once(&self.partition).chain(&self.sort)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Projection {
    All,
    KeysOnly,
    /// The keys and these attributes.
    Include(Vec<String>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Index {
    pub(crate) name: String,
    pub(crate) key: KeySchema,
    pub(crate) projection: Projection,
    /// A local secondary index (same partition key as the table), else global.
    pub(crate) local: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TableSchema {
    pub(crate) name: String,
    pub(crate) key: KeySchema,
    /// `AttributeDefinitions`, in file order.
    pub(crate) attributes: Vec<KeyAttribute>,
    pub(crate) indexes: Vec<Index>,
    /// `PAY_PER_REQUEST` or `PROVISIONED` (CloudFormation's default).
    pub(crate) billing_mode: String,
}

impl TableSchema {
    pub(crate) fn index(&self, name: &str) -> Option<&Index> {
        self.indexes.iter().find(|index| index.name == name)
    }
}

/// What is wrong with the table resource `resource`; `problem` says what to write.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct TableProblem {
    pub(crate) resource: String,
    pub(crate) problem: String,
}

/// The tables of a stack's `resources` section (`Null` when it has none).
pub(crate) fn tables(resources: &Value) -> Result<Vec<TableSchema>, TableProblem> {
    let Some(declared) = resources.get("Resources").and_then(Value::as_object) else {
        return Ok(Vec::new());
    };
    let mut tables: Vec<(&String, TableSchema)> = Vec::new();
    for (logical_id, resource) in declared {
        if resource.get("Type").and_then(Value::as_str) != Some(TABLE_TYPE) {
            continue;
        }
        let problem = |problem: String| TableProblem {
            resource: logical_id.clone(),
            problem,
        };
        let table = table(logical_id, resource).map_err(problem)?;
        if let Some((other, _)) = tables.iter().find(|(_, other)| other.name == table.name) {
            return Err(problem(format!(
                "has the table name `{}`, like the table `{other}`; give each table a `TableName` \
                 of its own",
                table.name
            )));
        }
        tables.push((logical_id, table));
    }
    Ok(tables.into_iter().map(|(_, table)| table).collect())
}

fn table(logical_id: &str, resource: &Value) -> Result<TableSchema, String> {
    let Some(properties) = resource.get("Properties").filter(|p| p.is_object()) else {
        return Err(format!(
            "has no `Properties`; give it `Properties:` with `KeySchema` and \
             `AttributeDefinitions`, e.g. {KEY_SCHEMA_EXAMPLE} and \
             `AttributeDefinitions: [{{ AttributeName: ConnectionId, AttributeType: S }}]`"
        ));
    };
    // CloudFormation makes a name up when there is none; the stack's `Ref`
    // to the table resolves to the logical id then, so the table takes it.
    let name = match properties.get("TableName") {
        None | Some(Value::Null) => logical_id.to_owned(),
        Some(Value::String(name)) if !name.is_empty() => name.clone(),
        Some(other) => {
            return Err(format!(
                "has a `TableName` that is not a name ({other}); write text, e.g. \
                 `TableName: ${{self:service}}-${{sls:stage}}-connections`, or leave it out"
            ));
        }
    };
    let attributes = attribute_definitions(properties)?;
    let key = key_schema(properties.get("KeySchema"), "KeySchema", &attributes)?;
    let mut indexes: Vec<Index> = Vec::new();
    for (field, local) in [
        ("GlobalSecondaryIndexes", false),
        ("LocalSecondaryIndexes", true),
    ] {
        for entry in list(properties.get(field), field)? {
            let index = index(entry, field, local, &attributes)?;
            if local && index.key.partition != key.partition {
                return Err(format!(
                    "has the local secondary index `{}` with the partition key `{}`, but a local \
                     index shares the table's partition key `{}`; use it, or make the index global",
                    index.name, index.key.partition.name, key.partition.name
                ));
            }
            if indexes.iter().any(|other| other.name == index.name) {
                return Err(format!(
                    "has two indexes named `{}`; give each index a name of its own",
                    index.name
                ));
            }
            indexes.push(index);
        }
    }
    let unused: Vec<&str> = attributes
        .iter()
        .filter(|definition| {
            !key.attributes()
                .chain(indexes.iter().flat_map(|index| index.key.attributes()))
                .any(|used| used.name == definition.name)
        })
        .map(|definition| definition.name.as_str())
        .collect();
    if !unused.is_empty() {
        return Err(format!(
            "defines {} in `AttributeDefinitions` but uses it in no `KeySchema`; DynamoDB refuses \
             that on deploy (\"Some AttributeDefinitions are not used\"), so define only key \
             attributes: other attributes need no declaration",
            unused.join(", ")
        ));
    }
    let billing_mode = match properties.get("BillingMode") {
        Some(Value::String(mode)) if mode == "PAY_PER_REQUEST" || mode == "PROVISIONED" => {
            mode.clone()
        }
        None | Some(Value::Null) => "PROVISIONED".to_owned(),
        Some(other) => {
            return Err(format!(
                "has the BillingMode {other}; write `BillingMode: PAY_PER_REQUEST` or \
                 `PROVISIONED`"
            ));
        }
    };
    Ok(TableSchema {
        name,
        key,
        attributes,
        indexes,
        billing_mode,
    })
}

fn attribute_definitions(properties: &Value) -> Result<Vec<KeyAttribute>, String> {
    let example = "`AttributeDefinitions: [{ AttributeName: ConnectionId, AttributeType: S }]`";
    let entries = list(
        properties.get("AttributeDefinitions"),
        "AttributeDefinitions",
    )?;
    if entries.is_empty() {
        return Err(format!(
            "has no `AttributeDefinitions`; declare the type of each key attribute: {example}"
        ));
    }
    let mut definitions: Vec<KeyAttribute> = Vec::new();
    for entry in entries {
        let name = text(entry, "AttributeName").ok_or_else(|| {
            format!("has an `AttributeDefinitions` entry without `AttributeName`; write {example}")
        })?;
        let kind = text(entry, "AttributeType").and_then(|kind| ScalarKind::parse(&kind));
        let Some(kind) = kind else {
            return Err(format!(
                "gives the attribute `{name}` no valid `AttributeType`; a key attribute is `S` \
                 (string), `N` (number) or `B` (binary), e.g. {example}"
            ));
        };
        if definitions.iter().any(|other| other.name == name) {
            return Err(format!(
                "defines the attribute `{name}` twice in `AttributeDefinitions`; keep one"
            ));
        }
        definitions.push(KeyAttribute { name, kind });
    }
    Ok(definitions)
}

fn key_schema(
    schema: Option<&Value>,
    field: &str,
    definitions: &[KeyAttribute],
) -> Result<KeySchema, String> {
    let entries = list(schema, field)?;
    let mut hash = None;
    let mut range = None;
    for entry in entries {
        let name = text(entry, "AttributeName").ok_or_else(|| {
            format!("has a `{field}` entry without `AttributeName`; write {KEY_SCHEMA_EXAMPLE}")
        })?;
        let slot = match text(entry, "KeyType").as_deref() {
            Some("HASH") => &mut hash,
            Some("RANGE") => &mut range,
            _ => {
                return Err(format!(
                    "gives `{name}` in `{field}` no valid `KeyType`; it is `HASH` (the partition \
                     key) or `RANGE` (the sort key)"
                ));
            }
        };
        if slot.is_some() {
            return Err(format!(
                "has two keys of the same `KeyType` in `{field}`; a key schema has one `HASH` \
                 key and at most one `RANGE` key"
            ));
        }
        let Some(definition) = definitions
            .iter()
            .find(|definition| definition.name == name)
        else {
            return Err(format!(
                "uses `{name}` in `{field}`, but `AttributeDefinitions` does not define it; add \
                 `{{ AttributeName: {name}, AttributeType: S }}` (or N, B) there"
            ));
        };
        *slot = Some(definition.clone());
    }
    let Some(partition) = hash else {
        return Err(format!(
            "has no partition key in `{field}`; write {KEY_SCHEMA_EXAMPLE}, with a \
             `KeyType: RANGE` entry after it for a sort key"
        ));
    };
    Ok(KeySchema {
        partition,
        sort: range,
    })
}

fn index(
    entry: &Value,
    field: &str,
    local: bool,
    definitions: &[KeyAttribute],
) -> Result<Index, String> {
    let Some(name) = text(entry, "IndexName") else {
        return Err(format!(
            "has an entry in `{field}` without `IndexName`; write e.g. `IndexName: \
             ConnectionIdIndex`"
        ));
    };
    let key = key_schema(
        entry.get("KeySchema"),
        &format!("{field}.{name}.KeySchema"),
        definitions,
    )?;
    let projection_example = "`Projection: { ProjectionType: ALL }`";
    let projection = entry.get("Projection");
    let projection = match projection
        .and_then(|p| text(p, "ProjectionType"))
        .as_deref()
    {
        Some("ALL") => Projection::All,
        Some("KEYS_ONLY") => Projection::KeysOnly,
        Some("INCLUDE") => {
            let attributes = list(
                projection.and_then(|p| p.get("NonKeyAttributes")),
                "NonKeyAttributes",
            )?;
            let names = attributes
                .iter()
                .map(|attribute| attribute.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>();
            match names {
                Some(names) if !names.is_empty() => Projection::Include(names),
                _ => {
                    return Err(format!(
                        "has the index `{name}` with `ProjectionType: INCLUDE` but no list of \
                         names in `NonKeyAttributes`; list them, or write {projection_example}"
                    ));
                }
            }
        }
        _ => {
            return Err(format!(
                "has the index `{name}` without a valid `Projection`; write {projection_example} \
                 (or KEYS_ONLY, INCLUDE)"
            ));
        }
    };
    Ok(Index {
        name,
        key,
        projection,
        local,
    })
}

/// A list property; empty when absent.
fn list<'a>(value: Option<&'a Value>, field: &str) -> Result<&'a [Value], String> {
    match value {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(entries)) => Ok(entries),
        Some(other) => Err(format!(
            "has a `{field}` that is not a list ({other}); write it as a YAML list, each entry \
             starting with `- `"
        )),
    }
}

fn text(entry: &Value, field: &str) -> Option<String> {
    entry
        .get(field)
        .and_then(Value::as_str)
        .filter(|text| !text.is_empty())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn chat() -> Value {
        json!({ "Resources": {
            "ChatTable": {
                "Type": "AWS::DynamoDB::Table",
                "Properties": {
                    "TableName": "chat",
                    "BillingMode": "PAY_PER_REQUEST",
                    "AttributeDefinitions": [
                        { "AttributeName": "ChatId", "AttributeType": "S" },
                        { "AttributeName": "ConnectionId", "AttributeType": "S" }
                    ],
                    "KeySchema": [
                        { "AttributeName": "ChatId", "KeyType": "HASH" },
                        { "AttributeName": "ConnectionId", "KeyType": "RANGE" }
                    ],
                    "GlobalSecondaryIndexes": [{
                        "IndexName": "ConnectionIdIndex",
                        "KeySchema": [{ "AttributeName": "ConnectionId", "KeyType": "HASH" }],
                        "Projection": { "ProjectionType": "ALL" }
                    }]
                }
            },
            "Unnamed": {
                "Type": "AWS::DynamoDB::Table",
                "Properties": {
                    "AttributeDefinitions": [{ "AttributeName": "Id", "AttributeType": "N" }],
                    "KeySchema": [{ "AttributeName": "Id", "KeyType": "HASH" }]
                }
            },
            "Queue": { "Type": "AWS::SQS::Queue" }
        }})
    }

    fn problem(resources: Value) -> String {
        tables(&resources).expect_err("a problem").problem
    }

    #[test]
    fn reads_tables_and_indexes() {
        let tables = tables(&chat()).expect("valid tables");
        assert_eq!(tables.len(), 2);
        let chat = &tables[0];
        assert_eq!(chat.name, "chat");
        assert_eq!(chat.key.partition.name, "ChatId");
        assert_eq!(
            chat.key.sort.as_ref().map(|k| k.name.as_str()),
            Some("ConnectionId")
        );
        let index = chat.index("ConnectionIdIndex").expect("the index");
        assert_eq!(index.projection, Projection::All);
        assert_eq!(index.key.partition.name, "ConnectionId");
        assert_eq!(tables[1].name, "Unnamed", "no TableName: the logical id");
        assert_eq!(tables[1].key.partition.kind, ScalarKind::N);
        assert_eq!(tables[1].billing_mode, "PROVISIONED");
    }

    #[test]
    fn local_indexes_share_the_partition_key() {
        let mut resources = chat();
        let properties = &mut resources["Resources"]["ChatTable"]["Properties"];
        properties["AttributeDefinitions"]
            .as_array_mut()
            .expect("a list")
            .push(json!({ "AttributeName": "JoinedAt", "AttributeType": "N" }));
        properties["LocalSecondaryIndexes"] = json!([{
            "IndexName": "ByJoinTime",
            "KeySchema": [
                { "AttributeName": "ChatId", "KeyType": "HASH" },
                { "AttributeName": "JoinedAt", "KeyType": "RANGE" }
            ],
            "Projection": { "ProjectionType": "INCLUDE", "NonKeyAttributes": ["Name"] }
        }]);
        let tables = tables(&resources).expect("valid tables");
        let index = tables[0].index("ByJoinTime").expect("the local index");
        assert!(index.local);
        assert_eq!(
            index.projection,
            Projection::Include(vec!["Name".to_owned()])
        );

        resources["Resources"]["ChatTable"]["Properties"]["LocalSecondaryIndexes"][0]["KeySchema"]
            [0]["AttributeName"] = json!("ConnectionId");
        let message = problem(resources);
        assert!(
            message.contains("a local index shares the table's partition key"),
            "{message}"
        );
    }

    #[test]
    fn malformed_tables_say_what_to_fix() {
        let mut missing_definition = chat();
        missing_definition["Resources"]["ChatTable"]["Properties"]["AttributeDefinitions"]
            .as_array_mut()
            .expect("a list")
            .pop();
        let message = problem(missing_definition);
        assert!(
            message.contains("uses `ConnectionId` in `KeySchema`"),
            "{message}"
        );

        let mut unused = chat();
        unused["Resources"]["Unnamed"]["Properties"]["AttributeDefinitions"]
            .as_array_mut()
            .expect("a list")
            .push(json!({ "AttributeName": "Name", "AttributeType": "S" }));
        let error = tables(&unused).expect_err("unused definition");
        assert_eq!(error.resource, "Unnamed");
        assert!(error.problem.contains("defines Name"), "{}", error.problem);

        let mut no_hash = chat();
        no_hash["Resources"]["Unnamed"]["Properties"]["KeySchema"][0]["KeyType"] = json!("RANGE");
        assert!(problem(no_hash).contains("no partition key"));

        let mut bad_type = chat();
        bad_type["Resources"]["Unnamed"]["Properties"]["AttributeDefinitions"][0]["AttributeType"] =
            json!("STRING");
        assert!(problem(bad_type).contains("no valid `AttributeType`"));

        let mut no_projection = chat();
        no_projection["Resources"]["ChatTable"]["Properties"]["GlobalSecondaryIndexes"][0]
            .as_object_mut()
            .expect("a mapping")
            .remove("Projection");
        assert!(problem(no_projection).contains("without a valid `Projection`"));

        let mut same_name = chat();
        same_name["Resources"]["Unnamed"]["Properties"]["TableName"] = json!("chat");
        assert!(problem(same_name).contains("like the table `ChatTable`"));

        let mut no_properties = chat();
        no_properties["Resources"]["Unnamed"] = json!({ "Type": "AWS::DynamoDB::Table" });
        assert!(problem(no_properties).contains("has no `Properties`"));
    }
}
