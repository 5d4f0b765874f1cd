//! Writing one group commit: every record of a batch in one transaction.

use rusqlite::{params, Connection, TransactionBehavior};

use crate::record::{Edit, Record};

const INSERT_EVENT: &str = "
    INSERT OR IGNORE INTO events (msgid, at_ms, target, peer, kind, author, account, text, body)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";

const INSERT_PENDING: &str = "INSERT OR IGNORE INTO pending (account, event) VALUES (?1, ?2)";

// After a pair's first message these find both rows and write nothing.
const INSERT_PARTIES: &str = "
    INSERT OR IGNORE INTO direct_parties (party, other) VALUES (?1, ?2), (?2, ?1)";

// `pending` rows go with the event (ON DELETE CASCADE).
const ERASE_EVENT: &str = "DELETE FROM events WHERE msgid = ?1";

const MARK_READ: &str = "
    INSERT INTO read_marks (account, target, at_ms) VALUES (?1, ?2, ?3)
    ON CONFLICT (account, target) DO UPDATE SET at_ms = max(at_ms, excluded.at_ms)";

// A row of the same event under both keys (a quit seen in both rooms) is kept once.
const MOVE_ROOM: &str =
    "UPDATE OR REPLACE events SET target = ?2 WHERE target = ?1 AND peer IS NULL";

// Each account keeps the later mark should it have one on both.
const MOVE_MARKS: &str = "
    INSERT INTO read_marks (account, target, at_ms)
    SELECT account, '#' || ?2, at_ms FROM read_marks WHERE target = '#' || ?1
    ON CONFLICT (account, target) DO UPDATE SET at_ms = max(at_ms, excluded.at_ms)";

const DROP_MARKS: &str = "DELETE FROM read_marks WHERE target = '#' || ?1";

/// What one commit stored.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Written {
    pub(crate) inserted: u64,
    /// Records whose msgid was already stored (a replay); they are skipped, not errors,
    /// so one repeat cannot cost a whole batch.
    pub(crate) duplicates: u64,
}

/// Inserts `records` and their pending rows, then applies `edits`, in one transaction.
/// On error nothing is stored (the transaction rolls back when dropped).
pub(crate) fn write<'a>(
    conn: &mut Connection,
    records: impl Iterator<Item = &'a Record>,
    edits: &[Edit],
) -> rusqlite::Result<Written> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut written = Written::default();
    {
        let mut event = tx.prepare_cached(INSERT_EVENT)?;
        let mut pending = tx.prepare_cached(INSERT_PENDING)?;
        let mut parties = tx.prepare_cached(INSERT_PARTIES)?;
        for record in records {
            let (target, peer) = ordered_pair(record);
            let inserted = event.execute(params![
                record.msgid,
                record.at_ms,
                target,
                peer,
                record.kind.as_ref(),
                record.author,
                record.account,
                record.text,
                record.body,
            ])?;
            if inserted == 0 {
                written.duplicates += 1;
                continue;
            }
            written.inserted += 1;
            if let Some(account) = &record.pending_for {
                pending.execute(params![account, tx.last_insert_rowid()])?;
            }
            if let Some(peer) = peer {
                parties.execute(params![target, peer])?;
            }
        }
    }
    apply(&tx, edits)?;
    tx.commit()?;
    Ok(written)
}

fn apply(tx: &rusqlite::Transaction<'_>, edits: &[Edit]) -> rusqlite::Result<()> {
    for edit in edits {
        match edit {
            Edit::Erase(msgid) => {
                tx.prepare_cached(ERASE_EVENT)?.execute(params![msgid])?;
            }
            Edit::ReadMark {
                account,
                target,
                at_ms,
            } => {
                tx.prepare_cached(MARK_READ)?
                    .execute(params![account, target, at_ms])?;
            }
            Edit::MoveRoom { from, to } => {
                tx.prepare_cached(MOVE_ROOM)?.execute(params![from, to])?;
                tx.prepare_cached(MOVE_MARKS)?.execute(params![from, to])?;
                tx.prepare_cached(DROP_MARKS)?.execute(params![from])?;
            }
        }
    }
    Ok(())
}

/// A direct message's keys smaller first, the order queries look them up in.
fn ordered_pair(record: &Record) -> (&str, Option<&str>) {
    match record.peer.as_deref() {
        Some(peer) if peer < record.target.as_str() => (peer, Some(&record.target)),
        peer => (&record.target, peer),
    }
}
