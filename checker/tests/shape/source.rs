//! Rust source as this test reads it: comments, literals and test-only
//! items left out, then tokens, `use` trees, definitions and paths.

use std::collections::{BTreeMap, BTreeSet};

/// One module as its source reads: its children, the names it defines, and
/// what it imports.
#[derive(Debug, Default)]
pub(crate) struct Module {
    pub(crate) children: BTreeSet<String>,
    /// Structs, enums, traits, type aliases: names a path can go through.
    pub(crate) types: BTreeSet<String>,
    /// Functions, constants, statics, macros: names only a path's end can be.
    pub(crate) values: BTreeSet<String>,
    /// Name -> the path it stands for, as written.
    pub(crate) imports: BTreeMap<String, Vec<String>>,
    /// Every path the code writes that may lead into the crate.
    pub(crate) paths: Vec<Vec<String>>,
}

impl Module {
    /// `code` as [`clean`] leaves it.
    pub(crate) fn read(code: &str) -> Self {
        let mut module = Self {
            children: module_declarations(code).into_iter().collect(),
            ..Self::default()
        };
        let tokens = tokens(code);
        let mut index = 0;
        while index < tokens.len() {
            let token = tokens[index].as_str();
            match token {
                "use" => {
                    let end = tokens[index..]
                        .iter()
                        .position(|token| token == ";")
                        .map_or(tokens.len(), |offset| index + offset);
                    use_tree(&tokens[index + 1..end], &[], &mut module.imports);
                    index = end;
                }
                "struct" | "enum" | "fn" | "trait" | "type" | "const" | "static" | "union"
                | "macro_rules" => {
                    let name = tokens.get(index + 1).map(String::as_str);
                    let name = if token == "macro_rules" {
                        tokens.get(index + 3).map(String::as_str)
                    } else {
                        name
                    };
                    if let Some(name) = name.filter(|name| is_identifier(name)) {
                        let names = match token {
                            "struct" | "enum" | "trait" | "type" | "union" => &mut module.types,
                            _ => &mut module.values,
                        };
                        names.insert(name.to_owned());
                    }
                    index += 1;
                }
                _ if is_identifier(token) && tokens.get(index + 1).is_some_and(|t| t == "::") => {
                    let mut path = vec![token.to_owned()];
                    let mut next = index + 1;
                    while tokens.get(next).is_some_and(|t| t == "::")
                        && let Some(segment) = tokens.get(next + 1).filter(|t| is_identifier(t))
                    {
                        path.push(segment.clone());
                        next += 2;
                    }
                    module.paths.push(path);
                    index = next;
                }
                _ => index += 1,
            }
        }
        module
    }
}

/// Reads a `use` tree (after `use`, before `;`) into name -> path.
fn use_tree(tokens: &[String], prefix: &[String], imports: &mut BTreeMap<String, Vec<String>>) {
    let mut index = 0;
    let mut path = prefix.to_vec();
    while index < tokens.len() {
        let token = tokens[index].as_str();
        match token {
            "::" => index += 1,
            "{" => {
                let close = matching(tokens, index);
                for part in split_top_level(&tokens[index + 1..close]) {
                    use_tree(part, &path, imports);
                }
                return;
            }
            "*" => return,
            "as" => {
                if let Some(alias) = tokens.get(index + 1)
                    && alias != "_"
                {
                    imports.insert(alias.clone(), path.clone());
                }
                return;
            }
            "self" if index > 0 || !prefix.is_empty() => {
                if let Some(last) = path.last().cloned() {
                    imports.insert(last, path.clone());
                }
                index += 1;
                if tokens.get(index).is_some_and(|t| t == "as") {
                    continue;
                }
                return;
            }
            _ => {
                path.push(token.to_owned());
                index += 1;
            }
        }
    }
    if let Some(last) = path.last()
        && path.len() > prefix.len()
    {
        imports.insert(last.clone(), path.clone());
    }
}

fn matching(tokens: &[String], open: usize) -> usize {
    let mut depth = 0;
    for (index, token) in tokens.iter().enumerate().skip(open) {
        match token.as_str() {
            "{" => depth += 1,
            "}" => {
                depth -= 1;
                if depth == 0 {
                    return index;
                }
            }
            _ => {}
        }
    }
    tokens.len()
}

fn split_top_level(tokens: &[String]) -> Vec<&[String]> {
    let mut parts = Vec::new();
    let mut depth = 0;
    let mut start = 0;
    for (index, token) in tokens.iter().enumerate() {
        match token.as_str() {
            "{" => depth += 1,
            "}" => depth -= 1,
            "," if depth == 0 => {
                parts.push(&tokens[start..index]);
                start = index + 1;
            }
            _ => {}
        }
    }
    parts.push(&tokens[start..]);
    parts.into_iter().filter(|part| !part.is_empty()).collect()
}

pub(crate) fn is_identifier(token: &str) -> bool {
    token
        .chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
        && token.chars().all(|c| c.is_alphanumeric() || c == '_')
}

/// Identifiers (`r#` dropped), `::`, and every other character on its own.
fn tokens(code: &str) -> Vec<String> {
    lines_and_tokens(code)
        .into_iter()
        .map(|(_, token)| token)
        .collect()
}

