//! The learner id: the Serverless stage a learner deploys to, so that many
//! learners share one AWS account (`{service}-{stage}` names every resource).

use std::path::{Path, PathBuf};

/// The longest learner id derived from a name.
pub const MAX_LEN: usize = 16;

/// Where the learner id in use came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdSource {
    /// `--learner ID`.
    Option,
    /// `.checker/learner`, written by an earlier deploy (or by hand).
    File(PathBuf),
    /// Derived just now from a name (git's `user.name`, else `$USER`).
    Derived { from: String },
}

/// A learner id from any name: lower-case ASCII letters and digits, every
/// other run of characters one dash, no dash at either end, at most
/// [`MAX_LEN`] characters. `None` when nothing usable is left.
///
/// `"Ada Lovelace"` -> `ada-lovelace`, `"J. Ørsted"` -> `j-rsted`.
pub fn sanitize(name: &str) -> Option<String> {
    sanitize_to(name, MAX_LEN)
}

/// [`sanitize`] with at most `max` characters (names AWS builds from the id
/// have limits, see `prerequisites::stage_budget`).
pub fn sanitize_to(name: &str, max: usize) -> Option<String> {
    let mut id = String::new();
    for c in name.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            id.push(c);
        } else if !id.is_empty() && !id.ends_with('-') {
            id.push('-');
        }
    }
    id.truncate(max.min(MAX_LEN));
    let id = id.trim_end_matches('-');
    (!id.is_empty()).then(|| id.to_owned())
}

/// Whether `id` can be a stage as given (`--learner`, the file): what
/// [`sanitize`] would leave unchanged, but of any length.
pub fn is_valid(id: &str) -> bool {
    !id.is_empty()
        && !id.starts_with('-')
        && !id.ends_with('-')
        && !id.contains("--")
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// The file that keeps the learner id between deploys.
pub fn file(root: &Path) -> PathBuf {
    root.join(".checker").join("learner")
}

/// The id in `root`'s `.checker/learner`, if there is a usable one.
pub fn stored(root: &Path) -> Option<String> {
    let text = std::fs::read_to_string(file(root)).ok()?;
    let id = text.trim();
    is_valid(id).then(|| id.to_owned())
}

/// The name an id is derived from: `git config user.name` in `root`, else `$USER`
/// (`$USERNAME` on Windows).
pub fn name_to_derive_from(root: &Path) -> Option<String> {
    let git = std::process::Command::new("git")
        .args(["config", "user.name"])
        .current_dir(root)
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()
        .filter(|output| output.status.success())
        .and_then(|output| String::from_utf8(output.stdout).ok())
        .map(|name| name.trim().to_owned())
        .filter(|name| sanitize(name).is_some());
    git.or_else(|| {
        ["USER", "USERNAME"]
            .into_iter()
            .filter_map(|var| std::env::var(var).ok())
            .find(|name| sanitize(name).is_some())
    })
}

/// The learner id to use: `explicit` (from `--learner`), else the stored one,
/// else one derived from `name` (see [`name_to_derive_from`]).
pub fn choose(
    explicit: Option<&str>,
    stored: Option<String>,
    stored_at: &Path,
    name: Option<String>,
) -> Result<(String, IdSource), LearnerIdError> {
    if let Some(id) = explicit {
        if is_valid(id) {
            return Ok((id.to_owned(), IdSource::Option));
        }
        return Err(LearnerIdError::NotAStage {
            id: id.to_owned(),
            suggestion: sanitize(id).unwrap_or_else(|| "ada".to_owned()),
        });
    }
    if let Some(id) = stored {
        return Ok((id, IdSource::File(stored_at.to_owned())));
    }
    match name
        .as_deref()
        .and_then(|name| sanitize(name).map(|id| (name, id)))
    {
        Some((name, id)) => Ok((
            id,
            IdSource::Derived {
                from: name.to_owned(),
            },
        )),
        None => Err(LearnerIdError::NoName),
    }
}

/// Why no learner id can be used.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum LearnerIdError {
    #[error(
        "`--learner {id}` cannot be a Serverless stage: use lower-case letters, digits and single dashes inside, e.g. `--learner {suggestion}`."
    )]
    NotAStage { id: String, suggestion: String },
    #[error(
        "cannot derive a learner id: git has no `user.name` and `$USER` is not set. Choose one (lower-case letters, digits, dashes), e.g. `cargo run -p checker -- deploy 02 --learner ada`."
    )]
    NoName,
}

