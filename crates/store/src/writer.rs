//! The history writer's public side: `Writer::spawn`, the `WriterHandle` that submits
//! without ever blocking, its settings and its counters. The thread itself is `group`.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use crate::checkpoint::Checkpointer;
use crate::db::Database;
use crate::error::{on, StoreError};
use crate::group::GroupWriter;
use crate::latency::{CommitLatency, CommitTimes};
use crate::ratelog::RateLimit;
use crate::record::Keep;
use crate::retention::Retention;
use crate::schema;

const WAL_LIMIT_BYTES: i64 = 64 << 20;

/// How the writer batches, when it gives up on storing, and how much history it keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriterConfig {
    /// The most items one commit takes.
    pub batch_max: usize,
    /// Above this many queued items new items are not stored (they still pass).
    pub queue_max: usize,
    /// How often a retention pass starts.
    pub retention_every: Duration,
    /// How long after start the first retention pass begins.
    pub retention_first: Duration,
    pub retention: Retention,
}

impl Default for WriterConfig {
    fn default() -> Self {
        WriterConfig {
            batch_max: 4096,
            queue_max: 100_000,
            retention_every: Duration::from_secs(600),
            retention_first: Duration::from_secs(5),
            retention: Retention::default(),
        }
    }
}

/// A snapshot of the writer's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriterStats {
    /// Items submitted and not yet taken by the writer thread.
    pub queued: u64,
    pub committed_records: u64,
    pub batches: u64,
    /// Items not stored because the queue was full or the writer had stopped.
    pub dropped: u64,
    /// Records skipped because their msgid was already stored.
    pub duplicates: u64,
    pub failed_commits: u64,
    /// How long the last commit took, from its first insert to its commit returning.
    pub last_commit_micros: u64,
    /// Events deleted by retention.
    pub pruned: u64,
    /// Every commit's time, failed ones too.
    pub commit_latency: CommitLatency,
}

/// The counters, shared by the handles and the thread.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) queued: AtomicU64,
    pub(crate) committed_records: AtomicU64,
    pub(crate) batches: AtomicU64,
    pub(crate) dropped: AtomicU64,
    pub(crate) duplicates: AtomicU64,
    pub(crate) failed_commits: AtomicU64,
    pub(crate) last_commit_micros: AtomicU64,
    pub(crate) pruned: AtomicU64,
    pub(crate) commit_times: CommitTimes,
}

/// What travels down the queue: an item, and whether to store it (not when it came
/// with the queue full).
// `Stop` is sent once per writer: boxing `Item` to shrink it would cost an allocation per
// message instead.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Msg<T> {
    Item(bool, T),
    /// Finish what is queued, then end.
    Stop,
}

/// The writer thread's entry point; a namespace for [`Writer::spawn`].
pub enum Writer {}

impl Writer {
    /// Starts the writer thread on its own connection to `db`. `on_committed` runs on
    /// that thread with each batch's items, in submission order, after the batch's rows
    /// ([`Keep::take_rows`]) are committed (or after the commit failed: chat goes on without
    /// history).
    pub fn spawn<T, F>(
        db: &Database,
        config: WriterConfig,
        on_committed: F,
    ) -> Result<WriterHandle<T>, StoreError>
    where
        T: Keep,
        F: FnMut(Vec<T>) + Send + 'static,
    {
        let conn = connect(db.path())?;
        let checkpointer = Checkpointer::spawn(db.path())?;
        let (tx, rx) = mpsc::channel();
        let counters = Arc::new(Counters::default());
        let queue_max = config.queue_max;
        let group = GroupWriter::new(
            conn,
            db.path().to_path_buf(),
            db.lock(),
            rx,
            counters.clone(),
            config,
            on_committed,
        )
        .with_checkpointer(checkpointer);
        let join = thread::Builder::new()
            .name("confab-store-writer".into())
            .spawn(move || group.run())
            .map_err(|cause| StoreError::Thread {
                path: db.path().to_path_buf(),
                cause,
            })?;
        let shared = Shared {
            tx,
            counters,
            queue_max: queue_max as u64,
            drop_log: RateLimit::new(Duration::from_secs(10)),
            join: Mutex::new(Some(join)),
        };
        Ok(WriterHandle {
            shared: Arc::new(shared),
        })
    }
}

