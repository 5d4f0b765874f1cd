//! Retention: deleting history older than `keep_days` and beyond the newest
//! `max_per_target` messages of each conversation, as a job of small steps so the writer
//! can interleave it with its batches and never stall chat for long.
//!
//! Both limits are applied conversation by conversation over the one conversation index,
//! so no index on time alone has to be kept up on every insert.

use rusqlite::{params, Connection, OptionalExtension};

/// The most rows one step deletes (one transaction).
const CHUNK: usize = 2_000;

const MS_PER_DAY: i64 = 24 * 60 * 60 * 1000;

/// How much history to keep. Zero in either field means no limit of that kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    pub keep_days: u32,
    pub max_per_target: u64,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            keep_days: 90,
            max_per_target: 100_000,
        }
    }
}

impl Retention {
    /// No limit of either kind: nothing is ever deleted.
    pub const KEEP_EVERYTHING: Retention = Retention {
        keep_days: 0,
        max_per_target: 0,
    };

    /// True if this policy never deletes anything.
    pub fn keeps_everything(&self) -> bool {
        self.keep_days == 0 && self.max_per_target == 0
    }
}

/// A conversation's stored columns: `(target, peer)`.
type Columns = (String, Option<String>);

/// A place in a conversation's `(at_ms, msgid)` order; events at or before it go.
type Upto = (i64, Vec<u8>);

/// Where a running job is. Both limits are applied per conversation, walking them in
/// index order, so the one conversation index serves retention too.
#[derive(Debug)]
enum Phase {
    /// Looking for the next conversation with something to delete; `after` is the last
    /// one finished.
    Walk {
        after: Option<Columns>,
    },
    /// Deleting one conversation's events up to and including `upto`.
    Trim {
        conv: Columns,
        upto: Upto,
    },
    Done,
}

/// One retention pass, advanced one bounded step at a time.
#[derive(Debug)]
pub(crate) struct Job {
    /// Events before this time (ms) go; `None` keeps any age.
    cutoff: Option<i64>,
    /// Each conversation keeps at most this many; 0 keeps any number.
    cap: u64,
    phase: Phase,
    pruned: u64,
}

impl Job {
    pub(crate) fn new(policy: Retention, now_ms: i64) -> Job {
        let cutoff = (policy.keep_days > 0)
            .then(|| now_ms.saturating_sub(i64::from(policy.keep_days) * MS_PER_DAY));
        Job {
            cutoff,
            cap: policy.max_per_target,
            phase: Phase::Walk { after: None },
            pruned: 0,
        }
    }

    /// Events deleted so far.
    pub(crate) fn pruned(&self) -> u64 {
        self.pruned
    }

    /// Does one bounded piece of work (a few index seeks, or one transaction deleting at
    /// most `CHUNK` rows); true when the pass is finished.
    pub(crate) fn step(&mut self, conn: &mut Connection) -> rusqlite::Result<bool> {
        let phase = std::mem::replace(&mut self.phase, Phase::Done);
        self.phase = match phase {
            Phase::Walk { after } => match next_conversation(conn, after.as_ref())? {
                None => Phase::Done,
                Some(conv) => match self.upto(conn, &conv)? {
                    Some(upto) => Phase::Trim { conv, upto },
                    None => Phase::Walk { after: Some(conv) },
                },
            },
            Phase::Trim { conv, upto } => self.trim(conn, conv, upto)?,
            Phase::Done => Phase::Done,
        };
        Ok(matches!(self.phase, Phase::Done))
    }

