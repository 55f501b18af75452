//! Splits a string into text and `${...}` variables, following Serverless v3's
//! parser: `${` only starts a variable when a lowercase source type and `:` or `(`
//! follow, so CloudFormation's `${AWS::Region}` and API Gateway's
//! `${request.body.action}` stay text.

/// A string with its variables picked out.
pub(super) type Template = Vec<Piece>;

#[derive(Clone, Debug, PartialEq)]
pub(super) enum Piece {
    Text(String),
    Var(Var),
}

#[derive(Clone, Debug, PartialEq)]
pub(super) struct Var {
    /// As written, e.g. `${opt:stage, 'dev'}`, for messages.
    pub(super) raw: String,
    /// The first choice, then the fallbacks, tried in order.
    pub(super) sources: Vec<Source>,
}

#[derive(Clone, Debug, PartialEq)]
pub(super) enum Source {
    /// `type:address` or `type(params):address`; params and address may hold variables.
    Ref {
        kind: String,
        params: Vec<Template>,
        address: Option<Template>,
    },
    /// A fallback written as a value: `'dev'`, `"dev"`, `5`, `true`, `null`.
    Literal(Literal),
    /// A fallback written as a whole variable, `${self:provider.stage}` (Serverless v2 style).
    Nested(Var),
}

#[derive(Clone, Debug, PartialEq)]
pub(super) enum Literal {
    Str(String),
    Number(serde_json::Number),
    Bool(bool),
    Null,
}

/// What is wrong with a variable's syntax, and how to write it instead.
#[derive(Debug, PartialEq, thiserror::Error)]
pub(super) enum SyntaxError {
    #[error("a `${{` inside a variable must start another variable, such as `{example}`")]
    NotAVariable { example: &'static str },
    #[error("a `(` is not closed; write e.g. `${{file(config.json):key}}`")]
    ParenthesisInAddress,
    #[error("a `(` is not closed; add the `)`")]
    Parenthesis,
    #[error(
        "an address holds no second `:`; write e.g. `${{self:custom.tableName}}` or \
         `${{file(config.json):key}}`"
    )]
    SecondColon,
    #[error(
        "unexpected text after `{0}`; separate a default with a comma, e.g. `${{opt:stage, 'dev'}}`"
    )]
    AfterSource(String),
    #[error("the variable has no closing `}}`; add it")]
    Unclosed,
    #[error("the default `{0}` must come last; write e.g. `${{opt:stage, 'dev'}}`")]
    DefaultNotLast(String),
    #[error(
        "the default `{0}` is neither quoted text, a number, true/false nor a variable; write \
         text in quotes, e.g. `'{0}'`"
    )]
    BareWord(String),
    #[error("the quote {0} is not closed; close it")]
    UnclosedQuote(String),
    #[error("cannot read {text}: {error}")]
    Json { text: String, error: String },
}

/// Parses `text`; the error says what is wrong and how to write it instead.
pub(super) fn parse(text: &str) -> Result<Template, SyntaxError> {
    let mut parser = VariableParser { s: text, i: 0 };
    parser.template(Part::Top)
}

/// Which part of a string the parser is in: it decides what ends a template.
#[derive(Clone, Copy, PartialEq)]
enum Part {
    Top,
    Param,
    Address,
}

impl Part {
    fn stops(self, c: u8) -> bool {
        match self {
            Part::Top => false,
            Part::Param => c == b',' || c == b')',
            Part::Address => c == b',' || c == b'}',
        }
    }
}

struct VariableParser<'a> {
    s: &'a str,
    i: usize,
}

