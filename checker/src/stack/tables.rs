//! The DynamoDB tables a stack declares: the `AWS::DynamoDB::Table` resources
//! of `resources.Resources`, checked as CloudFormation and DynamoDB would
//! check them on deploy, so a definition that would fail there fails here
//! first, at its `file:line:column`.

use std::fmt;

use serde::Serialize;

use super::error::{Location, Problem, StackError, StackErrorKind};
use super::reader::Reader;
use super::yaml::{Kind, Node, Pos};

const TABLE_TYPE: &str = "AWS::DynamoDB::Table";
const KEY_SCHEMA_EXAMPLE: &str = "`KeySchema: [{ AttributeName: ConnectionId, KeyType: HASH }]`";

/// The type of a key attribute: `S`tring, `N`umber or `B`inary.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum ScalarKind {
    S,
    N,
    B,
}

impl ScalarKind {
    pub fn parse(text: &str) -> Option<ScalarKind> {
        match text {
            "S" => Some(ScalarKind::S),
            "N" => Some(ScalarKind::N),
            "B" => Some(ScalarKind::B),
            _ => None,
        }
    }
}

impl fmt::Display for ScalarKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ScalarKind::S => "S",
            ScalarKind::N => "N",
            ScalarKind::B => "B",
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyAttribute {
    #[serde(rename = "AttributeName")]
    pub name: String,
    #[serde(rename = "AttributeType")]
    pub kind: ScalarKind,
}

/// A partition key (HASH) and an optional sort key (RANGE).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeySchema {
    pub partition: KeyAttribute,
    pub sort: Option<KeyAttribute>,
}

impl KeySchema {
    pub fn attributes(&self) -> impl Iterator<Item = &KeyAttribute> {
        std::iter::once(&self.partition).chain(&self.sort)
    }
}

