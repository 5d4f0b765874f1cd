//! The checkpointer: copies the WAL back into the database from a thread of its own.
//!
//! A checkpoint ends in an fsync, which took 30 ms and more on this machine's disk. Run
//! by the writer (SQLite's automatic checkpoint), that stall held up every batch behind
//! it, and with it every delivery: the fan-out p99 rose from 4 to 40 ms. Here the writer
//! never checkpoints; this thread runs a PASSIVE checkpoint, which never blocks the
//! writer, every `EVERY`, and SQLite starts the WAL over once it is all copied back.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread;
use std::time::Duration;

use rusqlite::Connection;

use crate::error::StoreError;
use crate::schema;

/// How often the WAL is copied back.
const EVERY: Duration = Duration::from_millis(500);
/// WAL pages (4 KiB each) past which a checkpoint that never catches up under steady
/// writing forces the WAL to start over (TRUNCATE), holding the writer for that moment.
const WAL_PAGES_MAX: i64 = 65_536;

/// The running checkpointer; it stops when this is dropped (with the writer).
pub(crate) struct Checkpointer {
    _stop: Sender<()>,
}

impl Checkpointer {
    pub(crate) fn spawn(path: &Path) -> Result<Checkpointer, StoreError> {
        let conn = schema::connect(path, false)?;
        let (stop, stopped) = mpsc::channel::<()>();
        let db: PathBuf = path.to_path_buf();
        thread::Builder::new()
            .name("confab-store-checkpoint".into())
            .spawn(move || loop {
                match stopped.recv_timeout(EVERY) {
                    Err(RecvTimeoutError::Timeout) => checkpoint(&conn, &db),
                    Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
                }
            })
            .map_err(|cause| StoreError::Thread {
                path: path.to_path_buf(),
                cause,
            })?;
        Ok(Checkpointer { _stop: stop })
    }
}

fn checkpoint(conn: &Connection, path: &Path) {
    let pages = |mode: &str| {
        let sql = format!("PRAGMA wal_checkpoint({mode})");
        conn.query_row(&sql, [], |row| row.get::<_, i64>(1))
    };
    let result = match pages("PASSIVE") {
        Ok(logged) if logged > WAL_PAGES_MAX => pages("TRUNCATE"),
        other => other,
    };
    if let Err(error) = result {
        tracing::warn!(path = %path.display(), %error, "WAL checkpoint failed; retrying");
    }
}
