//! Update expressions: `SET`, `REMOVE`, `ADD` and `DELETE` clauses on
//! document paths, parsed after DynamoDB's grammar and applied to an item:
//!
//! ```text
//! update    := clause+                  (each clause at most once)
//! clause    := SET path = value (, …)* | REMOVE path (, …)*
//!            | ADD path :value (, …)*   | DELETE path :value (, …)*
//! value     := operand | operand + operand | operand - operand
//! operand   := path | :value | if_not_exists(path, operand)
//!            | list_append(operand, operand)
//! ```
//!
//! Every value is computed from the item as it was before the update.

use serde_json::{Value, json};

use super::lexer::Token;
use super::parser::Parser;
use super::path::Path;
use crate::emulator::dynamodb::error::DynamoError;
use crate::emulator::dynamodb::number::Number;
use crate::emulator::dynamodb::value::{Item, equal, tagged};

const CLAUSES: [&str; 4] = ["SET", "REMOVE", "ADD", "DELETE"];
const CONDITION_FUNCTIONS: [&str; 6] = [
    "attribute_exists",
    "attribute_not_exists",
    "attribute_type",
    "begins_with",
    "contains",
    "size",
];

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Update {
    actions: Vec<UpdateAction>,
}

#[derive(Clone, Debug, PartialEq)]
enum UpdateAction {
    Set(Path, SetValue),
    Remove(Path),
    Add(Path, Value),
    Delete(Path, Value),
}

#[derive(Clone, Debug, PartialEq)]
enum SetValue {
    One(SetOperand),
    Plus(SetOperand, SetOperand),
    Minus(SetOperand, SetOperand),
}

#[derive(Clone, Debug, PartialEq)]
enum SetOperand {
    Path(Path),
    Value(Value),
    IfNotExists(Path, Box<SetOperand>),
    ListAppend(Box<SetOperand>, Box<SetOperand>),
}