/// Writes `id` to `root`'s `.checker/learner`, with a `.gitignore` that keeps
/// the folder out of git.
pub fn store(root: &Path, id: &str) -> std::io::Result<PathBuf> {
    let path = file(root);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
        std::fs::write(dir.join(".gitignore"), "*\n")?;
    }
    std::fs::write(&path, format!("{id}\n"))?;
    Ok(path)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn names_become_lower_case_alphanumerics_and_dashes() {
        assert_eq!(sanitize("Ada Lovelace").as_deref(), Some("ada-lovelace"));
        assert_eq!(sanitize("ada").as_deref(), Some("ada"));
        assert_eq!(sanitize("  J. Ørsted ").as_deref(), Some("j-rsted"));
        assert_eq!(sanitize("o'brien_42").as_deref(), Some("o-brien-42"));
        assert_eq!(sanitize("--x--y--").as_deref(), Some("x-y"));
        assert_eq!(sanitize("ÅÄÖ").as_deref(), None);
        assert_eq!(sanitize("").as_deref(), None);
        assert_eq!(sanitize(" - ").as_deref(), None);
        assert_eq!(sanitize_to("Ada Lovelace", 4).as_deref(), Some("ada"));
        assert_eq!(
            sanitize_to("Ada Lovelace", 40).as_deref(),
            Some("ada-lovelace")
        );
    }

    #[test]
    fn long_names_are_cut_to_sixteen_without_a_trailing_dash() {
        assert_eq!(
            sanitize("Maximilian Mustermann").as_deref(),
            Some("maximilian-muste")
        );
        // The 16th character is a dash: it goes too.
        assert_eq!(
            sanitize("abcdefghijklmno pq").as_deref(),
            Some("abcdefghijklmno")
        );
        for name in [
            "Ada Lovelace",
            "x".repeat(40).as_str(),
            "Grace Brewster Murray Hopper",
        ] {
            let id = sanitize(name).unwrap();
            assert!(id.len() <= MAX_LEN && is_valid(&id), "{id}");
        }
    }

    #[test]
    fn only_clean_ids_are_taken_as_given() {
        assert!(is_valid("ada"));
        assert!(is_valid("ada-2"));
        assert!(is_valid("7"));
        for bad in [
            "",
            "Ada",
            "ada_2",
            "-ada",
            "ada-",
            "a--b",
            "ada lovelace",
            "ad.a",
        ] {
            assert!(!is_valid(bad), "{bad:?}");
        }
    }

    #[test]
    fn the_option_wins_then_the_file_then_the_name() {
        let at = Path::new("/repo/.checker/learner");
        let name = Some("Ada Lovelace".to_owned());
        assert_eq!(
            choose(Some("bob"), Some("carol".into()), at, name.clone()),
            Ok(("bob".into(), IdSource::Option))
        );
        assert_eq!(
            choose(None, Some("carol".into()), at, name.clone()),
            Ok(("carol".into(), IdSource::File(at.to_owned())))
        );
        assert_eq!(
            choose(None, None, at, name),
            Ok((
                "ada-lovelace".into(),
                IdSource::Derived {
                    from: "Ada Lovelace".into()
                }
            ))
        );
        let error = choose(Some("Bob Smith"), None, at, None).unwrap_err();
        assert!(error.to_string().contains("--learner bob-smith"), "{error}");
        let error = choose(None, None, at, None).unwrap_err();
        assert_eq!(error, LearnerIdError::NoName);
        assert!(error.to_string().contains("--learner ada"), "{error}");
    }

    #[test]
    fn the_file_keeps_the_id_and_stays_out_of_git() {
        let root = tempfile::tempdir().unwrap();
        assert_eq!(stored(root.path()), None);
        let path = store(root.path(), "ada").unwrap();
        assert_eq!(path, root.path().join(".checker/learner"));
        assert_eq!(stored(root.path()).as_deref(), Some("ada"));
        let ignore = std::fs::read_to_string(root.path().join(".checker/.gitignore")).unwrap();
        assert_eq!(ignore, "*\n");
        std::fs::write(&path, "Not An Id\n").unwrap();
        assert_eq!(stored(root.path()), None);
    }
}