impl VariableParser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.as_bytes().get(self.i).copied()
    }

    fn at(&self, offset: usize) -> Option<u8> {
        self.s.as_bytes().get(self.i + offset).copied()
    }

    fn skip_spaces(&mut self) {
        while self.peek() == Some(b' ') {
            self.i += 1;
        }
    }

    fn template(&mut self, part: Part) -> Result<Template, SyntaxError> {
        let mut pieces = Vec::new();
        let mut text_start = self.i;
        while let Some(c) = self.peek() {
            if part.stops(c) {
                break;
            }
            match c {
                // An escaped character never starts a variable; the text stays as written.
                b'\\' if part == Part::Top => {
                    self.i += 1;
                    self.i += self.s[self.i..].chars().next().map_or(0, char::len_utf8);
                }
                b'$' if self.at(1) == Some(b'{') => {
                    let start = self.i;
                    match self.variable()? {
                        Some(var) => {
                            push_text(&mut pieces, &self.s[text_start..start]);
                            pieces.push(Piece::Var(var));
                            text_start = self.i;
                        }
                        None if part == Part::Top => self.i += 2,
                        None => {
                            return Err(SyntaxError::NotAVariable {
                                example: "${self:custom.name}",
                            });
                        }
                    }
                }
                b'}' if part == Part::Param => {
                    return Err(SyntaxError::ParenthesisInAddress);
                }
                b':' if part == Part::Address => {
                    return Err(SyntaxError::SecondColon);
                }
                _ => self.i += self.s[self.i..].chars().next().map_or(1, char::len_utf8),
            }
        }
        push_text(&mut pieces, &self.s[text_start..self.i]);
        Ok(pieces)
    }

    /// At `${`: the variable, or `None` when this `${` is not one (left as text).
    fn variable(&mut self) -> Result<Option<Var>, SyntaxError> {
        let start = self.i;
        let bytes = self.s.as_bytes();
        let type_start = start + 2;
        if !bytes.get(type_start).is_some_and(u8::is_ascii_lowercase) {
            return Ok(None);
        }
        let type_end = word_end(bytes, type_start);
        if !matches!(bytes.get(type_end), Some(b':' | b'(')) {
            return Ok(None);
        }
        self.i = type_start;
        let mut sources = vec![self.reference()?];
        loop {
            self.skip_spaces();
            match self.peek() {
                Some(b'}') => {
                    self.i += 1;
                    break;
                }
                Some(b',') => {
                    self.i += 1;
                    sources.push(self.fallback()?);
                }
                Some(_) => {
                    return Err(SyntaxError::AfterSource(self.s[start..self.i].to_owned()));
                }
                None => {
                    return Err(SyntaxError::Unclosed);
                }
            }
        }
        Ok(Some(Var {
            raw: self.s[start..self.i].to_owned(),
            sources,
        }))
    }

    /// At a source type: `type:address` or `type(params):address`, up to `,` or `}`.
    fn reference(&mut self) -> Result<Source, SyntaxError> {
        let type_end = word_end(self.s.as_bytes(), self.i);
        let kind = self.s[self.i..type_end].to_owned();
        self.i = type_end;
        let mut params = Vec::new();
        if self.peek() == Some(b'(') {
            self.i += 1;
            params = self.params()?;
            self.skip_spaces();
        }
        let mut address = None;
        if self.peek() == Some(b':') {
            self.i += 1;
            self.skip_spaces();
            address = match self.peek() {
                Some(b'}' | b',') | None => None,
                Some(quote @ (b'\'' | b'"')) => Some(vec![Piece::Text(self.quoted(quote)?)]),
                Some(_) => Some(trim(self.template(Part::Address)?)),
            };
        }
        Ok(Source::Ref {
            kind,
            params,
            address,
        })
    }

    /// After `(`: the comma-separated params, through the closing `)`.
    fn params(&mut self) -> Result<Vec<Template>, SyntaxError> {
        let mut params = Vec::new();
        loop {
            self.skip_spaces();
            match self.peek() {
                Some(b')') => {
                    self.i += 1;
                    return Ok(params);
                }
                Some(quote @ (b'\'' | b'"')) => params.push(vec![Piece::Text(self.quoted(quote)?)]),
                Some(_) => params.push(trim(self.template(Part::Param)?)),
                None => return Err(SyntaxError::Parenthesis),
            }
            self.skip_spaces();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b')') => {}
                _ => return Err(SyntaxError::Parenthesis),
            }
        }
    }

    /// After a `,`: a quoted or bare value, a `${...}`, or another `type:address`.
    fn fallback(&mut self) -> Result<Source, SyntaxError> {
        self.skip_spaces();
        let start = self.i;
        match self.peek() {
            Some(quote @ (b'\'' | b'"')) => {
                let text = self.quoted(quote)?;
                self.skip_spaces();
                if self.peek() != Some(b'}') {
                    return Err(SyntaxError::DefaultNotLast(
                        self.s[start..self.i].to_owned(),
                    ));
                }
                Ok(Source::Literal(Literal::Str(text)))
            }
            Some(b'$') if self.at(1) == Some(b'{') => match self.variable()? {
                Some(var) => Ok(Source::Nested(var)),
                None => Err(SyntaxError::NotAVariable {
                    example: "${self:provider.stage}",
                }),
            },
            _ => {
                let end = word_end(self.s.as_bytes(), start);
                let word = &self.s[start..end];
                self.i = end;
                self.skip_spaces();
                match self.peek() {
                    Some(b':' | b'(') if is_type(word) => {
                        self.i = start;
                        self.reference()
                    }
                    Some(b'}') if !word.is_empty() => literal(word)
                        .map(Source::Literal)
                        .ok_or_else(|| SyntaxError::BareWord(word.to_owned())),
                    _ => {
                        let rest = self.s[start..].split([',', '}']).next().unwrap_or_default();
                        Err(SyntaxError::BareWord(rest.trim().to_owned()))
                    }
                }
            }
        }
    }

    /// At a quote: the quoted text, unescaped the way Serverless does (JSON for `"`).
    fn quoted(&mut self, quote: u8) -> Result<String, SyntaxError> {
        let start = self.i;
        let bytes = self.s.as_bytes();
        let mut end = start + 1;
        while end < bytes.len() && bytes[end] != quote {
            end += if quote == b'"' && bytes[end] == b'\\' {
                2
            } else {
                1
            };
        }
        if end >= bytes.len() {
            return Err(SyntaxError::UnclosedQuote(
                self.s[start..start + 1].to_owned(),
            ));
        }
        self.i = end + 1;
        let inner = &self.s[start..self.i];
        if quote == b'\'' {
            return Ok(inner[1..inner.len() - 1].to_owned());
        }
        serde_json::from_str(inner).map_err(|error| SyntaxError::Json {
            text: inner.to_owned(),
            error: error.to_string(),
        })
    }
}

