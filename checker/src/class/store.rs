//! The class on disk: one SQLite file (`.checker/class.db` by default) with
//! the join code and the instructor's key, the learners, and each learner's
//! latest result per exercise. A restart of `checker class` opens the same
//! file and goes on with the same code, so learners who joined keep sending.
//!
//! Bounded twice: SQLite itself refuses to grow the file past
//! `max_bytes` (`max_page_count`), and what it holds is bounded by the
//! server's limits (learners per class, exercises, the length of each text).

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, params};

use super::ExerciseResult;

/// The schema this code reads and writes (`PRAGMA user_version`).
const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS class (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS learners (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    joined_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS latest (
    learner TEXT NOT NULL REFERENCES learners(id),
    exercise TEXT NOT NULL,
    passed INTEGER NOT NULL,
    step TEXT,
    hints_seen INTEGER NOT NULL,
    started_ms INTEGER NOT NULL,
    step_since_ms INTEGER NOT NULL,
    received_ms INTEGER NOT NULL,
    first_passed_ms INTEGER,
    checks INTEGER NOT NULL,
    PRIMARY KEY (learner, exercise)
);
";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the class's database {path} is full ({max_bytes} bytes)")]
    Full { path: PathBuf, max_bytes: u64 },
    #[error("the class's database {path}: {source}")]
    Sqlite {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error(
        "{path} was written by a newer checker (schema {found}, this one reads {SCHEMA_VERSION}); \
         use another file with --db"
    )]
    Newer { path: PathBuf, found: i64 },
    #[error("cannot create the folder for {path}: {source}")]
    Folder {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// A learner as the class knows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Learner {
    pub id: String,
    pub name: String,
    pub joined_ms: i64,
}

/// A learner's latest result on one exercise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Latest {
    pub learner: String,
    pub exercise: String,
    pub passed: bool,
    pub step: Option<String>,
    pub hints_seen: u32,
    /// When the learner started the exercise (this server's clock).
    pub started_ms: i64,
    /// Since when the learner has been failing on `step` without a break.
    pub step_since_ms: i64,
    pub received_ms: i64,
    pub first_passed_ms: Option<i64>,
    /// How many checks of the exercise the class has heard of.
    pub checks: u32,
}

