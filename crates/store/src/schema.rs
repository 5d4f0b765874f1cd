//! The schema and its migrations, driven by `PRAGMA user_version`, and the settings every
//! connection to `confab.db` runs with.
//!
//! A migration is appended, never edited: version N of the database is the state after
//! the first N steps, so a newer confab can bring any older database forward.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension};

use crate::error::{on, StoreError};

/// The migration steps, in order. Step `i` takes the database from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[V1, V2, V3, V4, V5, V6];

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

/// Version 2: an event may have several rows, one per conversation (a quit or a rename
/// is kept in each of the user's rooms), so a msgid is unique within a conversation only.
/// SQLite cannot drop a constraint: the table is rebuilt (with foreign keys off, see
/// [`migrate`], so `pending` keeps its rows) and its indexes made again.
const V2: &str = "
CREATE TABLE events_v2 (
    id      INTEGER PRIMARY KEY,
    msgid   BLOB NOT NULL,
    at_ms   INTEGER NOT NULL,
    target  TEXT NOT NULL,
    peer    TEXT,
    kind    TEXT NOT NULL,
    author  TEXT NOT NULL,
    account TEXT,
    text    TEXT,
    body    BLOB NOT NULL
);
INSERT INTO events_v2 (id, msgid, at_ms, target, peer, kind, author, account, text, body)
    SELECT id, msgid, at_ms, target, peer, kind, author, account, text, body FROM events;
DROP TABLE events;
ALTER TABLE events_v2 RENAME TO events;
-- One row per event and conversation; led by msgid, it also finds the newest msgid.
CREATE UNIQUE INDEX events_msgid ON events (msgid, target, ifnull(peer, ''));
CREATE INDEX events_conversation ON events (target, peer, at_ms, msgid);
CREATE INDEX events_peer ON events (peer, at_ms) WHERE peer IS NOT NULL;
";

/// Version 3: server-wide bans (IRC `KLINE`, `DLINE`), one row per ban target.
const V3: &str = "
CREATE TABLE server_bans (
    target     TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,
    reason     TEXT NOT NULL,
    set_by     TEXT NOT NULL,
    set_at_ms  INTEGER NOT NULL,
    expires_ms INTEGER
);
";

/// Version 4: read marks (IRC `draft/read-marker`), the newest per account and target.
const V4: &str = "
CREATE TABLE read_marks (
    account TEXT NOT NULL,
    target  TEXT NOT NULL,
    at_ms   INTEGER NOT NULL,
    PRIMARY KEY (account, target)
) WITHOUT ROWID;
";

/// Version 5: what a cluster's nodes need to agree on accounts and bans (`sync.rs`):
/// when each account and ban last changed, and tombstones for the deleted ones, so a
/// deletion made while a node was cut off is not undone by that node's older copy.
/// Existing rows count as changed when they were made.
const V5: &str = "
ALTER TABLE accounts ADD COLUMN updated_ms INTEGER NOT NULL DEFAULT 0;
UPDATE accounts SET updated_ms = created_ms;
ALTER TABLE server_bans ADD COLUMN updated_ms INTEGER NOT NULL DEFAULT 0;
UPDATE server_bans SET updated_ms = set_at_ms;
CREATE TABLE tombstones (
    kind       TEXT NOT NULL,
    key        TEXT NOT NULL,
    deleted_ms INTEGER NOT NULL,
    PRIMARY KEY (kind, key)
) WITHOUT ROWID;
";

/// Version 6: who has direct conversations with whom, both ways round, in place of the
/// index on `events.peer`. That index took a page write of its own for nearly every
/// direct message (each `peer` has its own index leaf), while a pair is added here once
/// and afterwards only looked up: `CHATHISTORY TARGETS` finds a party's partners here
/// and each conversation's latest message through `events_conversation`.
const V6: &str = "
CREATE TABLE direct_parties (
    party TEXT NOT NULL,
    other TEXT NOT NULL,
    PRIMARY KEY (party, other)
) WITHOUT ROWID;
INSERT OR IGNORE INTO direct_parties (party, other)
    SELECT DISTINCT target, peer FROM events WHERE peer IS NOT NULL;
INSERT OR IGNORE INTO direct_parties (party, other)
    SELECT DISTINCT peer, target FROM events WHERE peer IS NOT NULL;
DROP INDEX events_peer;
";

/// How long a connection waits for another's lock before giving up with SQLITE_BUSY.
pub(crate) const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

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
    conn.busy_timeout(BUSY_TIMEOUT)
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
///
/// Foreign keys are off while migrating, as SQLite's procedure for rebuilding a table
/// asks: dropping the old `events` would otherwise delete the `pending` rows that point
/// at it. Each step checks the keys still hold before it commits.
pub(crate) fn migrate(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let found = user_version(conn, path)?;
    if found >= KNOWN_VERSION {
        return Ok(());
    }
    conn.pragma_update(None, "foreign_keys", "OFF")
        .map_err(on(path, "turn foreign keys off to migrate"))?;
    let migrated = MIGRATIONS
        .iter()
        .enumerate()
        .skip(found.max(0) as usize)
        .try_for_each(|(step, sql)| apply(conn, path, step as i64 + 1, sql));
    conn.pragma_update(None, "foreign_keys", "ON")
        .map_err(on(path, "turn foreign keys back on"))?;
    migrated
}