    /// The last event of `conv` that either limit removes, if any.
    fn upto(&self, conn: &Connection, conv: &Columns) -> rusqlite::Result<Option<Upto>> {
        let by_cap = match self.cap {
            0 => None,
            cap => {
                // The newest event outside the cap.
                let offset = i64::try_from(cap).unwrap_or(i64::MAX);
                conn.prepare_cached(
                    "SELECT at_ms, msgid FROM events WHERE target = ?1 AND peer IS ?2
                     ORDER BY at_ms DESC, msgid DESC LIMIT 1 OFFSET ?3",
                )?
                .query_row(params![conv.0, conv.1, offset], |row| {
                    Ok((row.get(0)?, row.get(1)?))
                })
                .optional()?
            }
        };
        let by_age = match self.cutoff {
            None => None,
            Some(cutoff) => {
                let oldest: Option<i64> = conn
                    .prepare_cached(
                        "SELECT at_ms FROM events WHERE target = ?1 AND peer IS ?2
                         ORDER BY at_ms, msgid LIMIT 1",
                    )?
                    .query_row(params![conv.0, conv.1], |row| row.get(0))
                    .optional()?;
                // "at_ms < cutoff" as an inclusive edge: after every msgid of cutoff - 1.
                oldest
                    .filter(|&at| at < cutoff)
                    .map(|_| (cutoff.saturating_sub(1), vec![0xff; 17]))
            }
        };
        // `None` orders below any `Some`: the later of the two edges wins.
        Ok(by_cap.max(by_age))
    }

    fn trim(
        &mut self,
        conn: &mut Connection,
        conv: Columns,
        upto: Upto,
    ) -> rusqlite::Result<Phase> {
        let deleted = delete_chunk(
            conn,
            "SELECT id FROM events WHERE target = ?1 AND peer IS ?2
             AND (at_ms, msgid) <= (?3, ?4) LIMIT ?5",
            params![conv.0, conv.1, upto.0, upto.1, CHUNK as i64],
        )?;
        self.pruned += deleted as u64;
        Ok(if deleted < CHUNK {
            if let (target, Some(peer)) = &conv {
                forget_pair_if_empty(conn, target, peer)?;
            }
            Phase::Walk { after: Some(conv) }
        } else {
            Phase::Trim { conv, upto }
        })
    }
}

/// Forgets a direct pair none of whose messages are left, so `direct_parties` does not
/// keep a row for every pair that ever talked. (A pair whose last message was erased by
/// its msgid keeps its rows, which `targets` passes over: retention walks conversations
/// that still have messages, so it never comes back to that one.)
fn forget_pair_if_empty(conn: &Connection, target: &str, peer: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "DELETE FROM direct_parties
         WHERE ((party = ?1 AND other = ?2) OR (party = ?2 AND other = ?1))
         AND NOT EXISTS (SELECT 1 FROM events WHERE target = ?1 AND peer = ?2)",
    )?
    .execute(params![target, peer])?;
    Ok(())
}

/// Deletes the events whose ids `select` yields, in one transaction; pending rows go with
/// them through the foreign key's cascade.
fn delete_chunk(
    conn: &mut Connection,
    select: &str,
    params: &[&dyn rusqlite::ToSql],
) -> rusqlite::Result<usize> {
    let tx = conn.transaction()?;
    let deleted = tx.execute(
        &format!("DELETE FROM events WHERE id IN ({select})"),
        params,
    )?;
    tx.commit()?;
    Ok(deleted)
}

