//! Recursive descent over the tokens, after DynamoDB's grammar (update
//! expressions are in `update.rs`):
//!
//! ```text
//! condition := and (OR and)*
//! and       := not (AND not)*
//! not       := NOT not | '(' condition ')' | function | operand comparison
//! comparison:= comparator operand | BETWEEN operand AND operand
//!            | IN '(' operand (',' operand)* ')'
//! function  := attribute_exists(path) | attribute_not_exists(path)
//!            | attribute_type(path, :type) | begins_with(operand, operand)
//!            | contains(operand, operand)
//! operand   := path | :value | size(path)
//! path      := name ('.' name | '[' digits ']')*      name := word | #name
//! ```

use serde_json::Value;

use super::lexer::{Spanned, Token, Unexpected, tokens};
use super::limits::{check_size, check_tokens};
use super::path::{Clash, Element, MAX_DEPTH, Path};
use super::reserved::is_reserved;
use super::{Condition, Operand, Placeholders};
use crate::emulator::dynamodb::error::DynamoError;
use crate::emulator::dynamodb::value::tagged;

/// DynamoDB's limit on the operands of one `IN`.
const MAX_IN_OPERANDS: usize = 100;
const TYPES: [&str; 10] = ["S", "SS", "N", "NS", "B", "BS", "BOOL", "NULL", "L", "M"];

pub(super) struct Parser<'t, 'p, 'a> {
    pub(super) parameter: &'static str,
    text: &'t str,
    tokens: Vec<Spanned>,
    pub(super) at: usize,
    pub(super) placeholders: &'p mut Placeholders<'a>,
}

impl<'t, 'p, 'a> Parser<'t, 'p, 'a> {
    pub(super) fn new(
        parameter: &'static str,
        text: &'t str,
        placeholders: &'p mut Placeholders<'a>,
    ) -> Result<Self, DynamoError> {
        if text.trim().is_empty() {
            return Err(DynamoError::validation(format!(
                "Invalid {parameter}: The expression can not be empty;"
            )));
        }
        check_size(parameter, text)?;
        let tokens = tokens(text).map_err(|Unexpected { start, end }| {
            syntax(parameter, &text[start..end], &text[start..end])
        })?;
        // Before any recursion: nothing deeper than the limits reaches it.
        check_tokens(parameter, &tokens)?;
        Ok(Self {
            parameter,
            text,
            tokens,
            at: 0,
            placeholders,
        })
    }

    pub(super) fn condition(mut self) -> Result<Condition, DynamoError> {
        let condition = self.or()?;
        self.end()?;
        Ok(condition)
    }

    pub(super) fn projection(mut self) -> Result<Vec<Path>, DynamoError> {
        let mut paths = vec![self.path()?];
        while self.eat(&Token::Comma) {
            paths.push(self.path()?);
        }
        self.end()?;
        self.no_clashes(&paths)?;
        Ok(paths)
    }

