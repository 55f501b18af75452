//! DynamoDB's bounds on an expression, checked before it is parsed, so that
//! no request can make the recursive parser (or the evaluation of what it
//! builds) run out of stack: 4 KB of text, 300 operators, and nesting.

use super::lexer::{Spanned, Token};
use crate::emulator::dynamodb::error::DynamoError;

/// DynamoDB's limit on any one expression, in bytes as sent.
const MAX_EXPRESSION_BYTES: usize = 4096;
/// DynamoDB's limit on operators and functions in one expression.
const MAX_OPERATORS: usize = 300;
/// The emulator's own: DynamoDB documents none, but refuses redundant
/// parentheses, which with 300 operators keeps its nesting near 300 deep.
const MAX_PARENTHESES_DEPTH: usize = 100;

/// The text's size, before anything else: DynamoDB's words.
pub(super) fn check_size(parameter: &str, text: &str) -> Result<(), DynamoError> {
    if text.len() > MAX_EXPRESSION_BYTES {
        return Err(DynamoError::validation(format!(
            "Invalid {parameter}: Expression size has exceeded the maximum allowed size; \
             expression size: {}",
            text.len()
        )));
    }
    Ok(())
}

/// Operators (DynamoDB's words) and nesting (the emulator's), from the tokens alone.
pub(super) fn check_tokens(parameter: &str, tokens: &[Spanned]) -> Result<(), DynamoError> {
    let mut operators = 0_usize;
    let mut depth = 0_usize;
    let mut deepest = 0_usize;
    // The `AND` of `BETWEEN a AND b` belongs to its BETWEEN.
    let mut betweens_open = 0_usize;
    for (index, spanned) in tokens.iter().enumerate() {
        match &spanned.token {
            Token::Compare(_) | Token::Plus | Token::Minus => operators += 1,
            Token::Open => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            Token::Close => depth = depth.saturating_sub(1),
            Token::Word(word) => {
                let is_call =
                    matches!(tokens.get(index + 1), Some(next) if next.token == Token::Open);
                if word.eq_ignore_ascii_case("BETWEEN") {
                    betweens_open += 1;
                    operators += 1;
                } else if word.eq_ignore_ascii_case("AND") && betweens_open > 0 {
                    betweens_open -= 1;
                } else if is_call
                    || ["AND", "OR", "NOT", "IN"]
                        .iter()
                        .any(|keyword| word.eq_ignore_ascii_case(keyword))
                {
                    operators += 1;
                }
            }
            _ => {}
        }
    }
    if operators > MAX_OPERATORS {
        return Err(DynamoError::validation(format!(
            "Invalid {parameter}: The expression contains too many operators; operator count: \
             {operators}"
        )));
    }
    if deepest > MAX_PARENTHESES_DEPTH {
        return Err(DynamoError::validation(format!(
            "Invalid {parameter}: The expression nests parentheses {deepest} deep; the checker's \
             local DynamoDB takes at most {MAX_PARENTHESES_DEPTH} (remove redundant parentheses: \
             DynamoDB refuses them too)"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::lexer::tokens;
    use super::*;

    fn check(text: &str) -> Result<(), DynamoError> {
        check_size("FilterExpression", text)?;
        check_tokens("FilterExpression", &tokens(text).expect("tokens"))
    }

    #[test]
    fn size_is_counted_in_bytes_as_sent() {
        let fits = format!("a = :v AND b = :{}", "w".repeat(4096 - 16));
        assert_eq!(fits.len(), 4096);
        assert_eq!(check(&fits), Ok(()));
        let error = check(&format!("{fits} ")).expect_err("4097 bytes");
        assert_eq!(
            error.message,
            "Invalid FilterExpression: Expression size has exceeded the maximum allowed size; \
             expression size: 4097"
        );
    }

    #[test]
    fn operators_are_comparisons_keywords_and_functions() {
        let terms = |n: usize| vec!["a = :v"; n].join(" OR ");
        // n comparisons and n - 1 ORs.
        assert_eq!(check(&terms(150)), Ok(()));
        let error = check(&terms(151)).expect_err("301 operators");
        assert!(
            error
                .message
                .ends_with("too many operators; operator count: 301"),
            "{}",
            error.message
        );
        // BETWEEN's own AND is part of it: 151 BETWEENs and 150 ORs.
        let between = vec!["a BETWEEN :x AND :y"; 151].join(" OR ");
        let error = check(&between).expect_err("301 operators");
        assert!(
            error.message.ends_with("operator count: 301"),
            "{}",
            error.message
        );
        let calls = vec!["attribute_exists(a)"; 151].join(" OR ");
        assert!(check(&calls).is_err());
    }

    #[test]
    fn nesting_is_bounded() {
        let nested = |depth: usize| format!("{}a = :v{}", "(".repeat(depth), ")".repeat(depth));
        assert_eq!(check(&nested(MAX_PARENTHESES_DEPTH)), Ok(()));
        let error = check(&nested(MAX_PARENTHESES_DEPTH + 1)).expect_err("too deep");
        assert!(
            error.message.contains("nests parentheses 101 deep"),
            "{}",
            error.message
        );
    }
}
