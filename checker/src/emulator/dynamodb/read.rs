//! Query and Scan, on a table or one of its indexes. Both read in key order
//! (a query by sort key, numbers by value; a scan by partition key then sort
//! key, where DynamoDB's order is its hash order), page with `Limit`,
//! `ExclusiveStartKey` and `LastEvaluatedKey` (a page reads at most 1 MB, as
//! DynamoDB's), then filter and project.

use serde_json::{Value, json};

use super::error::DynamoError;
use super::expression::{self, Condition, KeyCondition, Path, Placeholders};
use super::key::Key;
use super::request::{Query, QueryOrScan, Scan};
use super::size::{MAX_PAGE_BYTES, item_size};
use super::tables::{Table, Tables};
use super::value::{self, Item};
use crate::stack::{Index, KeySchema, Projection};

pub(crate) fn query(tables: &Tables, Query(input): Query) -> Result<Value, DynamoError> {
    let target = TableOrIndex::of(tables, &input)?;
    let Some(text) = input.key_condition_expression.as_deref() else {
        return Err(DynamoError::validation(
            "Either the KeyConditions or KeyConditionExpression parameter must be specified in \
             the request.",
        ));
    };
    let mut placeholders = placeholders(&input)?;
    let condition = expression::condition("KeyConditionExpression", text, &mut placeholders)?;
    let condition = expression::key_condition(condition, target.key_schema())?;
    let plan = ReadPlan::new(&input, &mut placeholders)?;
    placeholders.finish()?;
    if let Some(filter) = &plan.filter {
        no_key_in_filter(filter, target.key_schema())?;
    }
    let start = target.start(input.exclusive_start_key.as_ref())?;
    let forward = input.scan_index_forward.unwrap_or(true);
    Ok(target.read(Some(&condition), &plan, forward, start))
}

pub(crate) fn scan(tables: &Tables, Scan(input): Scan) -> Result<Value, DynamoError> {
    let target = TableOrIndex::of(tables, &input)?;
    let mut placeholders = placeholders(&input)?;
    let plan = ReadPlan::new(&input, &mut placeholders)?;
    placeholders.finish()?;
    let start = target.start(input.exclusive_start_key.as_ref())?;
    Ok(target.read(None, &plan, true, start))
}

/// A Query's filter may not name the key it queries: DynamoDB refuses it
/// (the key belongs in `KeyConditionExpression`). A Scan's may.
fn no_key_in_filter(filter: &Condition, schema: &KeySchema) -> Result<(), DynamoError> {
    let key = filter.paths().into_iter().find_map(|path| {
        schema
            .attributes()
            .find(|attribute| attribute.name == path.top())
    });
    let Some(key) = key else {
        return Ok(());
    };
    Err(DynamoError::validation(format!(
        "Filter Expression can only contain non-primary key attributes: Primary key attribute: {}",
        key.name
    ))
    .advise(format!(
        "`{name}` is a key attribute of what this Query reads ({schema}), and a Query's \
         FilterExpression may not name one: put a condition on it in KeyConditionExpression \
         (`=`, `<`, `<=`, `>`, `>=`, BETWEEN, begins_with; `<>` is not among them), or drop \
         the items you do not want in your code after the Query (e.g. the sender's own \
         `{name}`)",
        name = key.name,
        schema = schema.describe()
    )))
}

fn placeholders(input: &QueryOrScan) -> Result<Placeholders<'_>, DynamoError> {
    Placeholders::new(
        input.expression_attribute_names.as_ref(),
        input.expression_attribute_values.as_ref(),
    )
}

/// What to do with the items read: filter, project, count, how many.
struct ReadPlan {
    filter: Option<Condition>,
    projection: Option<Vec<Path>>,
    count_only: bool,
    limit: Option<usize>,
}

impl ReadPlan {
    fn new(
        input: &QueryOrScan,
        placeholders: &mut Placeholders<'_>,
    ) -> Result<ReadPlan, DynamoError> {
        let filter = input
            .filter_expression
            .as_deref()
            .map(|text| expression::condition("FilterExpression", text, placeholders))
            .transpose()?;
        let projection = input
            .projection_expression
            .as_deref()
            .map(|text| expression::projection(text, placeholders))
            .transpose()?;
        let count_only = match (input.select.as_deref(), &projection) {
            (None | Some("SPECIFIC_ATTRIBUTES"), _) => false,
            (Some("ALL_ATTRIBUTES" | "ALL_PROJECTED_ATTRIBUTES"), None) => false,
            (Some("COUNT"), None) => true,
            (Some(select @ ("ALL_ATTRIBUTES" | "ALL_PROJECTED_ATTRIBUTES" | "COUNT")), Some(_)) => {
                return Err(DynamoError::validation(format!(
                    "Cannot specify the ProjectionExpression when choosing to get {select}"
                )));
            }
            (Some(other), _) => {
                return Err(DynamoError::validation(format!(
                    "1 validation error detected: Value '{other}' at 'select' failed to satisfy \
                     constraint: Member must satisfy enum value set: [SPECIFIC_ATTRIBUTES, \
                     COUNT, ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES]"
                )));
            }
        };
        let limit = match input.limit {
            None => None,
            Some(limit) => Some(
                usize::try_from(limit)
                    .ok()
                    .filter(|&limit| limit >= 1)
                    .ok_or_else(|| {
                        DynamoError::validation(format!(
                            "1 validation error detected: Value '{limit}' at 'limit' failed to \
                         satisfy constraint: Member must have value greater than or equal to 1"
                        ))
                    })?,
            ),
        };
        Ok(ReadPlan {
            filter,
            projection,
            count_only,
            limit,
        })
    }
}

