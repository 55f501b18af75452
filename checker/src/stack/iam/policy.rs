//! How IAM matches a statement's `Action` and `Resource` against a request:
//! `*` and `?` wildcards, actions case-insensitively, ARNs case-sensitively
//! and segment by segment.

/// Whether the action pattern (`dynamodb:Get*`, `*`) covers `action`
/// (`dynamodb:GetItem`). IAM compares actions case-insensitively.
pub(crate) fn action_matches(pattern: &str, action: &str) -> bool {
    let pattern: Vec<PatternToken> = pattern
        .to_ascii_lowercase()
        .chars()
        .map(|c| match c {
            '*' => PatternToken::Star {
                crosses_colon: true,
            },
            '?' => PatternToken::One {
                crosses_colon: true,
            },
            c => PatternToken::Char(c),
        })
        .collect();
    glob(
        &pattern,
        &action.to_ascii_lowercase().chars().collect::<Vec<_>>(),
    )
}

/// Whether the resource pattern covers the ARN `resource`. An ARN has six
/// parts (`arn:partition:service:region:account:resource`); in the first five
/// a wildcard stays inside its part, unless a `*` ends the part, which may
/// then match across colons. The last part may hold colons and slashes, and
/// its wildcards match them.
pub(crate) fn resource_matches(pattern: &str, resource: &str) -> bool {
    const LAST_PART: usize = 5;
    let chars: Vec<char> = pattern.chars().collect();
    let mut part = 0;
    let mut tokens = Vec::with_capacity(chars.len());
    for (i, c) in chars.iter().enumerate() {
        let in_last = part >= LAST_PART;
        tokens.push(match c {
            '*' => PatternToken::Star {
                crosses_colon: in_last || matches!(chars.get(i + 1), None | Some(':')),
            },
            '?' => PatternToken::One {
                crosses_colon: in_last,
            },
            c => PatternToken::Char(*c),
        });
        if *c == ':' {
            part += 1;
        }
    }
    glob(&tokens, &resource.chars().collect::<Vec<_>>())
}

#[derive(Clone, Copy)]
enum PatternToken {
    Char(char),
    /// Any one character.
    One {
        crosses_colon: bool,
    },
    /// Any run of characters, the empty one included.
    Star {
        crosses_colon: bool,
    },
}

/// Whether `pattern` matches all of `text`: `reach[j]` says whether the
/// pattern so far can end just before `text[j]`.
fn glob(pattern: &[PatternToken], text: &[char]) -> bool {
    let mut reach = vec![false; text.len() + 1];
    reach[0] = true;
    for token in pattern {
        let mut next = vec![false; text.len() + 1];
        match *token {
            PatternToken::Star { crosses_colon } => {
                let mut open = false;
                for j in 0..=text.len() {
                    if reach[j] {
                        open = true;
                    }
                    next[j] = open;
                    if j < text.len() && text[j] == ':' && !crosses_colon {
                        open = false;
                    }
                }
            }
            PatternToken::One { crosses_colon } => {
                for j in 0..text.len() {
                    next[j + 1] = reach[j] && (crosses_colon || text[j] != ':');
                }
            }
            PatternToken::Char(c) => {
                for j in 0..text.len() {
                    next[j + 1] = reach[j] && text[j] == c;
                }
            }
        }
        reach = next;
    }
    reach[text.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &str = "arn:aws:dynamodb:eu-west-1:000000000000:table/chats";
    const INDEX: &str = "arn:aws:dynamodb:eu-west-1:000000000000:table/chats/index/ByConnection";

    #[test]
    fn actions_match_with_wildcards_and_any_case() {
        assert!(action_matches("dynamodb:Query", "dynamodb:Query"));
        assert!(action_matches("DynamoDB:query", "dynamodb:Query"));
        assert!(action_matches("dynamodb:*", "dynamodb:Query"));
        assert!(action_matches("*", "execute-api:ManageConnections"));
        assert!(action_matches("dynamodb:Get*", "dynamodb:GetItem"));
        assert!(action_matches("dynamodb:?etItem", "dynamodb:GetItem"));
        assert!(!action_matches("dynamodb:Get*", "dynamodb:Query"));
        assert!(!action_matches("dynamodb:Put", "dynamodb:PutItem"));
        assert!(!action_matches("s3:*", "dynamodb:Query"));
    }

    #[test]
    fn a_table_arn_does_not_cover_its_indexes() {
        assert!(resource_matches(TABLE, TABLE));
        assert!(!resource_matches(TABLE, INDEX));
        assert!(resource_matches(&format!("{TABLE}/index/*"), INDEX));
        assert!(!resource_matches(&format!("{TABLE}/index/*"), TABLE));
        assert!(resource_matches(&format!("{TABLE}*"), INDEX));
        assert!(resource_matches(&format!("{TABLE}/*"), INDEX));
        assert!(!resource_matches(&format!("{TABLE}/index/Other"), INDEX));
        assert!(resource_matches("*", INDEX));
    }

    #[test]
    fn resources_match_case_sensitively_with_both_wildcards() {
        assert!(!resource_matches(&TABLE.replace("chats", "Chats"), TABLE));
        assert!(resource_matches(&TABLE.replace("chats", "ch?ts"), TABLE));
        assert!(!resource_matches(&TABLE.replace("chats", "ch?s"), TABLE));
        assert!(resource_matches("arn:aws:dynamodb:*:*:table/chats", TABLE));
    }

    #[test]
    fn a_wildcard_inside_an_arn_part_stays_there() {
        // `*` in the middle of the region part cannot swallow the account.
        assert!(resource_matches(
            "arn:aws:dynamodb:eu-*-1:000000000000:table/chats",
            TABLE
        ));
        assert!(!resource_matches(
            "arn:aws:dynamodb:eu*0:table/chats",
            TABLE
        ));
        // Ending a part, it may: Serverless's own grant for @connections.
        let connection = "arn:aws:execute-api:eu-west-1:000000000000:abcdefghij/dev/POST/@connections/R1kmxc2VNjMCFIA=";
        assert!(resource_matches(
            "arn:aws:execute-api:*:*:*/@connections/*",
            connection
        ));
        assert!(resource_matches("arn:aws:execute-api:*", connection));
        assert!(!resource_matches(
            "arn:aws:execute-api:*:*:*/@connections/*",
            TABLE
        ));
        // `?` does not match a colon before the last part.
        assert!(!resource_matches("arn:aws:dynamodb?eu-west-1:*", TABLE));
    }
}
