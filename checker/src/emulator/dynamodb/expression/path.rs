//! Document paths (`Name`, `Profile.Age`, `Rooms[0]`, `a.b[2].c`): reading
//! the value one names, writing and removing it for updates, and keeping only
//! what some paths name (projections, `UPDATED_OLD`).

use std::collections::BTreeMap;
use std::fmt;

use serde_json::{Map, Value};

use crate::emulator::dynamodb::error::DynamoError;
use crate::emulator::dynamodb::value::{Item, tagged};

/// DynamoDB's limit on how deep a document path goes.
pub(crate) const MAX_DEPTH: usize = 32;

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Element {
    /// An attribute, or a map's key.
    Name(String),
    /// A list's element.
    Index(usize),
}

/// A path; its first element is always a name (the attribute at the top).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Path(Vec<Element>);

/// How two paths of one expression relate, as DynamoDB refuses them.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Clash {
    /// One is the other, or lies inside it.
    Overlap,
    /// They name one place as a map's key and as a list's element.
    Conflict,
}

impl Path {
    pub(crate) fn new(top: String) -> Self {
        Self(vec![Element::Name(top)])
    }

    pub(crate) fn push(&mut self, element: Element) {
        self.0.push(element);
    }

    pub(crate) fn depth(&self) -> usize {
        self.0.len()
    }

    /// The top-level attribute the path starts at.
    pub(crate) fn top(&self) -> &str {
        match self.0.first() {
            Some(Element::Name(name)) => name,
            _ => "",
        }
    }

    pub(crate) fn is_top_level(&self) -> bool {
        self.0.len() == 1
    }

    /// The value at the path in `item`, if it has one.
    pub(crate) fn get<'i>(&self, item: &'i Item) -> Option<&'i Value> {
        let mut value = item.get(self.top())?;
        for element in &self.0[1..] {
            value = child(value, element)?;
        }
        Some(value)
    }

    pub(crate) fn clash(&self, other: &Path) -> Option<Clash> {
        for (mine, theirs) in self.0.iter().zip(&other.0) {
            match (mine, theirs) {
                (Element::Name(a), Element::Name(b)) if a != b => return None,
                (Element::Index(a), Element::Index(b)) if a != b => return None,
                (Element::Name(_), Element::Index(_)) | (Element::Index(_), Element::Name(_)) => {
                    return Some(Clash::Conflict);
                }
                _ => {}
            }
        }
        Some(Clash::Overlap)
    }

    /// Sets the value at the path: its parent must exist (a map, or a list,
    /// where an index past the end appends).
    pub(crate) fn set(&self, item: &mut Item, value: Value) -> Result<(), DynamoError> {
        let Some((last, parents)) = self.0.split_last() else {
            return Ok(());
        };
        if parents.is_empty() {
            item.insert(self.top().to_owned(), value);
            return Ok(());
        }
        let parent = self
            .parent_mut(item, parents)
            .ok_or_else(invalid_for_update)?;
        match (last, parent) {
            (Element::Name(name), Container::Map(map)) => {
                map.insert(name.clone(), value);
            }
            (Element::Index(index), Container::List(list)) => match list.get_mut(*index) {
                Some(slot) => *slot = value,
                None => list.push(value),
            },
            _ => return Err(invalid_for_update()),
        }
        Ok(())
    }

    /// Removes the value at the path; nothing to remove is no error, a
    /// missing or mistyped parent is.
    pub(crate) fn remove(&self, item: &mut Item) -> Result<(), DynamoError> {
        let Some((last, parents)) = self.0.split_last() else {
            return Ok(());
        };
        if parents.is_empty() {
            item.remove(self.top());
            return Ok(());
        }
        let parent = self
            .parent_mut(item, parents)
            .ok_or_else(invalid_for_update)?;
        match (last, parent) {
            (Element::Name(name), Container::Map(map)) => {
                map.remove(name);
            }
            (Element::Index(index), Container::List(list)) => {
                if *index < list.len() {
                    list.remove(*index);
                }
            }
            _ => return Err(invalid_for_update()),
        }
        Ok(())
    }

    /// The list index the path ends with, if it does (to remove the highest first).
    pub(crate) fn last_index(&self) -> Option<usize> {
        match self.0.last() {
            Some(Element::Index(index)) if self.0.len() > 1 => Some(*index),
            _ => None,
        }
    }

    fn parent_mut<'i>(&self, item: &'i mut Item, parents: &[Element]) -> Option<Container<'i>> {
        let mut value = item.get_mut(self.top())?;
        for element in &parents[1..] {
            value = child_mut(value, element)?;
        }
        container(value)
    }
}