    fn or(&mut self) -> Result<Condition, DynamoError> {
        let mut left = self.and()?;
        while self.keyword("OR") {
            left = Condition::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Condition, DynamoError> {
        let mut left = self.not()?;
        while self.keyword("AND") {
            left = Condition::And(Box::new(left), Box::new(self.not()?));
        }
        Ok(left)
    }

    fn not(&mut self) -> Result<Condition, DynamoError> {
        if self.keyword("NOT") {
            return Ok(Condition::Not(Box::new(self.not()?)));
        }
        if self.eat(&Token::Open) {
            let inner = self.or()?;
            self.expect(&Token::Close)?;
            return Ok(inner);
        }
        if let (Some(Token::Word(word)), Some(Token::Open)) = (self.peek(0), self.peek(1))
            && word != "size"
        {
            let function = word.clone();
            self.at += 2;
            return self.function(&function);
        }
        let left = self.operand()?;
        match self.peek(0).cloned() {
            Some(Token::Compare(comparator)) => {
                self.at += 1;
                Ok(Condition::Compare(left, comparator, self.operand()?))
            }
            Some(Token::Word(word)) if word.eq_ignore_ascii_case("BETWEEN") => {
                self.at += 1;
                let low = self.operand()?;
                if !self.keyword("AND") {
                    return Err(self.unexpected());
                }
                Ok(Condition::Between(left, low, self.operand()?))
            }
            Some(Token::Word(word)) if word.eq_ignore_ascii_case("IN") => {
                self.at += 1;
                self.expect(&Token::Open)?;
                let mut list = vec![self.operand()?];
                while self.eat(&Token::Comma) {
                    list.push(self.operand()?);
                }
                self.expect(&Token::Close)?;
                if list.len() > MAX_IN_OPERANDS {
                    return Err(self.invalid(format!(
                        "The IN operator is provided with too many operands; number of operands: {}",
                        list.len()
                    )));
                }
                Ok(Condition::In(left, list))
            }
            _ => Err(self.unexpected()),
        }
    }

    /// After `name(`: the arguments and the `)`.
    fn function(&mut self, name: &str) -> Result<Condition, DynamoError> {
        let condition = match name {
            "attribute_exists" => Condition::Exists(self.path()?),
            "attribute_not_exists" => Condition::NotExists(self.path()?),
            "attribute_type" => {
                let path = self.path()?;
                self.expect(&Token::Comma)?;
                let kind = match self.operand()? {
                    Operand::Value(value) => match tagged(&value) {
                        Some(("S", Value::String(kind))) if TYPES.contains(&kind.as_str()) => {
                            kind.clone()
                        }
                        Some(("S", Value::String(kind))) => {
                            return Err(self.invalid(format!(
                                "Invalid attribute type name found; type: {kind}, valid types: \
                                 {{ B; NULL; SS; BOOL; L; BS; N; NS; S; M }}"
                            )));
                        }
                        _ => return Err(self.operand_type("attribute_type", &value)),
                    },
                    _ => return Err(self.unexpected()),
                };
                Condition::AttributeType(path, kind)
            }
            "begins_with" | "contains" => {
                let subject = self.operand()?;
                self.expect(&Token::Comma)?;
                let argument = self.operand()?;
                if name == "begins_with" {
                    for operand in [&subject, &argument] {
                        if let Operand::Value(value) = operand
                            && !matches!(tagged(value), Some(("S" | "B", _)))
                        {
                            return Err(self.operand_type(name, value));
                        }
                    }
                    Condition::BeginsWith(subject, argument)
                } else {
                    Condition::Contains(subject, argument)
                }
            }
            "if_not_exists" | "list_append" => {
                return Err(self.invalid(format!(
                    "The function is not allowed in a condition expression; function: {name}"
                )));
            }
            _ => {
                return Err(self.invalid(format!("Invalid function name; function: {name}")));
            }
        };
        self.expect(&Token::Close)?;
        Ok(condition)
    }

    fn operand(&mut self) -> Result<Operand, DynamoError> {
        match self.peek(0).cloned() {
            Some(Token::Value(placeholder)) => {
                self.at += 1;
                let value = self.placeholders.value(self.parameter, &placeholder)?;
                Ok(Operand::Value(value))
            }
            Some(Token::Word(word)) if self.peek(1) == Some(&Token::Open) => {
                self.at += 2;
                if word != "size" {
                    return Err(self.invalid(format!(
                        "The function is not allowed to be used this way in an expression; \
                         function: {word}"
                    )));
                }
                let path = self.path()?;
                self.expect(&Token::Close)?;
                Ok(Operand::Size(path))
            }
            _ => Ok(Operand::Path(self.path()?)),
        }
    }

    /// A document path: names (or `#name` placeholders) joined by `.`, and `[index]`es.
    pub(super) fn path(&mut self) -> Result<Path, DynamoError> {
        let mut path = Path::new(self.name()?);
        loop {
            if self.eat(&Token::Nested('.')) {
                path.push(Element::Name(self.name()?));
            } else if self.eat(&Token::Nested('[')) {
                let index = match self.peek(0) {
                    Some(Token::Word(digits)) if digits.bytes().all(|b| b.is_ascii_digit()) => {
                        digits.parse::<usize>().ok()
                    }
                    _ => None,
                };
                let Some(index) = index else {
                    return Err(self.unexpected());
                };
                self.at += 1;
                self.expect(&Token::Nested(']'))?;
                path.push(Element::Index(index));
            } else {
                break;
            }
            if path.depth() > MAX_DEPTH {
                return Err(self.invalid(format!(
                    "The document path has too many nesting levels; nesting levels: {}",
                    path.depth()
                )));
            }
        }
        Ok(path)
    }

    /// One name of a path: a word that is no reserved word, or a `#name`.
    fn name(&mut self) -> Result<String, DynamoError> {
        let name = match self.peek(0).cloned() {
            Some(Token::Word(word)) if is_reserved(&word) => {
                return Err(DynamoError::validation(format!(
                    "Invalid {}: Attribute name is a reserved keyword; reserved keyword: {word}",
                    self.parameter
                ))
                .advise(format!(
                    "`{word}` is one of DynamoDB's 573 reserved words: write a placeholder such \
                     as `#{word}` in the expression and map it in ExpressionAttributeNames \
                     (`.expression_attribute_names(\"#{word}\", \"{word}\")`)"
                )));
            }
            Some(Token::Word(word)) if !word.starts_with(|c: char| c.is_ascii_digit()) => word,
            Some(Token::Name(placeholder)) => {
                self.placeholders.name(self.parameter, &placeholder)?
            }
            _ => return Err(self.unexpected()),
        };
        self.at += 1;
        Ok(name)
    }

    /// DynamoDB refuses two paths of one expression where one lies in the other.
    pub(super) fn no_clashes(&self, paths: &[Path]) -> Result<(), DynamoError> {
        for (index, one) in paths.iter().enumerate() {
            for two in &paths[index + 1..] {
                let how = match one.clash(two) {
                    None => continue,
                    Some(Clash::Overlap) => "overlap",
                    Some(Clash::Conflict) => "conflict",
                };
                return Err(self.invalid(format!(
                    "Two document paths {how} with each other; must remove or rewrite one of \
                     these paths; path one: {one}, path two: {two}"
                )));
            }
        }
        Ok(())
    }

    pub(super) fn peek(&self, ahead: usize) -> Option<&Token> {
        self.tokens
            .get(self.at + ahead)
            .map(|spanned| &spanned.token)
    }

    pub(super) fn eat(&mut self, token: &Token) -> bool {
        let found = self.peek(0) == Some(token);
        if found {
            self.at += 1;
        }
        found
    }

    pub(super) fn keyword(&mut self, keyword: &str) -> bool {
        let found =
            matches!(self.peek(0), Some(Token::Word(word)) if word.eq_ignore_ascii_case(keyword));
        if found {
            self.at += 1;
        }
        found
    }

    pub(super) fn expect(&mut self, token: &Token) -> Result<(), DynamoError> {
        if self.eat(token) {
            Ok(())
        } else {
            Err(self.unexpected())
        }
    }

    pub(super) fn end(&self) -> Result<(), DynamoError> {
        match self.peek(0) {
            None => Ok(()),
            Some(_) => Err(self.unexpected()),
        }
    }

    /// A syntax error at the current token, quoting it and its neighbours.
    pub(super) fn unexpected(&self) -> DynamoError {
        let Some(current) = self.tokens.get(self.at) else {
            let tail = match self.tokens.len() {
                0 => self.text,
                len => &self.text[self.tokens[len.saturating_sub(2)].start..],
            };
            return syntax(self.parameter, "<EOF>", tail);
        };
        let start = self
            .at
            .checked_sub(1)
            .map_or(current.start, |before| self.tokens[before].start);
        let end = self
            .tokens
            .get(self.at + 1)
            .map_or(current.end, |after| after.end);
        syntax(
            self.parameter,
            &self.text[current.start..current.end],
            &self.text[start..end],
        )
    }

    /// `Invalid {parameter}: {problem}`.
    pub(super) fn invalid(&self, problem: impl std::fmt::Display) -> DynamoError {
        DynamoError::validation(format!("Invalid {}: {problem}", self.parameter))
    }

    /// A literal of a type the operator or function does not take.
    pub(super) fn operand_type(&self, operator: &str, value: &Value) -> DynamoError {
        let kind = tagged(value).map_or("?", |(tag, _)| tag);
        self.invalid(format!(
            "Incorrect operand type for operator or function; operator or function: {operator}, \
             operand type: {kind}"
        ))
    }
}

fn syntax(parameter: &str, token: &str, near: &str) -> DynamoError {
    DynamoError::validation(format!(
        "Invalid {parameter}: Syntax error; token: \"{token}\", near: \"{near}\""
    ))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::{Value, json};

    use super::super::path::Path;
    use super::super::{Comparator, condition, projection};
    use super::*;
    use crate::emulator::dynamodb::value::Item;

    fn values() -> Item {
        json!({":v": {"S": "x"}, ":a": {"N": "1"}, ":b": {"N": "9"}})
            .as_object()
            .cloned()
            .expect("an object")
    }

    fn names() -> BTreeMap<String, String> {
        BTreeMap::from([("#pk".to_owned(), "ChatId".to_owned())])
    }

    fn parse(text: &str) -> Result<Condition, DynamoError> {
        let (names, values) = (names(), values());
        let mut placeholders = Placeholders::new(Some(&names), Some(&values))?;
        condition("FilterExpression", text, &mut placeholders)
    }

    fn path(name: &str) -> Operand {
        Operand::Path(Path::new(name.to_owned()))
    }

    fn value(json: Value) -> Operand {
        Operand::Value(json)
    }

    #[test]
    fn parses_comparisons_with_placeholders() {
        assert_eq!(
            parse("#pk = :v"),
            Ok(Condition::Compare(
                path("ChatId"),
                Comparator::Eq,
                value(json!({"S": "x"}))
            ))
        );
        assert_eq!(
            parse("n between :a AND :b"),
            Ok(Condition::Between(
                path("n"),
                value(json!({"N": "1"})),
                value(json!({"N": "9"}))
            ))
        );
    }

    #[test]
    fn and_binds_tighter_than_or_and_parentheses_group() {
        let a = || Box::new(Condition::Exists(Path::new("a".to_owned())));
        let b = || Box::new(Condition::Exists(Path::new("b".to_owned())));
        let c = || Box::new(Condition::Exists(Path::new("c".to_owned())));
        assert_eq!(
            parse("attribute_exists(a) OR attribute_exists(b) AND attribute_exists(c)"),
            Ok(Condition::Or(a(), Box::new(Condition::And(b(), c()))))
        );
        assert_eq!(
            parse("(attribute_exists(a) OR attribute_exists(b)) AND attribute_exists(c)"),
            Ok(Condition::And(Box::new(Condition::Or(a(), b())), c()))
        );
        assert_eq!(parse("NOT attribute_exists(a)"), Ok(Condition::Not(a())));
        assert_eq!(
            parse("begins_with(#pk, :v)"),
            Ok(Condition::BeginsWith(
                path("ChatId"),
                value(json!({"S": "x"}))
            ))
        );
    }

    #[test]
    fn syntax_errors_quote_the_token_and_its_neighbours() {
        let error = parse("a = = :v").expect_err("two operators");
        assert_eq!(
            error.message,
            "Invalid FilterExpression: Syntax error; token: \"=\", near: \"= = :v\""
        );
        let error = parse("a = :v AND").expect_err("a dangling AND");
        assert_eq!(
            error.message,
            "Invalid FilterExpression: Syntax error; token: \"<EOF>\", near: \":v AND\""
        );
        let error = parse("a - :v").expect_err("no such operator");
        assert!(error.message.contains("token: \"-\""), "{}", error.message);
    }

    #[test]
    fn undefined_placeholders_are_named() {
        let error = parse("#nope = :v").expect_err("undefined name");
        assert!(
            error.message.ends_with("attribute name: #nope"),
            "{}",
            error.message
        );
        let error = parse("a = :nope").expect_err("undefined value");
        assert!(
            error.message.ends_with("attribute value: :nope"),
            "{}",
            error.message
        );
        let error = parse("unknown_fn(a)").expect_err("no such function");
        assert!(
            error.message.ends_with("function: unknown_fn"),
            "{}",
            error.message
        );
    }

    #[test]
    fn the_whole_condition_grammar_parses() {
        for text in [
            "a.b[0].c = :v",
            "size(a) > :a",
            "a IN (:a, :b)",
            "contains(#pk.x, :v)",
        ] {
            assert!(parse(text).is_ok(), "{text}: {:?}", parse(text));
        }
        for (text, expected) in [
            ("a[x] = :v", "Syntax error; token: \"x\""),
            (
                "begins_with(a, :a)",
                "operator or function: begins_with, operand type: N",
            ),
            (
                "if_not_exists(a, :v)",
                "not allowed in a condition expression",
            ),
            ("a = size", "reserved keyword: size"),
            (
                "attribute_type(a, :v)",
                "Invalid attribute type name found; type: x",
            ),
        ] {
            let error = parse(text).expect_err(text);
            assert!(
                error.message.contains(expected),
                "{text}: {}",
                error.message
            );
        }
        let deep = format!("a{}", ".b".repeat(32));
        let error = parse(&format!("{deep} = :v")).expect_err("33 levels");
        assert!(
            error.message.contains("nesting levels: 33"),
            "{}",
            error.message
        );
    }

    #[test]
    fn reserved_words_need_placeholders() {
        let error = parse("status = :v").expect_err("a reserved word");
        assert!(
            error.message.starts_with(
                "Invalid FilterExpression: Attribute name is a reserved keyword; reserved \
                 keyword: status"
            ),
            "{}",
            error.message
        );
        assert!(
            parse("Statuses = :v").is_ok(),
            "only whole words are reserved"
        );
    }

    #[test]
    fn every_reserved_word_needs_a_placeholder() {
        for word in ["Timestamp", "users", "text", "views", "Comment"] {
            let error = parse(&format!("{word} = :v")).expect_err(word);
            assert!(
                error
                    .message
                    .ends_with(&format!("reserved keyword: {word}")),
                "{}",
                error.message
            );
            assert!(
                error
                    .advice
                    .is_some_and(|advice| advice.contains(&format!("#{word}")))
            );
            assert!(
                parse(&format!("p.{word} = :v")).is_err(),
                "nested names too"
            );
        }
    }

    #[test]
    fn projections_list_names() {
        let names = names();
        let mut placeholders = Placeholders::new(Some(&names), None).expect("placeholders");
        assert_eq!(
            projection("#pk, Nickname ,x", &mut placeholders),
            Ok(vec![
                Path::new("ChatId".to_owned()),
                Path::new("Nickname".to_owned()),
                Path::new("x".to_owned())
            ])
        );
        assert_eq!(placeholders.finish(), Ok(()));
    }

    #[test]
    fn overlapping_projections_are_refused() {
        let mut placeholders = Placeholders::new(None, None).expect("placeholders");
        let error = projection("a.b, a", &mut placeholders).expect_err("overlap");
        assert_eq!(
            error.message,
            "Invalid ProjectionExpression: Two document paths overlap with each other; must \
             remove or rewrite one of these paths; path one: [a, b], path two: [a]"
        );
    }

    #[test]
    fn unused_placeholders_are_refused() {
        let (names, values) = (names(), values());
        let mut placeholders = Placeholders::new(Some(&names), Some(&values)).expect("valid");
        condition("FilterExpression", "#pk = :v", &mut placeholders).expect("parses");
        let error = placeholders.finish().expect_err(":a and :b are unused");
        assert_eq!(
            error.message,
            "Value provided in ExpressionAttributeValues unused in expressions: keys: {:a, :b}"
        );
        let empty = Item::new();
        assert!(Placeholders::new(None, Some(&empty)).is_err());
    }
}
