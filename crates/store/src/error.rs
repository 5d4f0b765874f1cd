//! The store's one error type: every variant names the file or directory it is about and
//! why, so an operator reading `confab serve`'s last line knows what to fix.

use std::io;
use std::path::{Path, PathBuf};

use rusqlite::ErrorCode;

/// What went wrong opening, migrating, reading or writing the data directory.
///
/// Each message names its cause itself, so the cause is a field named `cause`, not
/// `source`: a caller printing the error chain (`{error:#}`) would show it twice.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another process holds `confab.lock`: two servers writing one database would
    /// interleave their msgids and fight over the WAL.
    #[error(
        "another confab server is using the data directory {} ({}); two servers cannot share one",
        dir.display(),
        pid_text(*pid)
    )]
    InUse { dir: PathBuf, pid: Option<u32> },

    /// A filesystem step failed: creating the directory, opening or writing the lock file.
    #[error("cannot use {}: {doing}: {cause}", path.display())]
    Io {
        path: PathBuf,
        doing: &'static str,
        cause: io::Error,
    },

    /// `confab.db` exists but is not SQLite (or is encrypted, or truncated garbage).
    #[error("{} is not a confab database (file is not a database); move it away or use another data directory", path.display())]
    NotADatabase { path: PathBuf },

    /// The database was migrated by a newer confab; opening it here could corrupt it.
    #[error(
        "{} was written by a newer confab (schema version {found}, this confab knows up to {known}); upgrade confab or use another data directory",
        path.display()
    )]
    TooNew {
        path: PathBuf,
        found: i64,
        known: i64,
    },

    /// A migration left rows pointing at nothing; it was rolled back.
    #[error(
        "{}: migrating to schema version {version} failed ({why}); nothing was changed",
        path.display()
    )]
    Migration {
        path: PathBuf,
        version: i64,
        why: String,
    },

    /// Any other SQLite failure: permissions, disk full, I/O, corruption.
    #[error("{}: could not {doing}: {cause}", path.display())]
    Sqlite {
        path: PathBuf,
        doing: &'static str,
        cause: rusqlite::Error,
    },

    /// The operating system refused to start the writer thread.
    #[error("{}: cannot start the history writer thread: {cause}", path.display())]
    Thread { path: PathBuf, cause: io::Error },
}

impl StoreError {
    /// Wraps a SQLite error about `path`, singling out "not a database" so that case reads
    /// plainly instead of as an opaque SQLite code.
    pub(crate) fn sqlite(path: &Path, doing: &'static str, cause: rusqlite::Error) -> Self {
        if cause.sqlite_error_code() == Some(ErrorCode::NotADatabase) {
            return StoreError::NotADatabase {
                path: path.to_path_buf(),
            };
        }
        StoreError::Sqlite {
            path: path.to_path_buf(),
            doing,
            cause,
        }
    }

    pub(crate) fn io(path: &Path, doing: &'static str, cause: io::Error) -> Self {
        StoreError::Io {
            path: path.to_path_buf(),
            doing,
            cause,
        }
    }
}

/// Builds a `map_err` closure for SQLite calls on `path`.
pub(crate) fn on<'a>(
    path: &'a Path,
    doing: &'static str,
) -> impl FnOnce(rusqlite::Error) -> StoreError + 'a {
    move |cause| StoreError::sqlite(path, doing, cause)
}

fn pid_text(pid: Option<u32>) -> String {
    match pid {
        Some(pid) => format!("pid {pid}"),
        None => "pid unknown".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_use_names_the_directory_and_the_pid() {
        let err = StoreError::InUse {
            dir: PathBuf::from("./confab-data"),
            pid: Some(1234),
        };
        assert_eq!(
            err.to_string(),
            "another confab server is using the data directory ./confab-data (pid 1234); \
             two servers cannot share one"
        );
    }

    #[test]
    fn in_use_without_a_pid_says_so() {
        let err = StoreError::InUse {
            dir: PathBuf::from("d"),
            pid: None,
        };
        assert_eq!(
            err.to_string(),
            "another confab server is using the data directory d (pid unknown); \
             two servers cannot share one"
        );
    }

    #[test]
    fn too_new_names_both_versions() {
        let err = StoreError::TooNew {
            path: PathBuf::from("d/confab.db"),
            found: 9,
            known: 1,
        };
        assert_eq!(
            err.to_string(),
            "d/confab.db was written by a newer confab (schema version 9, this confab knows \
             up to 1); upgrade confab or use another data directory"
        );
    }
}