/// Where an item stands in a read: by index key first when reading an index.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Position {
    index: Option<Key>,
    table: Key,
}

impl Position {
    /// The key a key condition is about.
    fn queried(&self) -> &Key {
        self.index.as_ref().unwrap_or(&self.table)
    }
}

/// A table, or one of its indexes.
struct TableOrIndex<'t> {
    table: &'t Table,
    index: Option<&'t Index>,
}

impl<'t> TableOrIndex<'t> {
    fn of(tables: &'t Tables, input: &QueryOrScan) -> Result<Self, DynamoError> {
        let table = tables.get(&input.table_name)?;
        let index = match &input.index_name {
            None => None,
            Some(name) => Some(table.schema.index(name).ok_or_else(|| {
                DynamoError::validation(format!(
                    "The table does not have the specified index: {name}"
                ))
            })?),
        };
        if index.is_some_and(|index| !index.local) && input.consistent_read == Some(true) {
            return Err(DynamoError::validation(
                "Consistent reads are not supported on global secondary indexes",
            ));
        }
        Ok(Self { table, index })
    }

    fn key_schema(&self) -> &'t KeySchema {
        match self.index {
            Some(index) => &index.key,
            None => &self.table.schema.key,
        }
    }

    /// `None` for an item the index leaves out.
    fn position(&self, key: &Key, item: &Item) -> Option<Position> {
        let index = match self.index {
            Some(index) => Some(index.key.key_in_index(item)?),
            None => None,
        };
        Some(Position {
            index,
            table: key.clone(),
        })
    }

    /// `ExclusiveStartKey`: the table's key, plus the index's when reading one.
    fn start(&self, start: Option<&Item>) -> Result<Option<Position>, DynamoError> {
        let Some(start) = start else {
            return Ok(None);
        };
        let invalid = |problem: String| {
            DynamoError::validation(format!("The provided starting key is invalid: {problem}"))
        };
        start
            .values()
            .try_for_each(value::check)
            .map_err(|error| invalid(error.message))?;
        let key = self
            .table
            .schema
            .key
            .key_of_item(start)
            .map_err(|error| invalid(error.message))?;
        self.position(&key, start)
            .map(Some)
            .ok_or_else(|| invalid("it lacks the index's key attributes".to_owned()))
    }

    /// The attributes of `item` the index holds.
    fn projected(&self, item: Item) -> Item {
        let Some(index) = self.index else {
            return item;
        };
        let keep: &[String] = match &index.projection {
            Projection::All => return item,
            Projection::KeysOnly => &[],
            Projection::Include(names) => names,
        };
        let mut projected = self.last_key(&item);
        for name in keep {
            if let Some(value) = item.get(name) {
                projected.insert(name.clone(), value.clone());
            }
        }
        projected
    }

    /// `LastEvaluatedKey` for `item`: the table's key and the index's.
    fn last_key(&self, item: &Item) -> Item {
        let mut key = Item::new();
        self.table.schema.key.copy_key(item, &mut key);
        if let Some(index) = self.index {
            index.key.copy_key(item, &mut key);
        }
        key
    }

    fn read(
        &self,
        condition: Option<&KeyCondition>,
        plan: &ReadPlan,
        forward: bool,
        start: Option<Position>,
    ) -> Value {
        let mut rows: Vec<(Position, Item)> = self
            .table
            .items()
            .iter()
            .filter_map(|(key, item)| {
                let position = self.position(key, item)?;
                let selected = condition.is_none_or(|c| c.matches(position.queried()));
                selected.then(|| (position, item.clone()))
            })
            .collect();
        rows.sort_by(|(a, _), (b, _)| a.cmp(b));
        if !forward {
            rows.reverse();
        }
        let after_start = |position: &Position| match &start {
            None => true,
            Some(start) if forward => position > start,
            Some(start) => position < start,
        };
        let limit = plan.limit.unwrap_or(usize::MAX);
        let mut evaluated: Vec<Item> = Vec::new();
        let mut page_bytes = 0;
        let mut full = false;
        for (_, item) in rows
            .into_iter()
            .filter(|(position, _)| after_start(position))
        {
            let item = self.projected(item);
            let bytes = item_size(&item);
            // DynamoDB stops at the limit, or where the next item would take
            // the page past 1 MB, and says where, even when nothing follows.
            if evaluated.len() == limit {
                full = true;
                break;
            }
            if !evaluated.is_empty() && page_bytes + bytes > MAX_PAGE_BYTES {
                full = true;
                break;
            }
            page_bytes += bytes;
            evaluated.push(item);
        }
        let full = full || plan.limit == Some(evaluated.len());
        let last_key = match evaluated.last() {
            Some(last) if full => Some(self.last_key(last)),
            _ => None,
        };
        let scanned = evaluated.len();
        let items: Vec<Item> = evaluated
            .into_iter()
            .filter(|item| {
                plan.filter
                    .as_ref()
                    .is_none_or(|filter| filter.matches(item))
            })
            .map(|item| match &plan.projection {
                Some(names) => expression::project(&item, names),
                None => item,
            })
            .collect();
        let mut answer = json!({ "Count": items.len(), "ScannedCount": scanned });
        if !plan.count_only {
            answer["Items"] = json!(items);
        }
        if let Some(last_key) = last_key {
            answer["LastEvaluatedKey"] = Value::Object(last_key);
        }
        answer
    }
}