impl Parser<'_, '_, '_> {
    pub(super) fn update(mut self) -> Result<Update, DynamoError> {
        let mut seen: Vec<&str> = Vec::new();
        let mut actions = Vec::new();
        while self.peek(0).is_some() {
            let clause = match self.peek(0) {
                Some(Token::Word(word)) => CLAUSES
                    .into_iter()
                    .find(|clause| clause.eq_ignore_ascii_case(word)),
                _ => None,
            };
            let Some(clause) = clause else {
                return Err(self.unexpected());
            };
            self.at += 1;
            if seen.contains(&clause) {
                return Err(self.invalid(format!(
                    "The \"{clause}\" section can only be used once in an update expression;"
                )));
            }
            seen.push(clause);
            loop {
                actions.push(self.action(clause)?);
                if !self.eat(&Token::Comma) {
                    break;
                }
            }
        }
        let paths: Vec<Path> = actions.iter().map(|action| action.path().clone()).collect();
        self.no_clashes(&paths)?;
        Ok(Update { actions })
    }

    fn action(&mut self, clause: &str) -> Result<UpdateAction, DynamoError> {
        let path = self.path()?;
        match clause {
            "SET" => {
                self.expect(&Token::Compare(super::Comparator::Eq))?;
                let left = self.set_operand()?;
                let value = if self.eat(&Token::Plus) {
                    SetValue::Plus(self.number_operand(left, "+")?, self.arithmetic("+")?)
                } else if self.eat(&Token::Minus) {
                    SetValue::Minus(self.number_operand(left, "-")?, self.arithmetic("-")?)
                } else {
                    SetValue::One(left)
                };
                Ok(UpdateAction::Set(path, value))
            }
            "REMOVE" => Ok(UpdateAction::Remove(path)),
            _ => {
                let Some(Token::Value(placeholder)) = self.peek(0).cloned() else {
                    return Err(self.unexpected());
                };
                self.at += 1;
                let value = self.placeholders.value(self.parameter, &placeholder)?;
                let tag = tagged(&value).map_or("", |(tag, _)| tag);
                let allowed = match clause {
                    "ADD" => matches!(tag, "N" | "SS" | "NS" | "BS"),
                    _ => matches!(tag, "SS" | "NS" | "BS"),
                };
                if !allowed {
                    return Err(self.invalid(format!(
                        "Incorrect operand type for operator or function; operator: {clause}, \
                         operand type: {}",
                        long_type_name(tag)
                    )));
                }
                Ok(if clause == "ADD" {
                    UpdateAction::Add(path, value)
                } else {
                    UpdateAction::Delete(path, value)
                })
            }
        }
    }

    fn arithmetic(&mut self, operator: &str) -> Result<SetOperand, DynamoError> {
        let operand = self.set_operand()?;
        self.number_operand(operand, operator)
    }

    /// An operand of `+` or `-`: a literal must be a number.
    fn number_operand(
        &self,
        operand: SetOperand,
        operator: &str,
    ) -> Result<SetOperand, DynamoError> {
        match &operand {
            SetOperand::Value(value) if !matches!(tagged(value), Some(("N", _))) => {
                Err(self.operand_type(operator, value))
            }
            _ => Ok(operand),
        }
    }

    fn set_operand(&mut self) -> Result<SetOperand, DynamoError> {
        match self.peek(0).cloned() {
            Some(Token::Value(placeholder)) => {
                self.at += 1;
                let value = self.placeholders.value(self.parameter, &placeholder)?;
                Ok(SetOperand::Value(value))
            }
            Some(Token::Word(function)) if self.peek(1) == Some(&Token::Open) => {
                self.at += 2;
                let operand = match function.as_str() {
                    "if_not_exists" => {
                        let SetOperand::Path(path) = self.set_operand()? else {
                            return Err(self.invalid(
                                "Operator or function requires a document path; operator or \
                                 function: if_not_exists",
                            ));
                        };
                        self.expect(&Token::Comma)?;
                        SetOperand::IfNotExists(path, Box::new(self.set_operand()?))
                    }
                    "list_append" => {
                        let first = self.list_operand()?;
                        self.expect(&Token::Comma)?;
                        SetOperand::ListAppend(Box::new(first), Box::new(self.list_operand()?))
                    }
                    name if CONDITION_FUNCTIONS.contains(&name) => {
                        return Err(self.invalid(format!(
                            "The function is not allowed in an update expression; function: {name}"
                        )));
                    }
                    name => {
                        return Err(
                            self.invalid(format!("Invalid function name; function: {name}"))
                        );
                    }
                };
                self.expect(&Token::Close)?;
                Ok(operand)
            }
            _ => Ok(SetOperand::Path(self.path()?)),
        }
    }

    fn list_operand(&mut self) -> Result<SetOperand, DynamoError> {
        let operand = self.set_operand()?;
        match &operand {
            SetOperand::Value(value) if !matches!(tagged(value), Some(("L", _))) => {
                Err(self.operand_type("list_append", value))
            }
            _ => Ok(operand),
        }
    }
}

/// The type names of `ADD` and `DELETE` messages.
fn long_type_name(tag: &str) -> &str {
    match tag {
        "S" => "STRING",
        "N" => "NUMBER",
        "B" => "BINARY",
        "BOOL" => "BOOLEAN",
        "L" => "LIST",
        "M" => "MAP",
        other => other,
    }
}

impl UpdateAction {
    fn path(&self) -> &Path {
        match self {
            UpdateAction::Set(path, _)
            | UpdateAction::Remove(path)
            | UpdateAction::Add(path, _)
            | UpdateAction::Delete(path, _) => path,
        }
    }
}

impl Update {
    /// The paths the update writes, in the order written.
    pub(crate) fn paths(&self) -> Vec<&Path> {
        self.actions.iter().map(UpdateAction::path).collect()
    }

    /// `new` (a copy of `old`, or the key alone for a new item) as the update leaves it.
    pub(crate) fn apply(&self, old: &Item, new: &mut Item) -> Result<(), DynamoError> {
        let mut sets = Vec::new();
        let mut removes = Vec::new();
        for action in &self.actions {
            match action {
                UpdateAction::Set(path, value) => sets.push((path, value.evaluate(old)?)),
                UpdateAction::Remove(path) => removes.push(path),
                UpdateAction::Add(..) | UpdateAction::Delete(..) => {}
            }
        }
        for (path, value) in sets {
            path.set(new, value)?;
        }
        // The highest list index first, so each index means the element it named.
        removes.sort_by_key(|path| std::cmp::Reverse(path.last_index()));
        for path in removes {
            path.remove(new)?;
        }
        for action in &self.actions {
            match action {
                UpdateAction::Add(path, value) => {
                    let sum = match path.get(new) {
                        None => value.clone(),
                        Some(current) => add(current, value)?,
                    };
                    path.set(new, sum)?;
                }
                UpdateAction::Delete(path, value) => {
                    let Some(current) = path.get(new) else {
                        continue;
                    };
                    match without(current, value)? {
                        Some(rest) => path.set(new, rest)?,
                        None => path.remove(new)?,
                    }
                }
                UpdateAction::Set(..) | UpdateAction::Remove(..) => {}
            }
        }
        Ok(())
    }
}