/// `[a, b, [0]]`, as DynamoDB quotes a path in its messages.
impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|element| match element {
                Element::Name(name) => name.clone(),
                Element::Index(index) => format!("[{index}]"),
            })
            .collect();
        write!(f, "[{}]", parts.join(", "))
    }
}

enum Container<'v> {
    Map(&'v mut Map<String, Value>),
    List(&'v mut Vec<Value>),
}

fn container(value: &mut Value) -> Option<Container<'_>> {
    let object = value.as_object_mut()?;
    if object.len() != 1 {
        return None;
    }
    match object.iter_mut().next()? {
        (tag, Value::Object(map)) if tag == "M" => Some(Container::Map(map)),
        (tag, Value::Array(list)) if tag == "L" => Some(Container::List(list)),
        _ => None,
    }
}

fn child<'v>(value: &'v Value, element: &Element) -> Option<&'v Value> {
    match (tagged(value)?, element) {
        (("M", Value::Object(map)), Element::Name(name)) => map.get(name),
        (("L", Value::Array(list)), Element::Index(index)) => list.get(*index),
        _ => None,
    }
}

fn child_mut<'v>(value: &'v mut Value, element: &Element) -> Option<&'v mut Value> {
    match (container(value)?, element) {
        (Container::Map(map), Element::Name(name)) => map.get_mut(name),
        (Container::List(list), Element::Index(index)) => list.get_mut(*index),
        _ => None,
    }
}

fn invalid_for_update() -> DynamoError {
    DynamoError::validation(
        "The document path provided in the update expression is invalid for update",
    )
}

/// What some paths keep of an item: maps keep the keys named, lists the
/// elements named, in their order.
pub(crate) fn project(item: &Item, paths: &[Path]) -> Item {
    let mut kept: BTreeMap<String, PartialValue> = BTreeMap::new();
    for path in paths {
        let Some(top) = item.get(path.top()) else {
            continue;
        };
        let node = kept
            .entry(path.top().to_owned())
            .or_insert_with(|| PartialValue::empty_like(top, &path.0[1..]));
        node.keep(top, &path.0[1..]);
    }
    kept.into_iter()
        .filter_map(|(name, node)| Some((name, node.into_value()?)))
        .collect()
}

/// A value being copied in part.
enum PartialValue {
    Whole(Value),
    Map(BTreeMap<String, PartialValue>),
    List(BTreeMap<usize, PartialValue>),
    Nothing,
}

impl PartialValue {
    fn empty_like(value: &Value, rest: &[Element]) -> PartialValue {
        match (rest.first(), tagged(value)) {
            (None, _) => PartialValue::Nothing,
            (Some(Element::Name(_)), Some(("M", _))) => PartialValue::Map(BTreeMap::new()),
            (Some(Element::Index(_)), Some(("L", _))) => PartialValue::List(BTreeMap::new()),
            _ => PartialValue::Nothing,
        }
    }

    fn keep(&mut self, value: &Value, rest: &[Element]) {
        let Some((first, rest)) = rest.split_first() else {
            *self = PartialValue::Whole(value.clone());
            return;
        };
        let Some(inner) = child(value, first) else {
            return;
        };
        let node = match (self, first) {
            (PartialValue::Map(map), Element::Name(name)) => map
                .entry(name.clone())
                .or_insert_with(|| PartialValue::empty_like(inner, rest)),
            (PartialValue::List(list), Element::Index(index)) => list
                .entry(*index)
                .or_insert_with(|| PartialValue::empty_like(inner, rest)),
            _ => return,
        };
        node.keep(inner, rest);
    }