/// The conversation after `after` in `(target, peer)` index order (rooms, whose peer is
/// NULL, sort before a target's direct conversations). Each query is one index seek.
fn next_conversation(
    conn: &Connection,
    after: Option<&Columns>,
) -> rusqlite::Result<Option<Columns>> {
    let row = |r: &rusqlite::Row<'_>| Ok((r.get(0)?, r.get(1)?));
    let Some((target, peer)) = after else {
        let first = "SELECT target, peer FROM events ORDER BY target, peer LIMIT 1";
        return conn.prepare_cached(first)?.query_row([], row).optional();
    };
    let same_target = match peer {
        None => conn
            .prepare_cached(
                "SELECT target, peer FROM events WHERE target = ?1 AND peer IS NOT NULL
                 ORDER BY peer LIMIT 1",
            )?
            .query_row(params![target], row)
            .optional()?,
        Some(peer) => conn
            .prepare_cached(
                "SELECT target, peer FROM events WHERE target = ?1 AND peer > ?2
                 ORDER BY peer LIMIT 1",
            )?
            .query_row(params![target, peer], row)
            .optional()?,
    };
    if same_target.is_some() {
        return Ok(same_target);
    }
    conn.prepare_cached(
        "SELECT target, peer FROM events WHERE target > ?1 ORDER BY target, peer LIMIT 1",
    )?
    .query_row(params![target], row)
    .optional()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DataDir, Record, WithRecord, Writer, WriterConfig};

    fn direct(n: u8, at_ms: i64, from: &str, to: &str) -> Record {
        Record {
            msgid: [n; 16],
            at_ms,
            target: from.into(),
            peer: Some(to.into()),
            kind: "privmsg".into(),
            author: from.into(),
            account: None,
            text: Some("hi".into()),
            body: Vec::new(),
            pending_for: None,
        }
    }

    #[test]
    fn deleting_an_event_deletes_its_pending_row() {
        let tmp = tempfile::tempdir().unwrap();
        let db = DataDir::open(tmp.path()).unwrap().database().unwrap();
        let config = WriterConfig {
            retention: Retention {
                keep_days: 0,
                max_per_target: 0,
            },
            ..WriterConfig::default()
        };
        let writer = Writer::spawn(&db, config, |_: Vec<WithRecord<()>>| {}).unwrap();
        let record = Record {
            pending_for: Some("bob".into()),
            ..direct(1, 0, "alice", "bob")
        };
        writer.submit(WithRecord(Some(record), ()));
        writer.shutdown();
        let pending_rows = || {
            db.with("count pending", |conn| {
                conn.query_row("SELECT count(*) FROM pending", [], |row| {
                    row.get::<_, i64>(0)
                })
            })
            .unwrap()
        };
        assert_eq!(pending_rows(), 1);
        let policy = Retention {
            keep_days: 1,
            max_per_target: 0,
        };
        assert_eq!(db.prune(policy, MS_PER_DAY * 2).unwrap(), 1);
        assert_eq!(pending_rows(), 0);
    }

    #[test]
    fn a_direct_pair_is_forgotten_once_retention_has_deleted_all_its_messages() {
        let tmp = tempfile::tempdir().unwrap();
        let db = DataDir::open(tmp.path()).unwrap().database().unwrap();
        let config = WriterConfig {
            retention: Retention::KEEP_EVERYTHING,
            ..WriterConfig::default()
        };
        let writer = Writer::spawn(&db, config, |_: Vec<WithRecord<()>>| {}).unwrap();
        let day = MS_PER_DAY;
        for record in [
            direct(1, day, "bob", "amy"),
            direct(2, day + 1, "amy", "bob"),
            direct(3, day, "cat", "amy"),
            direct(4, 5 * day, "amy", "cat"),
        ] {
            writer.submit(WithRecord(Some(record), ()));
        }
        writer.shutdown();
        let pairs = || {
            db.with("list pairs", |conn| {
                let mut stmt =
                    conn.prepare("SELECT party, other FROM direct_parties ORDER BY 1, 2")?;
                let rows = stmt.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?;
                rows.collect::<rusqlite::Result<Vec<(String, String)>>>()
            })
            .unwrap()
        };
        let pair = |a: &str, b: &str| (a.to_string(), b.to_string());
        let everyone = [
            pair("amy", "bob"),
            pair("amy", "cat"),
            pair("bob", "amy"),
            pair("cat", "amy"),
        ];
        assert_eq!(pairs(), everyone);
        let policy = Retention {
            keep_days: 2,
            max_per_target: 0,
        };
        // amy and bob's messages are all older than two days; one of amy and cat's is not.
        assert_eq!(db.prune(policy, 6 * day).unwrap(), 3);
        assert_eq!(pairs(), [pair("amy", "cat"), pair("cat", "amy")]);
    }

    #[test]
    fn a_policy_of_zeros_keeps_everything() {
        let policy = Retention {
            keep_days: 0,
            max_per_target: 0,
        };
        assert!(policy.keeps_everything());
        assert!(!Retention::default().keeps_everything());
        assert_eq!(
            Retention::default(),
            Retention {
                keep_days: 90,
                max_per_target: 100_000
            }
        );
    }
}