impl SetValue {
    fn evaluate(&self, item: &Item) -> Result<Value, DynamoError> {
        match self {
            SetValue::One(operand) => operand.evaluate(item),
            SetValue::Plus(a, b) => arithmetic(&a.evaluate(item)?, &b.evaluate(item)?, false),
            SetValue::Minus(a, b) => arithmetic(&a.evaluate(item)?, &b.evaluate(item)?, true),
        }
    }
}

impl SetOperand {
    fn evaluate(&self, item: &Item) -> Result<Value, DynamoError> {
        match self {
            SetOperand::Value(value) => Ok(value.clone()),
            SetOperand::Path(path) => path.get(item).cloned().ok_or_else(|| {
                DynamoError::validation(
                    "The provided expression refers to an attribute that does not exist in the \
                     item",
                )
            }),
            SetOperand::IfNotExists(path, fallback) => match path.get(item) {
                Some(value) => Ok(value.clone()),
                None => fallback.evaluate(item),
            },
            SetOperand::ListAppend(a, b) => {
                match (tagged(&a.evaluate(item)?), tagged(&b.evaluate(item)?)) {
                    (Some(("L", Value::Array(a))), Some(("L", Value::Array(b)))) => {
                        Ok(json!({ "L": a.iter().chain(b).cloned().collect::<Vec<_>>() }))
                    }
                    _ => Err(incorrect_data_type()),
                }
            }
        }
    }
}

fn number(value: &Value) -> Result<Number, DynamoError> {
    match tagged(value) {
        Some(("N", Value::String(text))) => Number::parse(text),
        _ => Err(incorrect_data_type()),
    }
}

fn arithmetic(a: &Value, b: &Value, subtract: bool) -> Result<Value, DynamoError> {
    let (a, b) = (number(a)?, number(b)?);
    let b = if subtract { b.negated() } else { b };
    Ok(json!({ "N": a.add(&b)?.to_text() }))
}

/// `ADD`: a number's sum, or a set's union.
fn add(current: &Value, value: &Value) -> Result<Value, DynamoError> {
    match (tagged(current), tagged(value)) {
        (Some(("N", _)), Some(("N", _))) => arithmetic(current, value, false),
        (Some((tag, Value::Array(members))), Some((other, Value::Array(more))))
            if tag == other && tag.len() == 2 =>
        {
            let mut union = members.clone();
            for member in more {
                if !contains_member(tag, &union, member) {
                    union.push(member.clone());
                }
            }
            Ok(json!({ tag: union }))
        }
        _ => Err(incorrect_data_type()),
    }
}

/// `DELETE`: the set without the members given; `None` when none are left.
fn without(current: &Value, value: &Value) -> Result<Option<Value>, DynamoError> {
    match (tagged(current), tagged(value)) {
        (Some((tag, Value::Array(members))), Some((other, Value::Array(gone))))
            if tag == other && tag.len() == 2 =>
        {
            let rest: Vec<Value> = members
                .iter()
                .filter(|member| !contains_member(tag, gone, member))
                .cloned()
                .collect();
            Ok((!rest.is_empty()).then(|| json!({ tag: rest })))
        }
        _ => Err(incorrect_data_type()),
    }
}

fn contains_member(set_tag: &str, members: &[Value], member: &Value) -> bool {
    let as_value = |member: &Value| json!({ &set_tag[..1]: member });
    let wanted = as_value(member);
    members.iter().any(|other| equal(&as_value(other), &wanted))
}

