//! History: the store stage between the hub and routing. Every event the hub makes goes
//! to the SQLite writer, in the hub's order; the writer commits them in batches and only
//! then hands them back to [`Hub::route`], so a message anyone received survives a crash.
//! The reader answers history queries off the async threads.

pub mod record;
mod replay;

use std::sync::{Arc, Weak};
use std::time::Duration;

use confab_cluster::Cluster;
use confab_core::{Event, Hub, MsgId, Name, Routed, Stage};
use tokio::sync::oneshot;

use confab_store::{
    DataDir, Database, Edit, Keep, Reader, Record, Retention, StoreError, WriterConfig,
    WriterHandle,
};

use crate::data::{DataSetting, HistoryConfig};

/// How long a history read waits for the cluster stage and the writer at most.
const SETTLE_MAX: Duration = Duration::from_secs(2);

/// The open data directory: its database, the writer the hub's events pass through and
/// the pool that reads history back. Holding it holds the directory's lock.
pub struct History {
    db: Database,
    reader: Reader,
    writer: WriterHandle<Passing>,
    /// The cluster stage before the writer, in a cluster: it hands the writer the history
    /// of a room when a user here joins it, which a history read waits for (`settle`).
    cluster: std::sync::OnceLock<Arc<Cluster>>,
}

/// What passes through the writer: the hub's events with their recipients, and markers
/// that tell whoever waits that everything queued before them has been committed and
/// delivered.
enum Passing {
    /// An event, the rows it is stored as and the changes it makes to what is stored.
    Event(Routed, Vec<Record>, Vec<Edit>),
    Barrier(oneshot::Sender<()>),
}

impl Keep for Passing {
    fn take_rows(&mut self, into: &mut Vec<Record>) {
        if let Passing::Event(_, rows, _) = self {
            into.append(rows);
        }
    }

    fn take_edits(&mut self, into: &mut Vec<Edit>) {
        if let Passing::Event(_, _, edits) = self {
            into.append(edits);
        }
    }
}

/// The stage the hub submits to: every event with its rows, in the hub's order.
///
/// The rows are made here, under the hub's lock, on the sender's task, rather than on the
/// writer thread: with history on, that thread commits and then delivers every event, and
/// is the one stage that cannot run on two cores; serialising there would lengthen it and
/// let senders run ahead of it.
struct StoreStage(WriterHandle<Passing>);

impl Stage for StoreStage {
    fn submit(&self, events: Vec<Routed>) {
        for routed in events {
            let mut rows = Vec::new();
            record::records_of(&routed.event, &mut rows);
            let edits = record::edits_of(&routed.event);
            self.0.submit(Passing::Event(routed, rows, edits));
        }
    }
}

impl History {
    /// Opens the data directory of `setting` (`None` for `--data none`) and makes the
    /// hub's message ids follow the newest stored one; [`History::stage`] puts its writer
    /// between the hub and routing. Call before any client attaches.
    pub fn open(
        setting: &DataSetting,
        config: &HistoryConfig,
        hub: &Arc<Hub>,
    ) -> Result<Option<History>, StoreError> {
        let DataSetting::Dir(path) = setting else {
            return Ok(None);
        };
        let dir = DataDir::open(path)?;
        let db = dir.database()?;
        if let Some(newest) = db.max_msgid()? {
            hub.resume_msgids_after(MsgId::from_bytes(newest));
        }
        hub.load_read_marks(db.read_marks()?.iter().filter_map(record::read_mark_of));
        let reader = db.reader()?;
        let replay = replay::Replay::new(reader.clone(), config.replay_on_join);
        let writer = spawn_writer(&db, config, Arc::downgrade(hub), replay)?;
        Ok(Some(History {
            db,
            reader,
            writer,
            cluster: std::sync::OnceLock::new(),
        }))
    }

    /// The stage that stores events, then delivers them: the hub's own stage, or the one
    /// after the cluster's. Set it before any client attaches.
    pub fn stage(&self) -> Arc<dyn Stage> {
        Arc::new(StoreStage(self.writer.clone()))
    }

    pub fn database(&self) -> &Database {
        &self.db
    }

    pub fn reader(&self) -> &Reader {
        &self.reader
    }