/// [`tokens`], each with its line (from 1).
pub(crate) fn lines_and_tokens(code: &str) -> Vec<(usize, String)> {
    let chars: Vec<char> = code.chars().collect();
    let mut tokens = Vec::new();
    let mut line = 1;
    let mut index = 0;
    while index < chars.len() {
        let c = chars[index];
        if c.is_alphabetic() || c == '_' {
            let start = index;
            while index < chars.len() && (chars[index].is_alphanumeric() || chars[index] == '_') {
                index += 1;
            }
            let word: String = chars[start..index].iter().collect();
            if word == "r" && chars.get(index) == Some(&'#') {
                index += 1;
                continue;
            }
            tokens.push((line, word));
        } else if c == ':' && chars.get(index + 1) == Some(&':') {
            tokens.push((line, "::".to_owned()));
            index += 2;
        } else {
            if c == '\n' {
                line += 1;
            } else if !c.is_whitespace() {
                tokens.push((line, c.to_string()));
            }
            index += 1;
        }
    }
    tokens
}

/// The `mod name;` declarations of cleaned code (test-only ones are gone).
pub(crate) fn module_declarations(code: &str) -> Vec<String> {
    let tokens = tokens(code);
    tokens
        .windows(3)
        .filter(|window| window[0] == "mod" && is_identifier(&window[1]) && window[2] == ";")
        .map(|window| window[1].clone())
        .collect()
}

/// The code without comments, without the contents of string and character
/// literals, and without items marked `#[cfg(test)]`; every line break kept,
/// so that a token's line is its line in the file.
pub(crate) fn clean(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut code = String::with_capacity(text.len());
    let mut index = 0;
    while index < chars.len() {
        let c = chars[index];
        let next = chars.get(index + 1).copied();
        if c == '/' && next == Some('/') {
            while index < chars.len() && chars[index] != '\n' {
                index += 1;
            }
        } else if c == '/' && next == Some('*') {
            let start = index;
            let mut depth = 0;
            while index < chars.len() {
                if chars[index] == '/' && chars.get(index + 1) == Some(&'*') {
                    depth += 1;
                    index += 2;
                } else if chars[index] == '*' && chars.get(index + 1) == Some(&'/') {
                    depth -= 1;
                    index += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    index += 1;
                }
            }
            code.push(' ');
            push_line_breaks(&mut code, &chars[start..index]);
        } else if let Some(after) = raw_string_start(&chars, index) {
            let hashes = after - index - usize::from(chars[index] == 'b') - 2;
            let mut end = after;
            while end < chars.len() {
                if chars[end] == '"' && (1..=hashes).all(|k| chars.get(end + k) == Some(&'#')) {
                    end += 1 + hashes;
                    break;
                }
                end += 1;
            }
            code.push_str("\"\"");
            push_line_breaks(&mut code, &chars[index..end.min(chars.len())]);
            index = end;
        } else if c == '"' {
            let start = index;
            index += 1;
            while index < chars.len() && chars[index] != '"' {
                index += if chars[index] == '\\' { 2 } else { 1 };
            }
            index += 1;
            code.push_str("\"\"");
            push_line_breaks(&mut code, &chars[start..index.min(chars.len())]);
        } else if c == '\'' {
            // A character literal ('x', '\n', '\u{1F600}'), else a lifetime.
            let literal_end = if next == Some('\\') {
                chars
                    .get(index + 3..)
                    .and_then(|rest| rest.iter().position(|&c| c == '\''))
                    .map(|offset| index + 3 + offset)
            } else if chars.get(index + 2) == Some(&'\'') {
                Some(index + 2)
            } else {
                None
            };
            match literal_end {
                Some(end) => {
                    code.push_str("' '");
                    index = end + 1;
                }
                None => {
                    code.push(c);
                    index += 1;
                }
            }
        } else {
            code.push(c);
            index += 1;
        }
    }
    without_test_items(&code)
}

/// Where a raw string's text starts (`r"`, `r#"`, `br#"`), if one starts at `index`.
fn raw_string_start(chars: &[char], index: usize) -> Option<usize> {
    let previous_is_word =
        index > 0 && (chars[index - 1].is_alphanumeric() || chars[index - 1] == '_');
    if previous_is_word {
        return None;
    }
    let mut at = index;
    if chars.get(at) == Some(&'b') {
        at += 1;
    }
    if chars.get(at) != Some(&'r') {
        return None;
    }
    at += 1;
    while chars.get(at) == Some(&'#') {
        at += 1;
    }
    (chars.get(at) == Some(&'"')).then_some(at + 1)
}

fn push_line_breaks(code: &mut String, skipped: &[char]) {
    code.extend(skipped.iter().filter(|&&c| c == '\n'));
}

fn without_test_items(code: &str) -> String {
    const MARK: &str = "#[cfg(test)]";
    let mut out = String::with_capacity(code.len());
    let mut rest = code;
    while let Some(start) = rest.find(MARK) {
        out.push_str(&rest[..start]);
        let item = &rest[start + MARK.len()..];
        // The item ends at its first `;` or at the brace that closes its first `{`.
        let mut depth = 0;
        let mut end = item.len();
        for (offset, c) in item.char_indices() {
            match c {
                ';' if depth == 0 => {
                    end = offset + 1;
                    break;
                }
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = offset + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        out.extend(rest[start..start + MARK.len() + end].matches('\n'));
        rest = &item[end..];
    }
    out.push_str(rest);
    out
}