pub struct Store {
    connection: Connection,
    path: PathBuf,
    max_bytes: u64,
    code: String,
    key: String,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

impl Store {
    /// Opens the class in `path`, or starts one there with a new join code and key.
    pub fn open(path: &Path, max_bytes: u64) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::Folder {
                path: path.to_owned(),
                source,
            })?;
        }
        let sqlite = |source| StoreError::Sqlite {
            path: path.to_owned(),
            source,
        };
        let connection = Connection::open(path).map_err(sqlite)?;
        connection
            .busy_timeout(Duration::from_secs(2))
            .map_err(sqlite)?;
        // WAL: `class --csv` reads while the server writes.
        connection
            .pragma_update(None, "journal_mode", "WAL")
            .map_err(sqlite)?;
        connection
            .pragma_update(None, "synchronous", "NORMAL")
            .map_err(sqlite)?;
        // The write-ahead log is folded back every 100 pages and kept under
        // 1 MiB, so the files on disk stay near `max_bytes`.
        connection
            .pragma_update(None, "wal_autocheckpoint", 100)
            .map_err(sqlite)?;
        connection
            .pragma_update(None, "journal_size_limit", 1 << 20)
            .map_err(sqlite)?;
        let page_size: i64 = connection
            .pragma_query_value(None, "page_size", |row| row.get(0))
            .map_err(sqlite)?;
        let max_pages =
            i64::try_from(max_bytes / page_size.max(512).unsigned_abs()).unwrap_or(i64::MAX);
        connection
            .pragma_update(None, "max_page_count", max_pages.max(16))
            .map_err(sqlite)?;
        let found: i64 = connection
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .map_err(sqlite)?;
        if found > SCHEMA_VERSION {
            return Err(StoreError::Newer {
                path: path.to_owned(),
                found,
            });
        }
        connection.execute_batch(SCHEMA).map_err(sqlite)?;
        connection
            .pragma_update(None, "user_version", SCHEMA_VERSION)
            .map_err(sqlite)?;
        let mut store = Self {
            connection,
            path: path.to_owned(),
            max_bytes,
            code: String::new(),
            key: String::new(),
        };
        store.code = store.setting("code", super::new_code)?;
        store.key = store.setting("key", super::new_secret)?;
        Ok(store)
    }

    /// The value of `name` in the class table, made by `make` the first time.
    fn setting(&self, name: &str, make: fn() -> String) -> Result<String, StoreError> {
        let found: Option<String> = self
            .connection
            .query_row(
                "SELECT value FROM class WHERE key = ?1",
                params![name],
                |row| row.get(0),
            )
            .optional()
            .map_err(|error| self.error(error))?;
        if let Some(value) = found {
            return Ok(value);
        }
        let value = make();
        self.connection
            .execute(
                "INSERT INTO class (key, value) VALUES (?1, ?2)",
                params![name, value],
            )
            .map_err(|error| self.error(error))?;
        Ok(value)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The code learners join with.
    pub fn code(&self) -> &str {
        &self.code
    }

    /// The instructor's key to the page and the CSV.
    pub fn key(&self) -> &str {
        &self.key
    }

    fn error(&self, source: rusqlite::Error) -> StoreError {
        if source.sqlite_error_code() == Some(rusqlite::ErrorCode::DiskFull) {
            StoreError::Full {
                path: self.path.clone(),
                max_bytes: self.max_bytes,
            }
        } else {
            StoreError::Sqlite {
                path: self.path.clone(),
                source,
            }
        }
    }

    pub fn is_learner(&self, id: &str) -> Result<bool, StoreError> {
        self.connection
            .query_row("SELECT 1 FROM learners WHERE id = ?1", params![id], |_| {
                Ok(())
            })
            .optional()
            .map(|found| found.is_some())
            .map_err(|error| self.error(error))
    }

    pub fn learner_count(&self) -> Result<usize, StoreError> {
        self.connection
            .query_row("SELECT COUNT(*) FROM learners", [], |row| {
                row.get::<_, i64>(0)
            })
            .map(|count| usize::try_from(count).unwrap_or(usize::MAX))
            .map_err(|error| self.error(error))
    }

    /// Records a learner (a new one, or a new name) and their results, at `now_ms`, all or nothing.
    pub fn record(
        &mut self,
        learner: &str,
        name: &str,
        results: &[ExerciseResult],
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let transaction = self
            .connection
            .transaction()
            .map_err(|source| StoreError::Sqlite {
                path: self.path.clone(),
                source,
            })?;
        let outcome = record_in(&transaction, learner, name, results, now_ms)
            .and_then(|()| transaction.commit());
        outcome.map_err(|error| self.error(error))
    }

    pub fn learners(&self) -> Result<Vec<Learner>, StoreError> {
        let read = || -> rusqlite::Result<Vec<Learner>> {
            let mut statement = self
                .connection
                .prepare("SELECT id, name, joined_ms FROM learners ORDER BY name, id")?;
            let rows = statement.query_map([], |row| {
                Ok(Learner {
                    id: row.get(0)?,
                    name: row.get(1)?,
                    joined_ms: row.get(2)?,
                })
            })?;
            rows.collect()
        };
        read().map_err(|error| self.error(error))
    }

    pub fn latest(&self) -> Result<Vec<Latest>, StoreError> {
        let read = || -> rusqlite::Result<Vec<Latest>> {
            let mut statement = self.connection.prepare(
                "SELECT learner, exercise, passed, step, hints_seen, started_ms, step_since_ms,
                        received_ms, first_passed_ms, checks FROM latest",
            )?;
            let rows = statement.query_map([], |row| {
                Ok(Latest {
                    learner: row.get(0)?,
                    exercise: row.get(1)?,
                    passed: row.get(2)?,
                    step: row.get(3)?,
                    hints_seen: row.get(4)?,
                    started_ms: row.get(5)?,
                    step_since_ms: row.get(6)?,
                    received_ms: row.get(7)?,
                    first_passed_ms: row.get(8)?,
                    checks: row.get(9)?,
                })
            })?;
            rows.collect()
        };
        read().map_err(|error| self.error(error))
    }
}

