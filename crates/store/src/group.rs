//! The writer thread: waits for the first item, drains what else is queued, commits the
//! rows of all of them in one transaction, then hands the items on in order. Between batches it
//! advances a retention pass by one small step.

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, RecvTimeoutError, TryRecvError};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rusqlite::Connection;

use crate::batch;
use crate::checkpoint::{Checkpointer, Gate};
use crate::dir::DirLock;
use crate::ratelog::RateLimit;
use crate::record::{Edit, Keep, Record};
use crate::retention::Job;
use crate::writer::{Counters, Msg, WriterConfig};

/// The thread's state; owned by the thread.
pub(crate) struct GroupWriter<T, F> {
    conn: Connection,
    /// Copies the WAL back while the writer writes; stops with it.
    _checkpointer: Option<Checkpointer>,
    /// Closed around each transaction here, and by the checkpointer to restart the WAL.
    gate: Gate,
    path: PathBuf,
    // Keeps the directory locked until the last commit is done.
    _lock: Arc<DirLock>,
    rx: Receiver<Msg<T>>,
    counters: Arc<Counters>,
    config: WriterConfig,
    on_committed: F,
    /// True after a failed commit, until one succeeds again.
    failing: bool,
    error_log: RateLimit,
    retention: Option<Job>,
    next_retention: Instant,
}

/// What the loop should do after taking items.
#[derive(PartialEq, Eq)]
enum Next {
    Continue,
    Stop,
}

impl<T: Keep, F: FnMut(Vec<T>)> GroupWriter<T, F> {
    pub(crate) fn new(
        conn: Connection,
        path: PathBuf,
        lock: Arc<DirLock>,
        rx: Receiver<Msg<T>>,
        counters: Arc<Counters>,
        config: WriterConfig,
        on_committed: F,
    ) -> Self {
        let next_retention = later(config.retention_first);
        GroupWriter {
            conn,
            _checkpointer: None,
            gate: Gate::default(),
            path,
            _lock: lock,
            rx,
            counters,
            config,
            on_committed,
            failing: false,
            error_log: RateLimit::new(Duration::from_secs(10)),
            retention: None,
            next_retention,
        }
    }

    /// Hands the writer the checkpointer that runs beside it (and stops when it does),
    /// and with it the gate they share.
    pub(crate) fn with_checkpointer(mut self, checkpointer: Checkpointer) -> Self {
        self.gate = checkpointer.gate();
        self._checkpointer = Some(checkpointer);
        self
    }

    pub(crate) fn run(mut self) {
        loop {
            // With a retention pass under way, only peek at the queue between its steps.
            let wait = match self.retention {
                Some(_) => Duration::ZERO,
                None => self
                    .next_retention
                    .saturating_duration_since(Instant::now()),
            };
            let next = match self.rx.recv_timeout(wait) {
                Ok(Msg::Item(store, item)) => self.batch((store, item)),
                Ok(Msg::Stop) => Next::Stop,
                Err(RecvTimeoutError::Timeout) => Next::Continue,
                // Every handle is gone and the queue is empty.
                Err(RecvTimeoutError::Disconnected) => return,
            };
            if next == Next::Stop {
                self.drain();
                return;
            }
            self.retention_step();
        }
    }

    /// Takes `first` and up to `batch_max - 1` more queued items, commits and hands on.
    fn batch(&mut self, first: (bool, T)) -> Next {
        let mut items = vec![first];
        let mut next = Next::Continue;
        while items.len() < self.config.batch_max.max(1) {
            match self.rx.try_recv() {
                Ok(Msg::Item(store, item)) => items.push((store, item)),
                Ok(Msg::Stop) => {
                    next = Next::Stop;
                    break;
                }
                Err(TryRecvError::Empty | TryRecvError::Disconnected) => break,
            }
        }
        self.commit_and_hand_on(items);
        next
    }

    /// After a stop: everything still queued, batch by batch, until the queue is empty.
    fn drain(&mut self) {
        loop {
            let mut items = Vec::new();
            while items.len() < self.config.batch_max.max(1) {
                match self.rx.try_recv() {
                    Ok(Msg::Item(store, item)) => items.push((store, item)),
                    Ok(Msg::Stop) => {}
                    Err(_) => break,
                }
            }
            if items.is_empty() {
                return;
            }
            self.commit_and_hand_on(items);
        }
    }

