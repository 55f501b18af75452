//! Splits an expression into tokens, each with where it stands in the text
//! (syntax errors quote the text around the offending token, as DynamoDB does).

use super::Comparator;

#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Token {
    /// An attribute name, a keyword (`AND`, `BETWEEN`…) or a function name.
    Word(String),
    /// `#name`, with the `#`.
    Name(String),
    /// `:value`, with the `:`.
    Value(String),
    Compare(Comparator),
    Open,
    Close,
    Comma,
    /// `.`, `[` or `]`: parts of a document path.
    Nested(char),
    /// `+` and `-` of an update's `SET`.
    Plus,
    Minus,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Spanned {
    pub(super) token: Token,
    pub(super) start: usize,
    pub(super) end: usize,
}

/// Where the text has a character no token starts with.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Unexpected {
    pub(super) start: usize,
    pub(super) end: usize,
}

fn word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

pub(super) fn tokens(text: &str) -> Result<Vec<Spanned>, Unexpected> {
    let mut tokens = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        if c.is_whitespace() {
            continue;
        }
        let mut end = start + c.len_utf8();
        let mut take_word = |end: &mut usize| {
            while let Some(&(at, next)) = chars.peek() {
                if !word_char(next) {
                    break;
                }
                *end = at + next.len_utf8();
                chars.next();
            }
        };
        let token = match c {
            '#' | ':' => {
                take_word(&mut end);
                if end == start + 1 {
                    return Err(Unexpected { start, end });
                }
                let placeholder = text[start..end].to_owned();
                if c == '#' {
                    Token::Name(placeholder)
                } else {
                    Token::Value(placeholder)
                }
            }
            c if word_char(c) => {
                take_word(&mut end);
                Token::Word(text[start..end].to_owned())
            }
            '=' => Token::Compare(Comparator::Eq),
            '<' | '>' => {
                let next = chars.peek().map(|&(_, next)| next);
                let comparator = match (c, next) {
                    ('<', Some('>')) => Comparator::Ne,
                    ('<', Some('=')) => Comparator::Le,
                    ('>', Some('=')) => Comparator::Ge,
                    ('<', _) => Comparator::Lt,
                    _ => Comparator::Gt,
                };
                if matches!(comparator, Comparator::Ne | Comparator::Le | Comparator::Ge) {
                    chars.next();
                    end += 1;
                }
                Token::Compare(comparator)
            }
            '(' => Token::Open,
            ')' => Token::Close,
            ',' => Token::Comma,
            '.' | '[' | ']' => Token::Nested(c),
            '+' => Token::Plus,
            '-' => Token::Minus,
            _ => return Err(Unexpected { start, end }),
        };
        tokens.push(Spanned { token, start, end });
    }
    Ok(tokens)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<Token> {
        tokens(text)
            .expect("tokens")
            .into_iter()
            .map(|spanned| spanned.token)
            .collect()
    }

    #[test]
    fn splits_placeholders_words_and_operators() {
        assert_eq!(
            kinds("#pk = :v AND sk<=:b"),
            vec![
                Token::Name("#pk".to_owned()),
                Token::Compare(Comparator::Eq),
                Token::Value(":v".to_owned()),
                Token::Word("AND".to_owned()),
                Token::Word("sk".to_owned()),
                Token::Compare(Comparator::Le),
                Token::Value(":b".to_owned()),
            ]
        );
        assert_eq!(
            kinds("begins_with(a,:p) OR a<>b"),
            vec![
                Token::Word("begins_with".to_owned()),
                Token::Open,
                Token::Word("a".to_owned()),
                Token::Comma,
                Token::Value(":p".to_owned()),
                Token::Close,
                Token::Word("OR".to_owned()),
                Token::Word("a".to_owned()),
                Token::Compare(Comparator::Ne),
                Token::Word("b".to_owned()),
            ]
        );
    }

    #[test]
    fn points_at_what_it_cannot_read() {
        assert_eq!(tokens("a = :v $ 1"), Err(Unexpected { start: 7, end: 8 }));
        assert_eq!(tokens("a = :"), Err(Unexpected { start: 4, end: 5 }));
        assert_eq!(tokens("ünï = :v"), Err(Unexpected { start: 0, end: 2 }));
    }
}
