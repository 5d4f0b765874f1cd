//! The checkpointer: copies the WAL back into the database from a thread of its own, and
//! makes the WAL start over before it grows large.
//!
//! A checkpoint ends in an fsync, which took 30 ms and more on this machine's disk. Run
//! by the writer (SQLite's automatic checkpoint), that stall held up every batch behind
//! it, and with it every delivery: the fan-out p99 rose from 4 to 40 ms. Here the writer
//! never checkpoints; this thread runs a PASSIVE checkpoint, which never blocks the
//! writer, every `EVERY`.
//!
//! A PASSIVE checkpoint alone never lets the WAL start over under steady writing: by the
//! time it has copied and synced, the writer has logged more. The WAL then grew to 256 MB,
//! every commit wrote to new file blocks, and the forced restart held the writer about
//! 100 ms. So once the WAL passes `RESTART_PAGES`, right after the PASSIVE pass has synced
//! the bulk, the checkpointer closes the writer's `Gate` and copies only what came in since,
//! which takes a few milliseconds; SQLite then starts the WAL over at the next commit,
//! writing over the same file blocks.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::Duration;

use rusqlite::Connection;

use crate::error::StoreError;
use crate::schema;

/// How often the WAL is copied back.
const EVERY: Duration = Duration::from_millis(500);
/// WAL pages (4 KiB each) past which the checkpointer makes the WAL start over.
const RESTART_PAGES: i64 = 4_096;
/// How long the gated checkpoint waits for a reader still on an old snapshot before
/// leaving the restart to the next round (the writer waits meanwhile).
const READERS_WAIT: Duration = Duration::from_millis(20);

/// Held by the writer around each of its transactions, and by the checkpointer while it
/// makes the WAL start over, so neither waits on SQLite's busy handler, which sleeps in
/// steps of up to 100 ms.
#[derive(Debug, Clone, Default)]
pub(crate) struct Gate(Arc<Mutex<()>>);

impl Gate {
    pub(crate) fn close(&self) -> MutexGuard<'_, ()> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The running checkpointer; it stops when this is dropped (with the writer).
pub(crate) struct Checkpointer {
    _stop: Sender<()>,
    gate: Gate,
}

impl Checkpointer {
    pub(crate) fn spawn(path: &Path) -> Result<Checkpointer, StoreError> {
        let conn = schema::connect(path, false)?;
        let (stop, stopped) = mpsc::channel::<()>();
        let db: PathBuf = path.to_path_buf();
        let gate = Gate::default();
        let ours = gate.clone();
        thread::Builder::new()
            .name("confab-store-checkpoint".into())
            .spawn(move || loop {
                match stopped.recv_timeout(EVERY) {
                    Err(RecvTimeoutError::Timeout) => checkpoint(&conn, &db, &ours),
                    Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
                }
            })
            .map_err(|cause| StoreError::Thread {
                path: path.to_path_buf(),
                cause,
            })?;
        Ok(Checkpointer { _stop: stop, gate })
    }

    /// The gate the writer must hold around each of its transactions.
    pub(crate) fn gate(&self) -> Gate {
        self.gate.clone()
    }
}

/// One round: a PASSIVE pass, then, with the WAL past `RESTART_PAGES`, a RESTART pass
/// with the writer held at the gate.
fn checkpoint(conn: &Connection, path: &Path, gate: &Gate) {
    let result = match run(conn, "PASSIVE") {
        Ok(logged) if logged > RESTART_PAGES => restart(conn, gate),
        other => other.map(drop),
    };
    if let Err(error) = result {
        tracing::warn!(path = %path.display(), %error, "WAL checkpoint failed; retrying");
    }
}

/// A reader still on an old snapshot is not an error: SQLite reports it in the result
/// row, and the next round tries again.
fn restart(conn: &Connection, gate: &Gate) -> rusqlite::Result<()> {
    let _writer_waits = gate.close();
    conn.busy_timeout(READERS_WAIT)?;
    let result = run(conn, "RESTART");
    conn.busy_timeout(schema::BUSY_TIMEOUT)?;
    result.map(drop)
}

/// Runs `PRAGMA wal_checkpoint(MODE)` and returns the pages the WAL holds.
fn run(conn: &Connection, mode: &str) -> rusqlite::Result<i64> {
    let sql = format!("PRAGMA wal_checkpoint({mode})");
    conn.query_row(&sql, [], |row| row.get::<_, i64>(1))
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Instant;

    use super::*;

    /// The WAL header's checkpoint sequence, which SQLite counts up each time the WAL
    /// starts over.
    fn wal_restarts(db: &Path) -> u32 {
        let header = std::fs::read(db.with_extension("db-wal")).unwrap();
        u32::from_be_bytes(header[12..16].try_into().unwrap())
    }

    #[test]
    fn under_steady_writing_the_wal_starts_over_once_past_the_restart_size() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("t.db");
        let writer = schema::connect(&path, true).unwrap();
        writer.pragma_update(None, "wal_autocheckpoint", 0).unwrap();
        writer.execute_batch("CREATE TABLE t (x BLOB)").unwrap();
        let checkpointer = schema::connect(&path, false).unwrap();
        let gate = Gate::default();
        let first = wal_restarts(&path);
        let stop = AtomicBool::new(false);
        let restarted = thread::scope(|scope| {
            // Commits one page after another, as the writer does under load, so a
            // PASSIVE pass alone never finds the whole WAL copied back.
            let (gate, stop) = (&gate, &stop);
            scope.spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let _held = gate.close();
                    writer
                        .execute("INSERT INTO t VALUES (zeroblob(3000))", [])
                        .unwrap();
                }
            });
            let deadline = Instant::now() + Duration::from_secs(10);
            let mut restarted = false;
            while !restarted && Instant::now() < deadline {
                thread::sleep(Duration::from_millis(20));
                checkpoint(&checkpointer, &path, gate);
                thread::sleep(Duration::from_millis(20));
                restarted = wal_restarts(&path) != first;
            }
            stop.store(true, Ordering::Relaxed);
            restarted
        });
        assert!(restarted, "the WAL never started over");
    }
}
