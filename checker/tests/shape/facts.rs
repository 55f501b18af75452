//! What one file's code holds, beyond its uses: its functions and their
//! lengths, the types it defines, and the few constructs the crate keeps in
//! one place or not at all. Read from the code as [`clean`] leaves it (test
//! code left out), with the comments of the original text for a function's
//! reason to be long.

use crate::source::{clean, is_identifier, lines_and_tokens};

/// The words that excuse a long function, in a comment above it or inside it.
pub(crate) const WHY_LONG: &str = "cannot be split";

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Function {
    pub(crate) name: String,
    /// The line of `fn`, from 1.
    pub(crate) line: usize,
    /// From the line of `fn` to the line of the closing brace.
    pub(crate) lines: usize,
    /// A comment in its doc, attributes or body says why it cannot be split.
    pub(crate) says_why: bool,
}

#[derive(Debug, Default)]
pub(crate) struct Facts {
    pub(crate) functions: Vec<Function>,
    /// Structs, enums, traits, unions, and type aliases outside impls: name, line.
    pub(crate) types: Vec<(String, usize)>,
    /// Lines that write `Result<…, String>`.
    pub(crate) string_errors: Vec<usize>,
    /// Lines that name `killpg`.
    pub(crate) killpg: Vec<usize>,
    /// Lines that make an HTTP response (`Response::new`, `::builder`,
    /// `::from_parts`) or set its status (`status_mut`).
    pub(crate) responses: Vec<usize>,
}

impl Facts {
    pub(crate) fn read(text: &str) -> Self {
        let tokens = lines_and_tokens(&clean(text));
        let original: Vec<&str> = text.lines().collect();
        let mut facts = Self::default();
        let mut depth = 0usize;
        for (index, (line, token)) in tokens.iter().enumerate() {
            let next = |offset: usize| tokens.get(index + offset).map(|(_, t)| t.as_str());
            let named = next(1).filter(|name| is_identifier(name));
            match token.as_str() {
                "{" => depth += 1,
                "}" => depth = depth.saturating_sub(1),
                "fn" => {
                    if let Some(function) = named.and_then(|_| function(&tokens, index)) {
                        facts.functions.push(Function {
                            says_why: says_why(&original, function.line, function.lines),
                            ..function
                        });
                    }
                }
                "struct" | "enum" | "trait" | "union" => {
                    if let Some(name) = named {
                        facts.types.push((name.to_owned(), *line));
                    }
                }
                // An alias at the top of the file; `type Error = …` in an impl
                // names another trait's associated type.
                "type" if depth == 0 => {
                    if let Some(name) = named {
                        facts.types.push((name.to_owned(), *line));
                    }
                }
                "Result" if next(1) == Some("<") && error_is_string(&tokens, index + 1) => {
                    facts.string_errors.push(*line);
                }
                "killpg" => facts.killpg.push(*line),
                "status_mut" => facts.responses.push(*line),
                "Response"
                    if next(1) == Some("::")
                        && matches!(next(2), Some("new" | "builder" | "from_parts")) =>
                {
                    facts.responses.push(*line);
                }
                _ => {}
            }
        }
        facts
    }
}

/// The function whose `fn` is at `at`, if it has a body.
fn function(tokens: &[(usize, String)], at: usize) -> Option<Function> {
    let (line, _) = &tokens[at];
    let name = tokens[at + 1].1.clone();
    // The body opens at the first `{` outside the signature's brackets
    // (`[u8; 4]` holds a `;` that does not end it).
    let mut nesting = 0usize;
    let mut open = None;
    for (index, (_, token)) in tokens.iter().enumerate().skip(at + 2) {
        match token.as_str() {
            "(" | "[" => nesting += 1,
            ")" | "]" => nesting = nesting.saturating_sub(1),
            ";" if nesting == 0 => return None,
            "{" if nesting == 0 => {
                open = Some(index);
                break;
            }
            _ => {}
        }
    }
    let mut depth = 0usize;
    for (close_line, token) in &tokens[open?..] {
        match token.as_str() {
            "{" => depth += 1,
            "}" => {
                depth -= 1;
                if depth == 0 {
                    return Some(Function {
                        name,
                        line: *line,
                        lines: close_line - line + 1,
                        says_why: false,
                    });
                }
            }
            _ => {}
        }
    }
    None
}

/// Whether the comments above the function (doc, attributes) or in its body
/// say [`WHY_LONG`].
fn says_why(original: &[&str], line: usize, lines: usize) -> bool {
    let first = line - 1;
    let mut start = first;
    while start > 0 {
        let above = original[start - 1].trim_start();
        if above.starts_with("//") || above.starts_with("#[") {
            start -= 1;
        } else {
            break;
        }
    }
    let end = (first + lines).min(original.len());
    original[start..end]
        .iter()
        .any(|text| text.contains(WHY_LONG))
}

/// Whether the generic arguments opening at `open` (`<`) end with `String`:
/// `Result<T, String>`, `Result<(), std::string::String>`.
fn error_is_string(tokens: &[(usize, String)], open: usize) -> bool {
    let mut depth = 0usize;
    let mut last_argument_start = open + 1;
    let mut arguments = 1;
    for index in open..tokens.len() {
        let token = tokens[index].1.as_str();
        let arrow = index > 0 && matches!(tokens[index - 1].1.as_str(), "-" | "=");
        match token {
            "<" | "(" | "[" => depth += 1,
            ">" if arrow => {}
            ">" | ")" | "]" => {
                depth -= 1;
                if depth == 0 {
                    let last: Vec<&str> = tokens[last_argument_start..index]
                        .iter()
                        .map(|(_, t)| t.as_str())
                        .collect();
                    return arguments > 1 && last.last() == Some(&"String") && !last.contains(&"<");
                }
            }
            "," if depth == 1 => {
                arguments += 1;
                last_argument_start = index + 1;
            }
            _ => {}
        }
    }
    false
}
