//! `Database`: the read-write connection to `confab.db` for rare writes (accounts, the
//! CLI, a full retention pass) and the door to the `Reader` pool and the writer.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use rusqlite::Connection;

use crate::dir::DirLock;
use crate::error::{on, StoreError};
use crate::read::Reader;
use crate::retention::{Job, Retention};
use crate::schema;

/// How many idle read connections a `Reader` keeps; more are opened under load.
const READERS: usize = 4;

/// An open, migrated `confab.db`. `Send + Sync`: its one connection sits behind a mutex,
/// which is fine because everything here is rare; history goes through the writer.
#[derive(Debug)]
pub struct Database {
    lock: Arc<DirLock>,
    path: PathBuf,
    conn: Mutex<Connection>,
}

impl Database {
    pub(crate) fn open(lock: Arc<DirLock>, path: &Path) -> Result<Database, StoreError> {
        let mut conn = schema::connect(path, true)?;
        schema::migrate(&mut conn, path)?;
        let db = Database {
            lock,
            path: path.to_path_buf(),
            conn: Mutex::new(conn),
        };
        // A lone server never compares them, so they would only pile up.
        let now = crate::accounts::now_ms();
        db.prune_tombstones(now - crate::sync::TOMBSTONES_KEPT_MS)?;
        Ok(db)
    }

    /// The database file, `DIR/confab.db`.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A pool of read connections for history queries, usable from any thread.
    pub fn reader(&self) -> Result<Reader, StoreError> {
        Reader::open(self.lock.clone(), &self.path, READERS)
    }

    /// The highest stored msgid, so new msgids can stay above it across restarts.
    pub fn max_msgid(&self) -> Result<Option<[u8; 16]>, StoreError> {
        self.with("read the highest msgid", |conn| {
            conn.query_row("SELECT max(msgid) FROM events", [], |row| row.get(0))
        })
    }

    /// How many events are stored.
    pub fn event_count(&self) -> Result<u64, StoreError> {
        let count: i64 = self.with("count events", |conn| {
            conn.query_row("SELECT count(*) FROM events", [], |row| row.get(0))
        })?;
        Ok(count.unsigned_abs())
    }

    /// SQLite's `PRAGMA integrity_check`: `"ok"`, or the first problem it found.
    pub fn integrity_check(&self) -> Result<String, StoreError> {
        self.with("check the database's integrity", |conn| {
            conn.query_row("PRAGMA integrity_check", [], |row| row.get(0))
        })
    }

    /// The stored schema version (after opening, always [`crate::SCHEMA_VERSION`]).
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        let conn = self.conn();
        schema::user_version(&conn, &self.path)
    }

    /// Runs a whole retention pass now, as of `now_ms`, and returns how many events it
    /// deleted. The writer does the same in small steps in the background.
    pub fn prune(&self, policy: Retention, now_ms: i64) -> Result<u64, StoreError> {
        let mut job = Job::new(policy, now_ms);
        self.with("apply retention", |conn| {
            while !job.step(conn)? {}
            Ok(job.pruned())
        })
    }

    pub(crate) fn lock(&self) -> Arc<DirLock> {
        self.lock.clone()
    }

    /// Runs `f` on the connection, naming `doing` in any error.
    pub(crate) fn with<R>(
        &self,
        doing: &'static str,
        f: impl FnOnce(&mut Connection) -> rusqlite::Result<R>,
    ) -> Result<R, StoreError> {
        let mut conn = self.conn();
        f(&mut conn).map_err(on(&self.path, doing))
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the connection leaves no half-open transaction behind
        // (rusqlite rolls back on drop), so the connection is still usable.
        self.conn
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use crate::{DataDir, StoreError, SCHEMA_VERSION};

    #[test]
    fn a_database_from_a_newer_schema_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = DataDir::open(tmp.path()).unwrap();
        let db = dir.database().unwrap();
        db.with("pretend to be newer", |conn| {
            conn.pragma_update(None, "user_version", 99)
        })
        .unwrap();
        drop(db);
        let err = dir.database().unwrap_err();
        let path = tmp.path().join("confab.db");
        match &err {
            StoreError::TooNew {
                path: p,
                found,
                known,
            } => assert_eq!((p, *found, *known), (&path, 99, SCHEMA_VERSION)),
            other => panic!("expected TooNew, got {other:?}"),
        }
        assert_eq!(
            err.to_string(),
            format!(
                "{} was written by a newer confab (schema version 99, this confab knows up \
                 to {SCHEMA_VERSION}); upgrade confab or use another data directory",
                path.display()
            )
        );
    }

    #[test]
    fn an_older_database_is_brought_forward() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = DataDir::open(tmp.path()).unwrap();
        let path = tmp.path().join("confab.db");
        // A version-0 file: SQLite, but none of our tables yet.
        rusqlite::Connection::open(&path)
            .unwrap()
            .execute_batch("CREATE TABLE unrelated (x)")
            .unwrap();
        let db = dir.database().unwrap();
        assert_eq!(db.schema_version().unwrap(), SCHEMA_VERSION);
        assert_eq!(db.event_count().unwrap(), 0);
    }
}
