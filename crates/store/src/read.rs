//! `Reader`: a small pool of connections for history queries, made to be called from
//! `spawn_blocking` on any thread while the writer commits on its own.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rusqlite::Connection;

use crate::dir::DirLock;
use crate::error::{on, StoreError};
use crate::schema;

/// A cheap-to-clone handle to the read pool. The queries themselves live in `history`,
/// `targets` and `pending`.
#[derive(Debug, Clone)]
pub struct Reader {
    pool: Arc<Pool>,
    /// When set, history queries return only rows of these kinds, written
    /// `,kind,kind,` (see [`Reader::only_kinds`]).
    kinds: Option<Arc<str>>,
}

#[derive(Debug)]
struct Pool {
    // Keeps the directory locked while queries can still run.
    _lock: Arc<DirLock>,
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    keep: usize,
}

impl Reader {
    /// Opens one connection now so a broken database fails here, not on the first query.
    pub(crate) fn open(lock: Arc<DirLock>, path: &Path, keep: usize) -> Result<Reader, StoreError> {
        let first = schema::connect(path, false)?;
        let pool = Pool {
            _lock: lock,
            path: path.to_path_buf(),
            idle: Mutex::new(vec![first]),
            keep: keep.max(1),
        };
        Ok(Reader {
            pool: Arc::new(pool),
            kinds: None,
        })
    }

    /// The same pool, but `latest`, `before`, `after`, `around` and `between` return only
    /// rows whose kind is one of `kinds`, and count only those against their limit (IRC
    /// without event playback asks for messages alone). Bounds may still be any row.
    pub fn only_kinds(&self, kinds: &[&str]) -> Reader {
        let list = kinds
            .iter()
            .fold(String::from(","), |list, kind| list + kind + ",");
        Reader {
            pool: self.pool.clone(),
            kinds: Some(Arc::from(list)),
        }
    }

    /// The kind filter, `,kind,kind,`, if any.
    pub(crate) fn kinds(&self) -> Option<&str> {
        self.kinds.as_deref()
    }

    /// Runs `f` on an idle connection (opening one if none is idle), naming `doing` in any
    /// error. The pool's mutex is held only to take and return the connection.
    pub(crate) fn with<R>(
        &self,
        doing: &'static str,
        f: impl FnOnce(&mut Connection) -> rusqlite::Result<R>,
    ) -> Result<R, StoreError> {
        let taken = self.idle().pop();
        let mut conn = match taken {
            Some(conn) => conn,
            None => schema::connect(&self.pool.path, false)?,
        };
        let result = f(&mut conn).map_err(on(&self.pool.path, doing));
        let mut idle = self.idle();
        if idle.len() < self.pool.keep {
            idle.push(conn);
        }
        result
    }

    fn idle(&self) -> std::sync::MutexGuard<'_, Vec<Connection>> {
        // A poisoned pool only ever holds whole connections; keep using them.
        self.pool
            .idle
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
