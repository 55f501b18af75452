//! What was last built from an exercise folder, file by file, so that the
//! checker grades what the files say. Cargo judges a crate up to date by
//! times: a file restored with an older time (`cp -a`, `mv`, `rsync -a` of a
//! backup) looks unchanged, and the old binary would be graded. Before each
//! build, the files whose contents differ from the last build's are given
//! the current time, which cargo does see.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::files::learner_files;
use super::{Exercise, Variant, Workshop};

/// One exercise copy's build record, in `.checker/built/`.
#[derive(Debug, Clone)]
pub struct BuiltFrom {
    /// The exercise folder.
    dir: PathBuf,
    /// Its record: each file's hash at the last successful build.
    record: PathBuf,
}

/// Each file's content hash, by its path in the exercise folder.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contents {
    files: BTreeMap<String, String>,
}

impl BuiltFrom {
    pub fn new(workshop: &Workshop, exercise: &Exercise, variant: Variant) -> Self {
        Self {
            dir: workshop.dir(exercise, variant),
            record: workshop
                .checker_dir()
                .join("built")
                .join(variant.folder())
                .join(format!("{}.toml", exercise.name)),
        }
    }

    /// Gives each file whose contents differ from the last build's (every
    /// file, when no build is recorded) the current time, so cargo rebuilds
    /// what it reads; returns the contents to record once the build succeeds.
    pub fn freshen(&self) -> Contents {
        let now = contents(&self.dir);
        let built = self.recorded();
        for (relative, hash) in &now.files {
            if built.files.get(relative) != Some(hash) {
                let path = self.dir.join(relative);
                if let Err(error) = touch(&path) {
                    tracing::warn!(file = %path.display(), %error, "cannot set the file's time; cargo may not rebuild it");
                }
            }
        }
        now
    }

    /// Records `contents` as built; a failure only costs a rebuild next time.
    pub fn record(&self, contents: &Contents) {
        let written = toml::to_string(contents)
            .map_err(std::io::Error::other)
            .and_then(|text| {
                if let Some(dir) = self.record.parent() {
                    std::fs::create_dir_all(dir)?;
                }
                let partial = self.record.with_extension("toml.partial");
                std::fs::write(&partial, text)?;
                std::fs::rename(&partial, &self.record)
            });
        if let Err(error) = written {
            tracing::warn!(file = %self.record.display(), %error, "cannot record the build");
        }
    }

    fn recorded(&self) -> Contents {
        std::fs::read_to_string(&self.record)
            .ok()
            .and_then(|text| toml::from_str(&text).ok())
            .unwrap_or_default()
    }
}

/// The hash of each of the learner's files in `dir` (build output, hidden and editors' files left out).
fn contents(dir: &Path) -> Contents {
    let files = learner_files(dir)
        .into_iter()
        .filter_map(|relative| {
            let bytes = std::fs::read(dir.join(&relative)).ok()?;
            let hash = Sha256::digest(&bytes)
                .iter()
                .map(|byte| format!("{byte:02x}"))
                .collect();
            Some((relative.to_string_lossy().into_owned(), hash))
        })
        .collect();
    Contents { files }
}

fn touch(path: &Path) -> std::io::Result<()> {
    std::fs::File::options()
        .write(true)
        .open(path)?
        .set_modified(SystemTime::now())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set_old(path: &Path) {
        let old = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000_000);
        std::fs::File::options()
            .write(true)
            .open(path)
            .unwrap()
            .set_modified(old)
            .unwrap();
    }

    fn modified(path: &Path) -> SystemTime {
        std::fs::metadata(path).unwrap().modified().unwrap()
    }

    #[test]
    fn only_files_changed_since_the_build_get_a_new_time() {
        let dir = tempfile::tempdir().unwrap();
        let built = BuiltFrom {
            dir: dir.path().join("ex"),
            record: dir.path().join("record.toml"),
        };
        let (same, changed) = (built.dir.join("same.rs"), built.dir.join("src/changed.rs"));
        std::fs::create_dir_all(built.dir.join("src")).unwrap();
        std::fs::write(&same, "same").unwrap();
        std::fs::write(&changed, "before").unwrap();
        // Nothing recorded yet: every file is freshened.
        set_old(&same);
        let contents = built.freshen();
        assert!(
            modified(&same)
                > SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000_001)
        );
        built.record(&contents);

        // A file restored with an old time and other contents is freshened; the unchanged one is not.
        std::fs::write(&changed, "restored").unwrap();
        set_old(&changed);
        set_old(&same);
        built.freshen();
        let old = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000_000);
        assert_eq!(modified(&same), old);
        assert!(modified(&changed) > old);
    }
}