/// The end of a run of `[A-Za-z0-9.]`, the characters of a source type or bare literal.
fn word_end(bytes: &[u8], start: usize) -> usize {
    let len = bytes[start.min(bytes.len())..]
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric() || **c == b'.')
        .count();
    start + len
}

fn is_type(word: &str) -> bool {
    let mut chars = word.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase()) && chars.all(|c| c.is_ascii_alphanumeric())
}

/// A bare fallback value, as JavaScript would read it.
fn literal(word: &str) -> Option<Literal> {
    match word {
        "true" => Some(Literal::Bool(true)),
        "false" => Some(Literal::Bool(false)),
        "null" => Some(Literal::Null),
        _ => {
            if let Ok(n) = word.parse::<i64>() {
                return Some(Literal::Number(n.into()));
            }
            let float = word.parse::<f64>().ok()?;
            serde_json::Number::from_f64(float).map(Literal::Number)
        }
    }
}

fn push_text(pieces: &mut Template, text: &str) {
    if !text.is_empty() {
        pieces.push(Piece::Text(text.to_owned()));
    }
}

/// Serverless trims the spaces around params and addresses.
fn trim(mut pieces: Template) -> Template {
    if let Some(Piece::Text(text)) = pieces.first_mut() {
        *text = text.trim_start().to_owned();
    }
    if let Some(Piece::Text(text)) = pieces.last_mut() {
        *text = text.trim_end().to_owned();
    }
    pieces.retain(|piece| !matches!(piece, Piece::Text(text) if text.is_empty()));
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Template {
        vec![Piece::Text(s.to_owned())]
    }

    fn var(s: &str) -> Var {
        match parse(s).unwrap().as_slice() {
            [Piece::Var(var)] => var.clone(),
            other => panic!("not one variable: {other:?}"),
        }
    }

    #[test]
    fn plain_text_and_foreign_dollars_stay_text() {
        for s in [
            "hello",
            "$request.body.action",
            "${request.body.action}",
            "arn:aws:${AWS::Region}:${AWS::AccountId}",
            "${Table}",
            "\\${self:x}",
            "€ ${",
        ] {
            assert_eq!(parse(s).unwrap(), text(s), "{s}");
        }
    }

    #[test]
    fn reads_sources_params_addresses_and_fallbacks() {
        let v = var("${opt:stage, 'dev'}");
        assert_eq!(v.raw, "${opt:stage, 'dev'}");
        assert_eq!(
            v.sources,
            [
                Source::Ref {
                    kind: "opt".into(),
                    params: vec![],
                    address: Some(text("stage")),
                },
                Source::Literal(Literal::Str("dev".into())),
            ]
        );
        let v = var("${file(./author.json):name}");
        assert_eq!(
            v.sources,
            [Source::Ref {
                kind: "file".into(),
                params: vec![text("./author.json")],
                address: Some(text("name")),
            }]
        );
        let v = var("${opt:stage, self:provider.stage, \"d\\\"x\"}");
        assert_eq!(v.sources.len(), 3);
        assert_eq!(v.sources[2], Source::Literal(Literal::Str("d\"x".into())));
        let v = var("${env:N, 5}");
        assert_eq!(v.sources[1], Source::Literal(Literal::Number(5.into())));
        let v = var("${opt:stage, ${self:provider.stage}}");
        assert!(
            matches!(&v.sources[1], Source::Nested(inner) if inner.raw == "${self:provider.stage}")
        );
    }

    #[test]
    fn reads_nested_variables_and_mixed_text() {
        let pieces = parse("${self:service}-${sls:stage}-connections").unwrap();
        assert_eq!(pieces.len(), 4);
        assert_eq!(pieces[1], Piece::Text("-".into()));
        let v = var("${self:custom.${opt:stage, 'dev'}.table}");
        let Source::Ref {
            address: Some(address),
            ..
        } = &v.sources[0]
        else {
            panic!("{v:?}");
        };
        assert_eq!(address.len(), 3);
        assert_eq!(address[2], Piece::Text(".table".into()));
    }

    #[test]
    fn explains_malformed_variables() {
        for (s, needle) in [
            ("${opt:stage, dev-x}", "'dev-x'"),
            ("${opt:stage, dev}", "'dev'"),
            ("${opt:stage", "closing `}`"),
            ("${opt:stage, 'dev}", "not closed"),
            ("${file(a.json:x}", "not closed"),
            ("${opt:stage, 'dev', 'x'}", "must come last"),
            ("${self:a:b}", "second `:`"),
        ] {
            let error = parse(s).unwrap_err().to_string();
            assert!(error.contains(needle), "{s}: {error}");
        }
    }
}
