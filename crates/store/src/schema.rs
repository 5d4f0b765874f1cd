//! The schema and its migrations, driven by `PRAGMA user_version`, and the settings every
//! connection to `confab.db` runs with.
//!
//! A migration is appended, never edited: version N of the database is the state after
//! the first N steps, so a newer confab can bring any older database forward.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::error::{on, StoreError};

/// The migration steps, in order. Step `i` takes the database from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[V1];

/// Version 1: events, pending direct messages, accounts.
///
/// History is ordered by `(at_ms, msgid)`: a msgid starts with its event's time, so this
/// is msgid order, and it lets one index serve bounds given as a msgid or as a time.
const V1: &str = "
CREATE TABLE events (
    id      INTEGER PRIMARY KEY,
    msgid   BLOB NOT NULL UNIQUE,
    at_ms   INTEGER NOT NULL,
    target  TEXT NOT NULL,
    peer    TEXT,
    kind    TEXT NOT NULL,
    author  TEXT NOT NULL,
    account TEXT,
    text    TEXT,
    body    BLOB NOT NULL
);
-- One conversation in order: every history query, and the per-conversation cap.
CREATE INDEX events_conversation ON events (target, peer, at_ms, msgid);
-- Direct conversations where the party is the second key (the first uses the index above).
CREATE INDEX events_peer ON events (peer, at_ms) WHERE peer IS NOT NULL;

CREATE TABLE pending (
    account TEXT NOT NULL,
    event   INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    PRIMARY KEY (account, event)
) WITHOUT ROWID;
-- Without it every deleted event would scan `pending` for the cascade.
CREATE INDEX pending_event ON pending (event);

CREATE TABLE accounts (
    key        TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    hash       TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    oper       INTEGER NOT NULL DEFAULT 0
);
";

/// The newest schema version this code knows.
pub(crate) const KNOWN_VERSION: i64 = MIGRATIONS.len() as i64;

/// Opens a connection to `path` (creating the file if `create`) with the settings every
/// connection needs. Checks the schema version before changing anything in the file.
pub(crate) fn connect(path: &Path, create: bool) -> Result<Connection, StoreError> {
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if create {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    let conn = Connection::open_with_flags(path, flags).map_err(on(path, "open the database"))?;
    // Readers and the rare account writes wait for the writer's short commits instead of
    // failing with SQLITE_BUSY.
    conn.busy_timeout(Duration::from_secs(5))
        .map_err(on(path, "set the busy timeout"))?;
    let found = user_version(&conn, path)?;
    if found > KNOWN_VERSION {
        return Err(StoreError::TooNew {
            path: path.to_path_buf(),
            found,
            known: KNOWN_VERSION,
        });
    }
    // WAL + NORMAL: a commit survives a process kill (not a power cut of the last
    // moments), and readers never block the writer.
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(on(path, "switch to WAL journaling"))?;
    conn.pragma_update(None, "synchronous", "NORMAL")
        .map_err(on(path, "set synchronous=NORMAL"))?;
    conn.pragma_update(None, "foreign_keys", "ON")
        .map_err(on(path, "enable foreign keys"))?;
    Ok(conn)
}

/// Applies every migration step newer than the database, each in its own transaction
/// together with the version bump, so a crash mid-way leaves a consistent version.
pub(crate) fn migrate(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let found = user_version(conn, path)?;
    for (step, sql) in MIGRATIONS.iter().enumerate().skip(found.max(0) as usize) {
        let tx = conn.transaction().map_err(on(path, "begin a migration"))?;
        tx.execute_batch(sql)
            .map_err(on(path, "apply a schema migration"))?;
        tx.pragma_update(None, "user_version", step as i64 + 1)
            .map_err(on(path, "record the schema version"))?;
        tx.commit().map_err(on(path, "commit a schema migration"))?;
        tracing::debug!(path = %path.display(), version = step + 1, "migrated the database");
    }
    Ok(())
}

/// The database's schema version (0 for a new, empty file).
pub(crate) fn user_version(conn: &Connection, path: &Path) -> Result<i64, StoreError> {
    conn.pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(on(path, "read the schema version"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table_names(conn: &Connection) -> Vec<String> {
        let mut stmt = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .unwrap();
        let rows = stmt.query_map([], |row| row.get(0)).unwrap();
        rows.collect::<Result<_, _>>().unwrap()
    }

    #[test]
    fn an_empty_file_is_migrated_to_the_known_version() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("t.db");
        let mut conn = connect(&path, true).unwrap();
        assert_eq!(user_version(&conn, &path).unwrap(), 0);
        migrate(&mut conn, &path).unwrap();
        assert_eq!(user_version(&conn, &path).unwrap(), KNOWN_VERSION);
        assert_eq!(table_names(&conn), ["accounts", "events", "pending"]);
        let mode: String = conn
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
    }

    #[test]
    fn migrating_twice_changes_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("t.db");
        let mut conn = connect(&path, true).unwrap();
        migrate(&mut conn, &path).unwrap();
        migrate(&mut conn, &path).unwrap();
        assert_eq!(user_version(&conn, &path).unwrap(), KNOWN_VERSION);
    }
}