/// As CloudFormation writes it: `[{AttributeName, KeyType: HASH}, {…, RANGE}]`.
impl Serialize for KeySchema {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        #[serde(rename_all = "PascalCase")]
        struct KeyElement<'a> {
            attribute_name: &'a str,
            key_type: &'static str,
        }
        let sort = self.sort.iter().map(|sort| KeyElement {
            attribute_name: &sort.name,
            key_type: "RANGE",
        });
        let hash = KeyElement {
            attribute_name: &self.partition.name,
            key_type: "HASH",
        };
        serializer.collect_seq(std::iter::once(hash).chain(sort))
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "ProjectionType", content = "NonKeyAttributes")]
pub enum Projection {
    #[serde(rename = "ALL")]
    All,
    #[serde(rename = "KEYS_ONLY")]
    KeysOnly,
    /// The keys and these attributes.
    #[serde(rename = "INCLUDE")]
    Include(Vec<String>),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Index {
    #[serde(rename = "IndexName")]
    pub name: String,
    #[serde(rename = "KeySchema")]
    pub key: KeySchema,
    pub projection: Projection,
    /// A local secondary index (same partition key as the table), else global.
    #[serde(skip)]
    pub local: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    /// Its key under `resources.Resources`.
    pub logical_id: String,
    /// `Properties.TableName` as written; CloudFormation makes a name up without it.
    pub declared_name: Option<String>,
    /// The name it is created under: the declared one, else the logical id,
    /// which is what the stack's `!Ref` to it gives the Lambdas.
    pub name: String,
    pub key: KeySchema,
    /// `AttributeDefinitions`, in file order.
    pub attributes: Vec<KeyAttribute>,
    pub indexes: Vec<Index>,
    /// `PAY_PER_REQUEST` or `PROVISIONED` (CloudFormation's default).
    pub billing_mode: String,
    /// Where the resource is declared (its logical id).
    pub at: Location,
}

impl Table {
    pub fn index(&self, name: &str) -> Option<&Index> {
        self.indexes.iter().find(|index| index.name == name)
    }
}

/// The tables of a stack's `resources` section, in file order.
pub(super) fn tables(r: &Reader<'_>, resources: Option<&Node>) -> Result<Vec<Table>, StackError> {
    let declared = resources
        .and_then(|resources| resources.get("Resources"))
        .and_then(Node::entries)
        .unwrap_or_default();
    let mut tables: Vec<Table> = Vec::new();
    for (key, resource) in declared {
        if resource.get("Type").and_then(Node::as_text).as_deref() != Some(TABLE_TYPE) {
            continue;
        }
        let fail = |(pos, problem): Problem| -> StackError {
            StackErrorKind::Table {
                at: r.at(pos),
                resource: key.name.clone(),
                problem,
            }
            .into()
        };
        let table = table(r, &key.name, key.pos, resource).map_err(fail)?;
        if let Some(other) = tables.iter().find(|other| other.name == table.name) {
            return Err(fail((
                key.pos,
                format!(
                    "has the table name `{}`, like the table `{}` at {}; give each table a \
                     `TableName` of its own",
                    table.name, other.logical_id, other.at
                ),
            )));
        }
        tables.push(table);
    }
    Ok(tables)
}

fn table(r: &Reader<'_>, logical_id: &str, at: Pos, resource: &Node) -> Result<Table, Problem> {
    let Some(properties) = resource.get("Properties").filter(|p| p.entries().is_some()) else {
        return Err((
            resource.pos,
            format!(
                "has no `Properties`; give it `Properties:` with `KeySchema` and \
                 `AttributeDefinitions`, e.g. {KEY_SCHEMA_EXAMPLE} and \
                 `AttributeDefinitions: [{{ AttributeName: ConnectionId, AttributeType: S }}]`"
            ),
        ));
    };
    let declared_name = declared_name(properties)?;
    let attributes = attribute_definitions(properties)?;
    let key = key_schema(
        properties,
        properties.get("KeySchema"),
        "KeySchema",
        &attributes,
    )?;
    let indexes = indexes(properties, &key, &attributes)?;
    check_all_attributes_used(properties, &attributes, &key, &indexes)?;
    let billing_mode = billing_mode(properties)?;
    Ok(Table {
        logical_id: logical_id.to_owned(),
        // CloudFormation makes a name up when there is none; the stack's `Ref`
        // to the table resolves to the logical id then, so the table takes it.
        name: declared_name
            .clone()
            .unwrap_or_else(|| logical_id.to_owned()),
        declared_name,
        key,
        attributes,
        indexes,
        billing_mode,
        at: r.at(at),
    })
}

/// `TableName`, if the table has one.
fn declared_name(properties: &Node) -> Result<Option<String>, Problem> {
    let Some(node) = properties.get("TableName") else {
        return Ok(None);
    };
    match &node.kind {
        Kind::Null => Ok(None),
        Kind::Str(name) if !name.is_empty() => Ok(Some(name.clone())),
        other => Err((
            node.pos,
            format!(
                "has a `TableName` that is not a name ({other}); write text, e.g. \
                 `TableName: ${{self:service}}-${{sls:stage}}-connections`, or leave it out"
            ),
        )),
    }
}

/// The global, then the local secondary indexes, each named once.
fn indexes(
    properties: &Node,
    key: &KeySchema,
    attributes: &[KeyAttribute],
) -> Result<Vec<Index>, Problem> {
    let mut indexes: Vec<Index> = Vec::new();
    for (field, local) in [
        ("GlobalSecondaryIndexes", false),
        ("LocalSecondaryIndexes", true),
    ] {
        for entry in list(properties, field)? {
            let index = index(entry, field, local, attributes)?;
            if local && index.key.partition != key.partition {
                return Err((
                    entry.pos,
                    format!(
                        "has the local secondary index `{}` with the partition key `{}`, but a \
                         local index shares the table's partition key `{}`; use it, or make the \
                         index global",
                        index.name, index.key.partition.name, key.partition.name
                    ),
                ));
            }
            if indexes.iter().any(|other| other.name == index.name) {
                return Err((
                    entry.pos,
                    format!(
                        "has two indexes named `{}`; give each index a name of its own",
                        index.name
                    ),
                ));
            }
            indexes.push(index);
        }
    }
    Ok(indexes)
}

/// DynamoDB refuses attribute definitions that no key uses.
fn check_all_attributes_used(
    properties: &Node,
    attributes: &[KeyAttribute],
    key: &KeySchema,
    indexes: &[Index],
) -> Result<(), Problem> {
    let unused: Vec<&str> = attributes
        .iter()
        .filter(|definition| {
            !key.attributes()
                .chain(indexes.iter().flat_map(|index| index.key.attributes()))
                .any(|used| used.name == definition.name)
        })
        .map(|definition| definition.name.as_str())
        .collect();
    if unused.is_empty() {
        return Ok(());
    }
    let pos = properties
        .get("AttributeDefinitions")
        .map_or(properties.pos, |node| node.pos);
    Err((
        pos,
        format!(
            "defines {} in `AttributeDefinitions` but uses it in no `KeySchema`; DynamoDB \
             refuses that on deploy (\"Some AttributeDefinitions are not used\"), so define \
             only key attributes: other attributes need no declaration",
            unused.join(", ")
        ),
    ))
}

/// `BillingMode`, `PROVISIONED` when absent (CloudFormation's default),
/// with the `ProvisionedThroughput` CloudFormation requires of that mode and
/// refuses with `PAY_PER_REQUEST`.
fn billing_mode(properties: &Node) -> Result<String, Problem> {
    let declared = properties.get("BillingMode");
    let mode = match declared.map(|node| &node.kind) {
        None | Some(Kind::Null) => "PROVISIONED".to_owned(),
        Some(Kind::Str(mode)) if mode == "PAY_PER_REQUEST" || mode == "PROVISIONED" => mode.clone(),
        Some(other) => {
            return Err((
                declared.map_or(properties.pos, |node| node.pos),
                format!(
                    "has the BillingMode {other}; write `BillingMode: PAY_PER_REQUEST` or \
                     `PROVISIONED`"
                ),
            ));
        }
    };
    let throughput = properties.get("ProvisionedThroughput");
    match (mode.as_str(), throughput) {
        ("PROVISIONED", None) => Err((
            declared.map_or(properties.pos, |node| node.pos),
            format!(
                "has {} and no `ProvisionedThroughput`, which CloudFormation refuses on deploy \
                 (\"No provisioned throughput specified for the table\"): write \
                 `BillingMode: PAY_PER_REQUEST`, on-demand tables that need no capacity planning",
                if declared.is_some() {
                    "`BillingMode: PROVISIONED`"
                } else {
                    "no `BillingMode` (so PROVISIONED, CloudFormation's default)"
                }
            ),
        )),
        ("PAY_PER_REQUEST", Some(node)) => Err((
            node.pos,
            "has `BillingMode: PAY_PER_REQUEST` and a `ProvisionedThroughput`, which \
             CloudFormation refuses on deploy (\"Neither ReadCapacityUnits nor \
             WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST\"): \
             remove `ProvisionedThroughput`"
                .to_owned(),
        )),
        _ => Ok(mode),
    }
}

fn attribute_definitions(properties: &Node) -> Result<Vec<KeyAttribute>, Problem> {
    let example = "`AttributeDefinitions: [{ AttributeName: ConnectionId, AttributeType: S }]`";
    let entries = list(properties, "AttributeDefinitions")?;
    if entries.is_empty() {
        return Err((
            properties.pos,
            format!(
                "has no `AttributeDefinitions`; declare the type of each key attribute: {example}"
            ),
        ));
    }
    let mut definitions: Vec<KeyAttribute> = Vec::new();
    for entry in entries {
        let name = text(entry, "AttributeName").ok_or_else(|| {
            (
                entry.pos,
                format!(
                    "has an `AttributeDefinitions` entry without `AttributeName`; write {example}"
                ),
            )
        })?;
        let kind = text(entry, "AttributeType").and_then(|kind| ScalarKind::parse(&kind));
        let Some(kind) = kind else {
            return Err((
                entry.pos,
                format!(
                    "gives the attribute `{name}` no valid `AttributeType`; a key attribute is \
                     `S` (string), `N` (number) or `B` (binary), e.g. {example}"
                ),
            ));
        };
        if definitions.iter().any(|other| other.name == name) {
            return Err((
                entry.pos,
                format!("defines the attribute `{name}` twice in `AttributeDefinitions`; keep one"),
            ));
        }
        definitions.push(KeyAttribute { name, kind });
    }
    Ok(definitions)
}

/// The key schema in `schema` (a child of `parent`, which places a missing one).
fn key_schema(
    parent: &Node,
    schema: Option<&Node>,
    field: &str,
    definitions: &[KeyAttribute],
) -> Result<KeySchema, Problem> {
    let entries = match schema {
        None => &[][..],
        Some(node) => items(node, field)?,
    };
    let mut hash = None;
    let mut range = None;
    for entry in entries {
        let name = text(entry, "AttributeName").ok_or_else(|| {
            (
                entry.pos,
                format!(
                    "has a `{field}` entry without `AttributeName`; write {KEY_SCHEMA_EXAMPLE}"
                ),
            )
        })?;
        let slot = match text(entry, "KeyType").as_deref() {
            Some("HASH") => &mut hash,
            Some("RANGE") => &mut range,
            _ => {
                return Err((
                    entry.pos,
                    format!(
                        "gives `{name}` in `{field}` no valid `KeyType`; it is `HASH` (the \
                         partition key) or `RANGE` (the sort key)"
                    ),
                ));
            }
        };
        if slot.is_some() {
            return Err((
                entry.pos,
                format!(
                    "has two keys of the same `KeyType` in `{field}`; a key schema has one `HASH` \
                     key and at most one `RANGE` key"
                ),
            ));
        }
        let Some(definition) = definitions
            .iter()
            .find(|definition| definition.name == name)
        else {
            return Err((
                entry.pos,
                format!(
                    "uses `{name}` in `{field}`, but `AttributeDefinitions` does not define it; \
                     add `{{ AttributeName: {name}, AttributeType: S }}` (or N, B) there"
                ),
            ));
        };
        *slot = Some(definition.clone());
    }
    let Some(partition) = hash else {
        return Err((
            schema.map_or(parent.pos, |node| node.pos),
            format!(
                "has no partition key in `{field}`; write {KEY_SCHEMA_EXAMPLE}, with a \
                 `KeyType: RANGE` entry after it for a sort key"
            ),
        ));
    };
    Ok(KeySchema {
        partition,
        sort: range,
    })
}

fn index(
    entry: &Node,
    field: &str,
    local: bool,
    definitions: &[KeyAttribute],
) -> Result<Index, Problem> {
    let Some(name) = text(entry, "IndexName") else {
        return Err((
            entry.pos,
            format!(
                "has an entry in `{field}` without `IndexName`; write e.g. `IndexName: \
                 ConnectionIdIndex`"
            ),
        ));
    };
    let key = key_schema(
        entry,
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
            let names = projection
                .map(|p| list(p, "NonKeyAttributes"))
                .transpose()?
                .unwrap_or_default()
                .iter()
                .map(|attribute| match &attribute.kind {
                    Kind::Str(name) => Some(name.clone()),
                    _ => None,
                })
                .collect::<Option<Vec<_>>>();
            match names {
                Some(names) if !names.is_empty() => Projection::Include(names),
                _ => {
                    return Err((
                        projection.map_or(entry.pos, |p| p.pos),
                        format!(
                            "has the index `{name}` with `ProjectionType: INCLUDE` but no list of \
                             names in `NonKeyAttributes`; list them, or write {projection_example}"
                        ),
                    ));
                }
            }
        }
        _ => {
            return Err((
                projection.map_or(entry.pos, |p| p.pos),
                format!(
                    "has the index `{name}` without a valid `Projection`; write \
                     {projection_example} (or KEYS_ONLY, INCLUDE)"
                ),
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

/// The list under `field` of `parent`; empty when absent.
fn list<'a>(parent: &'a Node, field: &str) -> Result<&'a [Node], Problem> {
    match parent.get(field) {
        None => Ok(&[]),
        Some(node) => items(node, field),
    }
}

fn items<'a>(node: &'a Node, field: &str) -> Result<&'a [Node], Problem> {
    match &node.kind {
        Kind::Null => Ok(&[]),
        Kind::Seq(entries) => Ok(entries),
        other => Err((
            node.pos,
            format!(
                "has a `{field}` that is not a list ({other}); write it as a YAML list, each \
                 entry starting with `- `"
            ),
        )),
    }
}

fn text(entry: &Node, field: &str) -> Option<String> {
    match &entry.get(field)?.kind {
        Kind::Str(text) if !text.is_empty() => Some(text.clone()),
        _ => None,
    }
}