/// What the class knew of a learner's exercise before a new result.
struct Before {
    passed: bool,
    step: Option<String>,
    step_since_ms: i64,
    first_passed_ms: Option<i64>,
    checks: u32,
}

fn record_in(
    transaction: &rusqlite::Transaction<'_>,
    learner: &str,
    name: &str,
    results: &[ExerciseResult],
    now_ms: i64,
) -> rusqlite::Result<()> {
    transaction.execute(
        "INSERT INTO learners (id, name, joined_ms) VALUES (?1, ?2, ?3)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name",
        params![learner, name, now_ms],
    )?;
    for result in results {
        let before: Option<Before> = transaction
            .query_row(
                "SELECT passed, step, step_since_ms, first_passed_ms, checks
                 FROM latest WHERE learner = ?1 AND exercise = ?2",
                params![learner, result.exercise],
                |row| {
                    Ok(Before {
                        passed: row.get(0)?,
                        step: row.get(1)?,
                        step_since_ms: row.get(2)?,
                        first_passed_ms: row.get(3)?,
                        checks: row.get(4)?,
                    })
                },
            )
            .optional()?;
        let elapsed_ms =
            i64::try_from(result.seconds_since_start.saturating_mul(1000)).unwrap_or(i64::MAX);
        let started_ms = now_ms.saturating_sub(elapsed_ms);
        // Still failing on the same step: the clock of "stuck since" goes on.
        let step_since_ms = match &before {
            Some(before) if !before.passed && !result.passed && before.step == result.step => {
                before.step_since_ms
            }
            _ => now_ms,
        };
        let first_passed_ms = before
            .as_ref()
            .and_then(|before| before.first_passed_ms)
            .or(result.passed.then_some(now_ms));
        let checks = before.map_or(0, |before| before.checks) + 1;
        transaction.execute(
            "INSERT OR REPLACE INTO latest (learner, exercise, passed, step, hints_seen, started_ms,
                 step_since_ms, received_ms, first_passed_ms, checks)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                learner,
                result.exercise,
                result.passed,
                result.step,
                result.hints_seen,
                started_ms,
                step_since_ms,
                now_ms,
                first_passed_ms,
                checks
            ],
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(exercise: &str, passed: bool, step: Option<&str>) -> ExerciseResult {
        ExerciseResult {
            exercise: exercise.into(),
            passed,
            step: step.map(str::to_owned),
            hints_seen: 1,
            seconds_since_start: 60,
        }
    }

    #[test]
    fn the_stuck_clock_runs_while_the_same_step_fails() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("class.db"), 1 << 20).unwrap();
        let ada = "a".repeat(32);
        let fail = |step| [result("02", false, Some(step))];
        store.record(&ada, "Ada", &fail("echo"), 1_000_000).unwrap();
        store.record(&ada, "Ada", &fail("echo"), 1_060_000).unwrap();
        let row = store.latest().unwrap().remove(0);
        assert_eq!(
            (row.step_since_ms, row.started_ms, row.checks),
            (1_000_000, 1_000_000, 2)
        );
        store
            .record(&ada, "Ada", &fail("broadcast"), 1_120_000)
            .unwrap();
        assert_eq!(store.latest().unwrap()[0].step_since_ms, 1_120_000);
        store
            .record(&ada, "Ada L.", &[result("02", true, None)], 1_180_000)
            .unwrap();
        let row = store.latest().unwrap().remove(0);
        assert_eq!(row.first_passed_ms, Some(1_180_000));
        assert_eq!(store.learners().unwrap()[0].name, "Ada L.");
    }
}