    fn commit_and_hand_on(&mut self, mut items: Vec<(bool, T)>) {
        let taken = items.len() as u64;
        self.counters.queued.fetch_sub(taken, Ordering::Relaxed);
        let mut rows = Vec::with_capacity(items.len());
        let mut edits = Vec::new();
        for (store, item) in &mut items {
            if *store {
                item.take_rows(&mut rows);
                item.take_edits(&mut edits);
            }
        }
        if !rows.is_empty() || !edits.is_empty() {
            self.commit(rows.iter(), &edits);
        }
        drop(rows);
        // Only now, with the rows durable (or given up on), may anyone see the items.
        (self.on_committed)(items.into_iter().map(|(_, item)| item).collect());
    }

    fn commit<'a>(&mut self, records: impl Iterator<Item = &'a Record>, edits: &[Edit]) {
        let started = Instant::now();
        let result = {
            let _turn = self.gate.close();
            batch::write(&mut self.conn, records, edits)
        };
        let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        self.counters
            .last_commit_micros
            .store(micros, Ordering::Relaxed);
        let c = &self.counters;
        c.commit_times.record(micros);
        match result {
            Ok(written) => {
                c.batches.fetch_add(1, Ordering::Relaxed);
                c.committed_records
                    .fetch_add(written.inserted, Ordering::Relaxed);
                c.duplicates
                    .fetch_add(written.duplicates, Ordering::Relaxed);
                if std::mem::take(&mut self.failing) {
                    tracing::info!(path = %self.path.display(), "storing history works again");
                }
            }
            Err(error) => {
                c.failed_commits.fetch_add(1, Ordering::Relaxed);
                self.failing = true;
                if let Some(held_back) = self.error_log.ready() {
                    tracing::error!(
                        path = %self.path.display(),
                        %error,
                        failed_since_last_report = held_back + 1,
                        "cannot store history (what was stored before is kept); chat goes on without storing until it works again"
                    );
                }
            }
        }
    }

    /// Starts a retention pass when one is due, or advances the running one by a step.
    fn retention_step(&mut self) {
        let policy = self.config.retention;
        if policy.keeps_everything() {
            self.next_retention = later(Duration::MAX);
            return;
        }
        if self.retention.is_none() {
            if Instant::now() < self.next_retention {
                return;
            }
            self.next_retention = later(self.config.retention_every);
            self.retention = Some(Job::new(policy, now_ms()));
        }
        let Some(job) = self.retention.as_mut() else {
            return;
        };
        let before = job.pruned();
        let result = {
            let _turn = self.gate.close();
            job.step(&mut self.conn)
        };
        let pruned = job.pruned();
        self.counters
            .pruned
            .fetch_add(pruned - before, Ordering::Relaxed);
        match result {
            Ok(false) => {}
            Ok(true) => {
                tracing::debug!(pruned, "retention pass done");
                self.retention = None;
            }
            Err(error) => {
                tracing::warn!(path = %self.path.display(), %error, "retention pass failed; it will run again later");
                self.retention = None;
            }
        }
    }
}

/// `after` from now, or a year from now if that is past what `Instant` can hold.
fn later(after: Duration) -> Instant {
    let now = Instant::now();
    let year = Duration::from_secs(365 * 24 * 3600);
    now.checked_add(after)
        .or_else(|| now.checked_add(year))
        .unwrap_or(now)
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;

    use crate::fixtures::record;
    use crate::{DataDir, Retention, WithRecord, Writer, WriterConfig};

    #[test]
    fn a_failed_commit_still_hands_payloads_on_and_storing_resumes() {
        let tmp = tempfile::tempdir().unwrap();
        let db = DataDir::open(tmp.path()).unwrap().database().unwrap();
        // Stands in for a full disk: any batch holding a record by "doom" fails whole.
        db.with("install a failing trigger", |conn| {
            conn.execute_batch(
                "CREATE TRIGGER doom BEFORE INSERT ON events WHEN NEW.author = 'doom'
                 BEGIN SELECT RAISE(ABORT, 'disk on fire'); END;",
            )
        })
        .unwrap();
        let config = WriterConfig {
            retention: Retention {
                keep_days: 0,
                max_per_target: 0,
            },
            ..WriterConfig::default()
        };
        let (tx, rx) = mpsc::channel();
        let writer = Writer::spawn(&db, config, move |batch: Vec<WithRecord<u8>>| {
            tx.send(batch.into_iter().map(|row| row.1).collect::<Vec<_>>())
                .unwrap();
        })
        .unwrap();
        // One item at a time, so each is its own batch.
        for (n, author) in [(1, "ann"), (2, "doom"), (3, "ann")] {
            writer.submit(WithRecord(Some(record(n, author)), n));
            assert_eq!(rx.recv().unwrap(), [n]);
        }
        let stats = writer.stats();
        assert_eq!(
            (stats.committed_records, stats.batches, stats.failed_commits),
            (2, 2, 1)
        );
        writer.shutdown();
        assert_eq!(db.event_count().unwrap(), 2);
    }
}