    /// The writer's counters now: its queue, drops and commit times (`crate::metrics`).
    pub fn writer_stats(&self) -> confab_store::WriterStats {
        self.writer.stats()
    }

    /// Takes the direct messages that waited for `account` out of history (each is handed
    /// over once), oldest first; nothing if they cannot be read (logged).
    pub async fn take_waiting(self: Arc<History>, account: &Name) -> Vec<Arc<Event>> {
        let key = record::key(account);
        let taken = tokio::task::spawn_blocking(move || self.reader.take_pending(&key)).await;
        match taken {
            Ok(Ok(stored)) => stored.iter().filter_map(record::event_of).collect(),
            Ok(Err(error)) => {
                tracing::error!(%error, "cannot read the messages waiting for an account");
                Vec::new()
            }
            Err(_) => Vec::new(),
        }
    }

    /// Waits until every event the hub made before this call is committed and routed (at
    /// a shutdown, before the outboxes close, so nothing accepted is left undelivered).
    pub async fn flush(&self) {
        let (done, wait) = oneshot::channel();
        self.writer.submit(Passing::Barrier(done));
        let _ = wait.await;
    }

    /// Makes history reads wait for the cluster stage first (`settle`).
    pub fn follow_cluster(&self, cluster: Arc<Cluster>) {
        let _ = self.cluster.set(cluster);
    }

    /// This node's cluster, in one: accounts and bans changed here are shared through it.
    pub fn cluster(&self) -> Option<&Arc<Cluster>> {
        self.cluster.get()
    }

    /// In a cluster, waits until every event this node made before the call has passed
    /// the cluster stage and is committed: a room a user here just joined, which nobody
    /// here was in, then has its history from the other nodes. Alone, returns at once:
    /// history reads are not delayed where nothing comes from elsewhere.
    pub async fn settle(&self) {
        if let Some(cluster) = self.cluster.get() {
            cluster.settled(SETTLE_MAX).await;
            let _ = tokio::time::timeout(SETTLE_MAX, self.flush()).await;
        }
    }

    /// Commits whatever is still queued and stops the writer: a graceful stop loses
    /// nothing. Blocks until the writer thread has ended.
    pub fn shutdown(&self) {
        let stats = self.writer.stats();
        self.writer.clone().shutdown();
        tracing::info!(
            stored = stats.committed_records,
            dropped = stats.dropped,
            failed_commits = stats.failed_commits,
            "history closed"
        );
    }
}

/// The writer thread, routing each committed batch through the hub (if the hub is still
/// there: at shutdown it may be gone first), releasing the barriers in it and replaying
/// history to classroom joiners, each at its place in the order.
fn spawn_writer(
    db: &Database,
    config: &HistoryConfig,
    hub: Weak<Hub>,
    replay: Option<replay::Replay>,
) -> Result<WriterHandle<Passing>, StoreError> {
    let writer_config = WriterConfig {
        retention: Retention {
            keep_days: config.keep_days,
            max_per_target: config.max_per_target,
        },
        retention_first: Duration::from_secs(5),
        ..WriterConfig::default()
    };
    let mut after = AfterCommit { hub, replay };
    confab_store::Writer::spawn(db, writer_config, move |batch| after.batch(batch))
}

/// What the writer thread does with each committed batch: delivers it, in order,
/// releasing barriers and replaying history to classroom joiners at their places.
struct AfterCommit {
    hub: Weak<Hub>,
    replay: Option<replay::Replay>,
}

impl AfterCommit {
    fn batch(&mut self, batch: Vec<Passing>) {
        for passing in batch {
            match passing {
                Passing::Event(routed, _, _) => self.event(routed),
                Passing::Barrier(done) => {
                    let _ = done.send(());
                }
            }
        }
    }

    /// Delivers an event; a join that gets a replay is followed by the replay before
    /// anything later.
    fn event(&mut self, routed: Routed) {
        // Only a server that replays looks for the joiner: the rest pay nothing per event.
        let joiner = self.replay.as_ref().and_then(|replay| {
            let hub = self.hub.upgrade()?;
            replay.joiner(&hub, &routed.event)
        });
        let event = routed.event.clone();
        routed.deliver();
        if let (Some(joiner), Some(replay)) = (joiner, &self.replay) {
            replay.play(&joiner, &event);
        }
    }
}