/// The writer's own connection, which never checkpoints: SQLite's automatic checkpoint
/// (every 1,000 pages, with an fsync) cost the writer a third of its throughput and, run
/// on its thread, stalled delivery behind it; the [`Checkpointer`] thread does it. The
/// WAL file is cut back to `WAL_LIMIT_BYTES` whenever it starts over.
fn connect(path: &Path) -> Result<rusqlite::Connection, StoreError> {
    let conn = schema::connect(path, false)?;
    conn.pragma_update(None, "wal_autocheckpoint", 0)
        .map_err(on(path, "turn off automatic checkpoints"))?;
    conn.pragma_update(None, "journal_size_limit", WAL_LIMIT_BYTES)
        .map_err(on(path, "set the WAL size limit"))?;
    Ok(conn)
}

/// Submits items to the writer. Cloning is cheap; all clones feed one thread.
pub struct WriterHandle<T> {
    shared: Arc<Shared<T>>,
}

struct Shared<T> {
    tx: Sender<Msg<T>>,
    counters: Arc<Counters>,
    queue_max: u64,
    drop_log: RateLimit,
    join: Mutex<Option<JoinHandle<()>>>,
}

impl<T> Clone for WriterHandle<T> {
    fn clone(&self) -> Self {
        WriterHandle {
            shared: self.shared.clone(),
        }
    }
}

impl<T: Keep> WriterHandle<T> {
    /// Queues `item` to be stored and then handed to `on_committed`. Never blocks. With
    /// the queue over `queue_max` the item is not stored but still passes, so a slow disk
    /// never holds up chat.
    pub fn submit(&self, item: T) {
        let counters = &self.shared.counters;
        let ahead = counters.queued.fetch_add(1, Ordering::Relaxed);
        let store = ahead < self.shared.queue_max;
        if !store {
            self.note_dropped(ahead);
        }
        if self.shared.tx.send(Msg::Item(store, item)).is_err() {
            // The writer has stopped (shut down, or `on_committed` panicked).
            counters.queued.fetch_sub(1, Ordering::Relaxed);
            if store {
                counters.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// The counters as they are now.
    pub fn stats(&self) -> WriterStats {
        let c = &self.shared.counters;
        let get = |n: &AtomicU64| n.load(Ordering::Relaxed);
        WriterStats {
            queued: get(&c.queued),
            committed_records: get(&c.committed_records),
            batches: get(&c.batches),
            dropped: get(&c.dropped),
            duplicates: get(&c.duplicates),
            failed_commits: get(&c.failed_commits),
            last_commit_micros: get(&c.last_commit_micros),
            pruned: get(&c.pruned),
            commit_latency: c.commit_times.snapshot(),
        }
    }

    /// Stops the writer for every clone: commits everything queued so far, hands on its
    /// payloads, and waits for the thread to end. Submissions after this are dropped.
    pub fn shutdown(self) {
        let _ = self.shared.tx.send(Msg::Stop);
        let join = self
            .shared
            .join
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        let Some(join) = join else { return };
        // Called from inside `on_committed` the thread would wait for itself.
        if join.thread().id() == thread::current().id() {
            return;
        }
        if join.join().is_err() {
            tracing::error!("the history writer thread panicked");
        }
    }

    fn note_dropped(&self, queued: u64) {
        self.shared.counters.dropped.fetch_add(1, Ordering::Relaxed);
        if let Some(held_back) = self.shared.drop_log.ready() {
            tracing::warn!(
                queued,
                dropped_since_last_warning = held_back + 1,
                "history queue full: records are not being stored (chat goes on)"
            );
        }
    }
}