/// One migration step, in one transaction, to `version`.
fn apply(conn: &mut Connection, path: &Path, version: i64, sql: &str) -> Result<(), StoreError> {
    let tx = conn.transaction().map_err(on(path, "begin a migration"))?;
    tx.execute_batch(sql)
        .map_err(on(path, "apply a schema migration"))?;
    let broken: Option<String> = tx
        .query_row("PRAGMA foreign_key_check", [], |row| row.get(0))
        .optional()
        .map_err(on(path, "check foreign keys after a migration"))?;
    if let Some(table) = broken {
        return Err(StoreError::Migration {
            path: path.to_path_buf(),
            version,
            why: format!("rows of {table} lost what they refer to"),
        });
    }
    tx.pragma_update(None, "user_version", version)
        .map_err(on(path, "record the schema version"))?;
    tx.commit().map_err(on(path, "commit a schema migration"))?;
    tracing::info!(path = %path.display(), version, "migrated the database");
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
        assert_eq!(
            table_names(&conn),
            [
                "accounts",
                "direct_parties",
                "events",
                "pending",
                "read_marks",
                "server_bans",
                "tombstones"
            ]
        );
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

    #[test]
    fn version_5_is_brought_forward_with_the_pairs_of_its_direct_conversations() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("t.db");
        let mut conn = connect(&path, true).unwrap();
        for (step, sql) in MIGRATIONS[..5].iter().enumerate() {
            apply(&mut conn, &path, step as i64 + 1, sql).unwrap();
        }
        conn.execute_batch(
            "INSERT INTO events (msgid, at_ms, target, peer, kind, author, body) VALUES
                 (x'01', 5, 'amy', 'bob', 'privmsg', 'bob', x'00'),
                 (x'02', 6, 'amy', 'bob', 'privmsg', 'amy', x'00'),
                 (x'03', 7, 'cat', 'cat', 'privmsg', 'cat', x'00'),
                 (x'04', 8, '#a', NULL, 'privmsg', 'amy', x'00');",
        )
        .unwrap();
        migrate(&mut conn, &path).unwrap();
        let pairs: Vec<(String, String)> = conn
            .prepare("SELECT party, other FROM direct_parties ORDER BY party, other")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let pair = |a: &str, b: &str| (a.to_string(), b.to_string());
        assert_eq!(
            pairs,
            [pair("amy", "bob"), pair("bob", "amy"), pair("cat", "cat")]
        );
        let peer_index: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE name = 'events_peer'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(peer_index, 0);
    }

    #[test]
    fn version_1_is_brought_forward_with_its_rows_and_pending_messages() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("t.db");
        let mut conn = connect(&path, true).unwrap();
        apply(&mut conn, &path, 1, V1).unwrap();
        conn.execute_batch(
            "INSERT INTO events (id, msgid, at_ms, target, peer, kind, author, text, body)
                 VALUES (7, x'01', 5, 'amy', 'bob', 'privmsg', 'bob', 'hi', x'00');
             INSERT INTO pending (account, event) VALUES ('amy', 7);",
        )
        .unwrap();
        migrate(&mut conn, &path).unwrap();
        assert_eq!(user_version(&conn, &path).unwrap(), KNOWN_VERSION);
        let pending: Vec<(String, i64, String)> = conn
            .prepare(
                "SELECT p.account, e.id, e.text FROM pending p JOIN events e ON e.id = p.event",
            )
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(pending, [("amy".to_string(), 7, "hi".to_string())]);
        // One msgid in two rooms, but not twice in one conversation.
        let insert = "INSERT OR IGNORE INTO events (msgid, at_ms, target, peer, kind, author, body)
                      VALUES (x'02', 6, ?1, ?2, 'quit', 'amy', x'00')";
        let mut added = 0;
        for (target, peer) in [
            ("#a", None),
            ("#b", None),
            ("#a", None),
            ("amy", Some("bob")),
        ] {
            added += conn
                .execute(insert, rusqlite::params![target, peer])
                .unwrap();
        }
        assert_eq!(added, 3);
        let fk: i64 = conn
            .pragma_query_value(None, "foreign_keys", |r| r.get(0))
            .unwrap();
        assert_eq!(fk, 1, "foreign keys are on again");
        // The cascade still works on the rebuilt table.
        conn.execute("DELETE FROM events WHERE id = 7", []).unwrap();
        let left: i64 = conn
            .query_row("SELECT count(*) FROM pending", [], |r| r.get(0))
            .unwrap();
        assert_eq!(left, 0);
    }
}
