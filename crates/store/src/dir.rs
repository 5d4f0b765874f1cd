//! The data directory and its lock: one confab server per directory, enforced with an
//! exclusive `flock` on `DIR/confab.lock` that lives as long as anything opened from it.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustix::fs::{flock, FlockOperation};
use rustix::io::Errno;

use crate::db::Database;
use crate::error::StoreError;

const LOCK_FILE: &str = "confab.lock";
const DB_FILE: &str = "confab.db";

/// An open, locked data directory. Clones of the inner lock travel with every `Database`,
/// `Reader` and writer made from it, so the lock is released only when the last goes.
#[derive(Debug, Clone)]
pub struct DataDir {
    lock: Arc<DirLock>,
}

/// The held lock file. Closing the file (on drop) releases the `flock`.
#[derive(Debug)]
pub(crate) struct DirLock {
    dir: PathBuf,
    _file: File,
}

impl DirLock {
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }
}

impl DataDir {
    /// Creates `path` (and its parents) if missing and takes the directory's lock,
    /// failing with [`StoreError::InUse`] if another process (or another `DataDir` in this
    /// one) holds it.
    pub fn open(path: &Path) -> Result<DataDir, StoreError> {
        fs::create_dir_all(path)
            .map_err(|e| StoreError::io(path, "cannot create the directory", e))?;
        let lock_path = path.join(LOCK_FILE);
        // No truncate here: the file may hold the running server's pid, which we report.
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&lock_path)
            .map_err(|e| StoreError::io(&lock_path, "cannot open the lock file", e))?;
        match flock(&file, FlockOperation::NonBlockingLockExclusive) {
            Ok(()) => {}
            Err(Errno::WOULDBLOCK) => {
                return Err(StoreError::InUse {
                    dir: path.to_path_buf(),
                    pid: read_pid(&mut file),
                })
            }
            Err(e) => {
                return Err(StoreError::io(
                    &lock_path,
                    "cannot lock the lock file",
                    e.into(),
                ))
            }
        }
        write_pid(&mut file)
            .map_err(|e| StoreError::io(&lock_path, "cannot write this process's pid into", e))?;
        let lock = DirLock {
            dir: path.to_path_buf(),
            _file: file,
        };
        Ok(DataDir {
            lock: Arc::new(lock),
        })
    }

    /// The directory as given to [`DataDir::open`].
    pub fn path(&self) -> &Path {
        self.lock.dir()
    }

    /// Opens (creating and migrating if needed) `DIR/confab.db`.
    pub fn database(&self) -> Result<Database, StoreError> {
        Database::open(self.lock.clone(), &self.path().join(DB_FILE))
    }
}

fn read_pid(file: &mut File) -> Option<u32> {
    let mut text = String::new();
    file.read_to_string(&mut text).ok()?;
    text.trim().parse().ok()
}

fn write_pid(file: &mut File) -> std::io::Result<()> {
    file.set_len(0)?;
    file.seek(SeekFrom::Start(0))?;
    writeln!(file, "{}", std::process::id())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_creates_missing_parents_and_writes_the_pid() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("a/b/data");
        let dir = DataDir::open(&path).unwrap();
        assert_eq!(dir.path(), path);
        let pid = fs::read_to_string(path.join(LOCK_FILE)).unwrap();
        assert_eq!(pid, format!("{}\n", std::process::id()));
    }

    #[test]
    fn a_second_open_fails_with_in_use_and_the_pid() {
        let tmp = tempfile::tempdir().unwrap();
        let _first = DataDir::open(tmp.path()).unwrap();
        match DataDir::open(tmp.path()) {
            Err(StoreError::InUse { dir, pid }) => {
                assert_eq!(dir, tmp.path());
                assert_eq!(pid, Some(std::process::id()));
            }
            other => panic!("expected InUse, got {other:?}"),
        }
    }

    #[test]
    fn the_lock_is_released_when_the_last_holder_goes() {
        let tmp = tempfile::tempdir().unwrap();
        let first = DataDir::open(tmp.path()).unwrap();
        let db = first.database().unwrap();
        drop(first);
        // The database still holds the lock.
        assert!(matches!(
            DataDir::open(tmp.path()),
            Err(StoreError::InUse { .. })
        ));
        drop(db);
        assert!(DataDir::open(tmp.path()).is_ok());
    }

    #[test]
    fn a_directory_under_a_regular_file_is_a_clear_error() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("plain");
        fs::write(&file, b"x").unwrap();
        let err = DataDir::open(&file.join("data")).unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, StoreError::Io { .. }), "{err:?}");
        assert!(
            text.starts_with(&format!(
                "cannot use {}: cannot create the directory: ",
                file.join("data").display()
            )),
            "{text}"
        );
    }
}
