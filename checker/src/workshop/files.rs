//! An exercise folder's files: listed, fingerprinted, copied. Build output
//! (`target/`) is never the learner's work; hidden files and folders
//! (`.serverless/`) are tools' output, and editors' temporary files
//! (`main.rs~`, vim's `4913`) are the editor's.

use std::path::{Path, PathBuf};

use anyhow::Context;
use sha2::{Digest, Sha256};

/// Every file under `dir`, relative to it, sorted; `target/` is skipped.
pub(crate) fn files_under(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let walk = walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|entry| !(entry.file_type().is_dir() && entry.file_name() == "target"));
    let mut files = Vec::new();
    for entry in walk {
        let entry = entry.with_context(|| format!("cannot read the folder {}", dir.display()))?;
        if !entry.file_type().is_dir() {
            files.push(entry.path().strip_prefix(dir)?.to_path_buf());
        }
    }
    Ok(files)
}

/// Whether `relative` is or lies in a hidden file or folder (`.serverless/`).
pub(crate) fn hidden(relative: &Path) -> bool {
    relative
        .components()
        .any(|part| part.as_os_str().to_string_lossy().starts_with('.'))
}

/// Whether `path` names a file an editor writes beside the one being edited:
/// a backup (`main.rs~`), a swap or lock file (`.main.rs.swp`, `.#main.rs`,
/// `#main.rs#`), vim's probe of the folder (`4913`), JetBrains' safe-write
/// copies (`main.rs___jb_tmp___`).
pub fn editor_file(path: &Path) -> bool {
    let Some(name) = path.file_name().map(|name| name.to_string_lossy()) else {
        return false;
    };
    let vim_probe = !name.is_empty() && name.bytes().all(|byte| byte.is_ascii_digit());
    vim_probe
        || name.ends_with('~')
        || name.starts_with(".#")
        || (name.len() > 1 && name.starts_with('#') && name.ends_with('#'))
        || [
            ".swp",
            ".swo",
            ".swx",
            ".swpx",
            ".kate-swp",
            "___jb_tmp___",
            "___jb_old___",
        ]
        .iter()
        .any(|suffix| name.ends_with(suffix))
}

/// The learner's files under `dir`: neither hidden nor an editor's, relative to `dir`.
pub(crate) fn learner_files(dir: &Path) -> Vec<PathBuf> {
    files_under(dir)
        .unwrap_or_default()
        .into_iter()
        .filter(|relative| !hidden(relative) && !editor_file(relative))
        .collect()
}

/// The fingerprint of the learner's work in the exercise folder `dir`: a
/// hash of every file's path and contents, build output, hidden and
/// editors' files left out. It changes when a file's contents do, not when a
/// tool only reads or touches it.
pub fn fingerprint(dir: &Path) -> String {
    let mut hasher = Sha256::new();
    for relative in learner_files(dir) {
        let Ok(bytes) = std::fs::read(dir.join(&relative)) else {
            continue;
        };
        // Lengths first, so that no two different trees hash alike.
        let path = relative.to_string_lossy();
        hasher.update((path.len() as u64).to_le_bytes());
        hasher.update(path.as_bytes());
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(&bytes);
    }
    hasher
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Copies `from` to `to`, creating `to`'s folder.
pub(crate) fn copy(from: &Path, to: &Path) -> anyhow::Result<()> {
    if let Some(parent) = to.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    std::fs::copy(from, to)
        .with_context(|| format!("cannot copy {} to {}", from.display(), to.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn editors_files_are_told_from_the_learners() {
        for name in [
            "on-connect.rs~",
            ".on-connect.rs.swp",
            ".on-connect.rs.swx",
            "4913",
            ".#on-connect.rs",
            "#on-connect.rs#",
            "on-connect.rs___jb_tmp___",
        ] {
            assert!(editor_file(Path::new("src").join(name).as_path()), "{name}");
        }
        for name in [
            "on-connect.rs",
            "serverless.yml",
            "Cargo.toml",
            "v2.rs",
            "#",
        ] {
            assert!(
                !editor_file(Path::new("src").join(name).as_path()),
                "{name}"
            );
        }
    }
}
