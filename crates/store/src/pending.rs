//! Direct messages waiting for an offline account: handed over once, at its next login.

use rusqlite::{params, TransactionBehavior};

use crate::error::StoreError;
use crate::read::Reader;
use crate::record::{Stored, STORED_COLUMNS};

impl Reader {
    /// The direct messages waiting for `account`, oldest first, removing them from the
    /// waiting list (the events stay in history) in the same transaction, so two logins
    /// at once cannot both receive them.
    pub fn take_pending(&self, account: &str) -> Result<Vec<Stored>, StoreError> {
        self.with("take pending direct messages", |conn| {
            // IMMEDIATE: take the write lock first, so no pending row lands between the
            // read and the delete.
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let taken = {
                let sql = format!(
                    "SELECT {STORED_COLUMNS} FROM events
                     WHERE id IN (SELECT event FROM pending WHERE account = ?1)
                     ORDER BY at_ms, msgid"
                );
                let mut stmt = tx.prepare_cached(&sql)?;
                let rows = stmt.query_map(params![account], Stored::from_row)?;
                rows.collect::<rusqlite::Result<Vec<_>>>()?
            };
            tx.execute("DELETE FROM pending WHERE account = ?1", params![account])?;
            tx.commit()?;
            Ok(taken)
        })
    }
}
