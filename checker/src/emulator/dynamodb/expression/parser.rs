//! Recursive descent over the tokens, after DynamoDB's grammar:
//!
//! ```text
//! condition := and (OR and)*
//! and       := not (AND not)*
//! not       := NOT not | '(' condition ')' | function | operand comparison
//! comparison:= comparator operand | BETWEEN operand AND operand
//! function  := attribute_exists(path) | attribute_not_exists(path)
//!            | begins_with(operand, operand) | contains(operand, operand)
//! operand   := path | :value
//! path      := name | #name          (nested paths are not supported)
//! ```

use super::lexer::{Spanned, Token, Unexpected, tokens};
use super::limits::{check_size, check_tokens};
use super::{Condition, Operand, Placeholders, SUPPORTED_CONDITIONS};
use crate::emulator::dynamodb::error::DynamoError;

const KEYWORDS: [&str; 5] = ["AND", "OR", "NOT", "BETWEEN", "IN"];
/// Common attribute names that are on DynamoDB's list of 573 reserved words,
/// so an expression using one unquoted fails here as it would on AWS. Only
/// words certainly on the list: a false one would refuse valid code.
const RESERVED: [&str; 48] = [
    "ACTION",
    "ADD",
    "ALL",
    "AS",
    "BY",
    "COMMENT",
    "CONNECTION",
    "COUNT",
    "DATA",
    "DATE",
    "DAY",
    "DELETE",
    "DESC",
    "FROM",
    "GROUP",
    "HOUR",
    "INDEX",
    "KEY",
    "LEVEL",
    "LIMIT",
    "MINUTE",
    "MONTH",
    "NAME",
    "NULL",
    "ORDER",
    "ROLE",
    "SECOND",
    "SELECT",
    "SESSION",
    "SET",
    "SIZE",
    "STATUS",
    "TABLE",
    "TIME",
    "TIMESTAMP",
    "TO",
    "TTL",
    "TYPE",
    "UPDATE",
    "USER",
    "VALUE",
    "VALUES",
    "WHERE",
    "YEAR",
    "ZONE",
    "ASC",
    "CREATE",
    "DROP",
];

pub(super) struct Parser<'t, 'p, 'a> {
    parameter: &'static str,
    text: &'t str,
    tokens: Vec<Spanned>,
    at: usize,
    placeholders: &'p mut Placeholders<'a>,
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

    pub(super) fn projection(mut self) -> Result<Vec<String>, DynamoError> {
        let mut names = vec![self.path()?];
        while self.eat(&Token::Comma) {
            names.push(self.path()?);
        }
        self.end()?;
        Ok(names)
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
        if let (Some(Token::Word(word)), Some(Token::Open)) = (self.peek(0), self.peek(1)) {
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
                Err(self.unsupported("the IN operator"))
            }
            _ => Err(self.unexpected()),
        }
    }

    /// After `name(`: the arguments and the `)`.
    fn function(&mut self, name: &str) -> Result<Condition, DynamoError> {
        let condition = match name {
            "attribute_exists" => Condition::Exists(self.path()?),
            "attribute_not_exists" => Condition::NotExists(self.path()?),
            "begins_with" | "contains" => {
                let subject = self.operand()?;
                self.expect(&Token::Comma)?;
                let argument = self.operand()?;
                if name == "begins_with" {
                    Condition::BeginsWith(subject, argument)
                } else {
                    Condition::Contains(subject, argument)
                }
            }
            "attribute_type" | "size" => {
                return Err(self.unsupported(format!("the function {name}")));
            }
            _ => {
                return Err(DynamoError::validation(format!(
                    "Invalid {}: Invalid function name; function: {name}",
                    self.parameter
                )));
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
            Some(Token::Word(word)) if word == "size" && self.peek(1) == Some(&Token::Open) => {
                Err(self.unsupported("the function size"))
            }
            _ => Ok(Operand::Path(self.path()?)),
        }
    }

    /// A top-level attribute name.
    fn path(&mut self) -> Result<String, DynamoError> {
        let name = match self.peek(0).cloned() {
            Some(Token::Word(word)) if is_reserved(&word) => {
                return Err(DynamoError::validation(format!(
                    "Invalid {}: Attribute name is a reserved keyword; reserved keyword: {word} \
                     (write a placeholder such as `#{word}` and give its name in \
                     ExpressionAttributeNames)",
                    self.parameter
                )));
            }
            Some(Token::Word(word)) if !is_keyword(&word) => word,
            Some(Token::Name(placeholder)) => {
                self.placeholders.name(self.parameter, &placeholder)?
            }
            _ => return Err(self.unexpected()),
        };
        self.at += 1;
        if let Some(Token::Nested(_)) = self.peek(0) {
            return Err(self.unsupported("nested attribute paths such as `a.b` or `a[0]`"));
        }
        Ok(name)
    }

    fn peek(&self, ahead: usize) -> Option<&Token> {
        self.tokens
            .get(self.at + ahead)
            .map(|spanned| &spanned.token)
    }

    fn eat(&mut self, token: &Token) -> bool {
        let found = self.peek(0) == Some(token);
        if found {
            self.at += 1;
        }
        found
    }

    fn keyword(&mut self, keyword: &str) -> bool {
        let found =
            matches!(self.peek(0), Some(Token::Word(word)) if word.eq_ignore_ascii_case(keyword));
        if found {
            self.at += 1;
        }
        found
    }

    fn expect(&mut self, token: &Token) -> Result<(), DynamoError> {
        if self.eat(token) {
            Ok(())
        } else {
            Err(self.unexpected())
        }
    }

    fn end(&self) -> Result<(), DynamoError> {
        match self.peek(0) {
            None => Ok(()),
            Some(_) => Err(self.unexpected()),
        }
    }

    /// A syntax error at the current token, quoting it and its neighbours.
    fn unexpected(&self) -> DynamoError {
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

    fn unsupported(&self, what: impl std::fmt::Display) -> DynamoError {
        DynamoError::unsupported(
            format_args!("{what} (in {})", self.parameter),
            SUPPORTED_CONDITIONS,
        )
    }
}

fn is_keyword(word: &str) -> bool {
    KEYWORDS
        .iter()
        .any(|keyword| keyword.eq_ignore_ascii_case(word))
}

fn is_reserved(word: &str) -> bool {
    RESERVED
        .iter()
        .any(|reserved| reserved.eq_ignore_ascii_case(word))
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
        Operand::Path(name.to_owned())
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
        let a = || Box::new(Condition::Exists("a".to_owned()));
        let b = || Box::new(Condition::Exists("b".to_owned()));
        let c = || Box::new(Condition::Exists("c".to_owned()));
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
    fn unsupported_parts_are_named_with_what_is_supported() {
        for (text, part) in [
            ("a.b = :v", "nested attribute paths"),
            ("a[0] = :v", "nested attribute paths"),
            ("size(a) > :a", "the function size"),
            ("a IN (:a, :b)", "the IN operator"),
            ("attribute_type(a, :v)", "the function attribute_type"),
        ] {
            let error = parse(text).expect_err(text);
            assert!(error.message.contains(part), "{text}: {}", error.message);
            assert!(
                error.message.contains("it supports comparisons"),
                "{}",
                error.message
            );
        }
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
    fn projections_list_names() {
        let names = names();
        let mut placeholders = Placeholders::new(Some(&names), None).expect("placeholders");
        assert_eq!(
            projection("#pk, Nickname ,x", &mut placeholders),
            Ok(vec![
                "ChatId".to_owned(),
                "Nickname".to_owned(),
                "x".to_owned()
            ])
        );
        assert_eq!(placeholders.finish(), Ok(()));
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