    fn into_value(self) -> Option<Value> {
        match self {
            PartialValue::Whole(value) => Some(value),
            PartialValue::Nothing => None,
            PartialValue::Map(map) => {
                let map: Map<String, Value> = map
                    .into_iter()
                    .filter_map(|(name, node)| Some((name, node.into_value()?)))
                    .collect();
                (!map.is_empty()).then(|| serde_json::json!({ "M": map }))
            }
            PartialValue::List(list) => {
                let list: Vec<Value> = list
                    .into_values()
                    .filter_map(PartialValue::into_value)
                    .collect();
                (!list.is_empty()).then(|| serde_json::json!({ "L": list }))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn path(elements: &[&str]) -> Path {
        let mut path = Path::new(elements[0].to_owned());
        for element in &elements[1..] {
            path.push(match element.parse::<usize>() {
                Ok(index) => Element::Index(index),
                Err(_) => Element::Name((*element).to_owned()),
            });
        }
        path
    }

    fn item() -> Item {
        json!({
            "Name": {"S": "alice"},
            "Profile": {"M": {"Age": {"N": "7"}, "Tags": {"L": [{"S": "a"}, {"S": "b"}, {"S": "c"}]}}},
        })
        .as_object()
        .cloned()
        .expect("an object")
    }

    #[test]
    fn reads_nested_values() {
        let item = item();
        assert_eq!(
            path(&["Profile", "Age"]).get(&item),
            Some(&json!({"N": "7"}))
        );
        assert_eq!(
            path(&["Profile", "Tags", "1"]).get(&item),
            Some(&json!({"S": "b"}))
        );
        assert_eq!(path(&["Profile", "Tags", "9"]).get(&item), None);
        assert_eq!(path(&["Name", "x"]).get(&item), None);
        assert_eq!(
            path(&["Profile", "Tags", "1"]).to_string(),
            "[Profile, Tags, [1]]"
        );
    }

    #[test]
    fn sets_and_removes_inside_documents() {
        let mut item = item();
        path(&["Profile", "City"])
            .set(&mut item, json!({"S": "Oslo"}))
            .expect("set");
        path(&["Profile", "Tags", "7"])
            .set(&mut item, json!({"S": "d"}))
            .expect("appended");
        path(&["Profile", "Tags", "0"])
            .remove(&mut item)
            .expect("removed");
        assert_eq!(
            item["Profile"]["M"]["Tags"],
            json!({"L": [{"S": "b"}, {"S": "c"}, {"S": "d"}]})
        );
        assert_eq!(item["Profile"]["M"]["City"], json!({"S": "Oslo"}));
        let error = path(&["Missing", "x"])
            .set(&mut item, json!({"S": "y"}))
            .expect_err("no parent");
        assert!(
            error.message.contains("invalid for update"),
            "{}",
            error.message
        );
        assert!(
            path(&["Name", "x"]).remove(&mut item).is_err(),
            "a string has no keys"
        );
        path(&["Nothing"])
            .remove(&mut item)
            .expect("removing nothing is fine");
    }

    #[test]
    fn projections_keep_what_the_paths_name() {
        let kept = project(
            &item(),
            &[
                path(&["Profile", "Tags", "2"]),
                path(&["Profile", "Tags", "0"]),
                path(&["Nope"]),
            ],
        );
        assert_eq!(
            Value::Object(kept),
            json!({"Profile": {"M": {"Tags": {"L": [{"S": "a"}, {"S": "c"}]}}}})
        );
        assert!(project(&item(), &[path(&["Name", "x"])]).is_empty());
    }

    #[test]
    fn clashes_are_overlaps_or_conflicts() {
        assert_eq!(path(&["a"]).clash(&path(&["a", "b"])), Some(Clash::Overlap));
        assert_eq!(
            path(&["a", "b"]).clash(&path(&["a", "b"])),
            Some(Clash::Overlap)
        );
        assert_eq!(
            path(&["a", "b"]).clash(&path(&["a", "0"])),
            Some(Clash::Conflict)
        );
        assert_eq!(path(&["a", "b"]).clash(&path(&["a", "c"])), None);
    }
}