fn incorrect_data_type() -> DynamoError {
    DynamoError::validation("An operand in the update expression has an incorrect data type")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::{Placeholders, update};
    use super::*;

    fn values() -> Item {
        json!({
            ":one": {"N": "1"}, ":s": {"S": "x"}, ":l": {"L": [{"S": "new"}]},
            ":ss": {"SS": ["b", "c"]}, ":zero": {"N": "0"}
        })
        .as_object()
        .cloned()
        .expect("an object")
    }

    fn parse(text: &str) -> Result<Update, DynamoError> {
        let values = values();
        let mut placeholders = Placeholders::new(None, Some(&values))?;
        update(text, &mut placeholders)
    }

    fn applied(text: &str, item: Value) -> Result<Value, DynamoError> {
        let old = item.as_object().cloned().expect("an item");
        let mut new = old.clone();
        parse(text)?.apply(&old, &mut new)?;
        Ok(Value::Object(new))
    }

    #[test]
    fn set_computes_from_the_old_item() {
        let item = json!({"n": {"N": "41"}, "l": {"L": [{"S": "old"}]}, "m": {"M": {}}});
        let new = applied(
            "SET n = n + :one, l = list_append(l, :l), m.k = :s, c = if_not_exists(c, :zero) \
             REMOVE gone",
            item,
        )
        .expect("applies");
        assert_eq!(new["n"], json!({"N": "42"}));
        assert_eq!(new["l"], json!({"L": [{"S": "old"}, {"S": "new"}]}));
        assert_eq!(new["m"], json!({"M": {"k": {"S": "x"}}}));
        assert_eq!(new["c"], json!({"N": "0"}));
    }

    #[test]
    fn add_and_delete_work_on_numbers_and_sets() {
        let item = json!({"n": {"N": "1"}, "ss": {"SS": ["a", "b"]}});
        let new = applied("ADD n :one, ss :ss, fresh :one", item.clone()).expect("adds");
        assert_eq!(new["n"], json!({"N": "2"}));
        assert_eq!(new["ss"], json!({"SS": ["a", "b", "c"]}));
        assert_eq!(new["fresh"], json!({"N": "1"}));
        let new = applied("DELETE ss :ss", item).expect("deletes");
        assert_eq!(new["ss"], json!({"SS": ["a"]}));
        let emptied = applied("DELETE ss :ss", json!({"ss": {"SS": ["b"]}})).expect("empties");
        assert_eq!(emptied, json!({}), "an emptied set is removed");
    }

    #[test]
    fn list_elements_are_removed_by_their_old_index() {
        let item = json!({"l": {"L": [{"S": "a"}, {"S": "b"}, {"S": "c"}]}});
        let new = applied("REMOVE l[0], l[2]", item).expect("removes");
        assert_eq!(new["l"], json!({"L": [{"S": "b"}]}));
    }

    #[test]
    fn mistakes_are_refused_with_dynamodbs_words() {
        for (text, expected) in [
            (
                "SET a = :s SET b = :s",
                "The \"SET\" section can only be used once",
            ),
            (
                "SET a = :s, a.b = :s",
                "Two document paths overlap with each other",
            ),
            (
                "SET a.b = :s REMOVE a[0]",
                "Two document paths conflict with each other",
            ),
            ("ADD a :s", "operator: ADD, operand type: STRING"),
            ("DELETE a :one", "operator: DELETE, operand type: NUMBER"),
            ("SET a = a + :s", "operator or function: +, operand type: S"),
            (
                "SET a = list_append(a, :s)",
                "operator or function: list_append, operand type: S",
            ),
            ("SET a = if_not_exists(:s, :s)", "requires a document path"),
            (
                "SET a = size(b)",
                "not allowed in an update expression; function: size",
            ),
            ("SET a = nope(b)", "Invalid function name; function: nope"),
            ("SET status = :s", "reserved keyword: status"),
            ("PUT a = :s", "Syntax error; token: \"PUT\""),
        ] {
            let error = parse(text).expect_err(text);
            assert!(
                error.message.contains(expected),
                "{text}: {}",
                error.message
            );
        }
        for (text, item, expected) in [
            (
                "SET a = b",
                json!({}),
                "refers to an attribute that does not exist",
            ),
            (
                "SET a = a + :one",
                json!({"a": {"S": "x"}}),
                "incorrect data type",
            ),
            (
                "ADD a :one",
                json!({"a": {"SS": ["x"]}}),
                "incorrect data type",
            ),
            ("SET a.b = :s", json!({}), "invalid for update"),
        ] {
            let error = applied(text, item).expect_err(text);
            assert!(
                error.message.contains(expected),
                "{text}: {}",
                error.message
            );
        }
    }
}
