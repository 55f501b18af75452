//! What a client or a Lambda wrote, made safe to print on a terminal: a
//! message, a close reason or a log line is theirs, the terminal is the
//! learner's. Control characters (a newline that would start a forged log
//! line, an escape sequence that would move the cursor or retitle the
//! window) and the invisible characters that reorder text are written as
//! escapes, and a long text is cut with its size said.

use std::fmt::Write;

/// `text` on one line, without control or bidirectional-override characters,
/// and at most about `max_bytes` long.
pub fn printable(text: &str, max_bytes: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max_bytes) + 16);
    for (at, c) in text.char_indices() {
        if out.len() >= max_bytes {
            out.push_str(&cut_note(at, text.len()));
            break;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if must_escape(c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out
}

/// `text` cut past `max_bytes`, on a character, with its size said as
/// [`printable`] says it; nothing escaped (a text kept, not printed).
pub fn cut(text: String, max_bytes: usize) -> String {
    if text.len() <= max_bytes {
        return text;
    }
    let mut at = max_bytes;
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    format!("{}{}", &text[..at], cut_note(at, text.len()))
}

fn cut_note(at: usize, total: usize) -> String {
    format!(" … [cut at {at} of {total} bytes]")
}

/// Controls (C0, DEL, C1), the line and paragraph separators, and the
/// characters that reverse or isolate the direction of the text around them.
fn must_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{200e}' | '\u{200f}' | '\u{061c}'
        )
        || ('\u{202a}'..='\u{202e}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

#[cfg(test)]
mod tests {
    use super::{cut, printable};

    #[test]
    fn a_newline_and_an_escape_sequence_are_written_as_escapes() {
        let forged = "hi\n+ abc connected\x1b[2J\x1b]0;title\x07\u{202e}";
        assert_eq!(
            printable(forged, 1000),
            "hi\\n+ abc connected\\u{1b}[2J\\u{1b}]0;title\\u{7}\\u{202e}"
        );
    }

    #[test]
    fn a_long_text_is_cut_with_its_size_said() {
        let long = "é".repeat(1000);
        let shown = printable(&long, 100);
        assert!(shown.starts_with(&"é".repeat(50)), "{shown}");
        assert!(shown.ends_with(" … [cut at 100 of 2000 bytes]"), "{shown}");
    }

    #[test]
    fn a_long_text_kept_is_cut_on_a_character_with_its_size_said() {
        let text = format!("{}é{}", "a".repeat(99), "b".repeat(10));
        let total = text.len();
        assert_eq!(
            cut(text, 100),
            format!("{} … [cut at 99 of {total} bytes]", "a".repeat(99))
        );
        assert_eq!(cut("short".to_owned(), 100), "short");
    }

    #[test]
    fn plain_text_is_unchanged() {
        let text = r#"{"action":"sendmessage","data":"héllo 👋"}"#;
        assert_eq!(printable(text, 1000), text);
    }
}
