//! Server-wide bans (IRC `KLINE` and `DLINE`): rare writes on the `Database`'s own
//! connection, like accounts. The store keeps them as given; matching is the server's.
//! Like accounts, each notes when it last changed and a lifted one leaves a tombstone
//! (`sync.rs`).

use rusqlite::{params, Row};

use crate::db::Database;
use crate::error::StoreError;
use crate::sync;

/// One ban as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BanRow {
    /// What is banned, as the operator gave it: `zed*!*@*`, `10.0.0.0/8`.
    pub target: String,
    /// `mask` (a KLINE) or `address` (a DLINE).
    pub kind: String,
    pub reason: String,
    /// Who set it (an operator's nick).
    pub set_by: String,
    pub set_at_ms: i64,
    /// When it lapses; `None` for a ban without end.
    pub expires_ms: Option<i64>,
    /// When it last changed; [`Database::put_ban`] sets it.
    pub updated_ms: i64,
}

pub(crate) const COLUMNS: &str = "target, kind, reason, set_by, set_at_ms, expires_ms, updated_ms";

impl BanRow {
    pub(crate) fn from_row(row: &Row<'_>) -> rusqlite::Result<BanRow> {
        Ok(BanRow {
            target: row.get(0)?,
            kind: row.get(1)?,
            reason: row.get(2)?,
            set_by: row.get(3)?,
            set_at_ms: row.get(4)?,
            expires_ms: row.get(5)?,
            updated_ms: row.get(6)?,
        })
    }
}

impl Database {
    /// Sets a ban, replacing one on the same target, as changed now (its
    /// `updated_ms` is ignored); a tombstone of the target goes.
    pub fn put_ban(&self, ban: &BanRow) -> Result<(), StoreError> {
        self.with("store a server ban", |conn| {
            let tx = sync::writing(conn)?;
            let at = crate::accounts::now_ms().max(ban.set_at_ms);
            sync::write_ban(
                &tx,
                &BanRow {
                    updated_ms: at,
                    ..ban.clone()
                },
            )?;
            sync::unbury(&tx, sync::BAN, &ban.target)?;
            tx.commit()
        })
    }

    /// Lifts a ban, leaving its tombstone; `false` if there was none on `target`.
    pub fn delete_ban(&self, target: &str) -> Result<bool, StoreError> {
        self.with("lift a server ban", |conn| {
            let tx = sync::writing(conn)?;
            let at = sync::deleted_at(&tx, "server_bans", "target", target)?;
            let gone = tx.execute("DELETE FROM server_bans WHERE target = ?1", params![target])?;
            if gone == 1 {
                sync::bury(&tx, sync::BAN, target, at)?;
            }
            tx.commit()?;
            Ok(gone == 1)
        })
    }

    /// Every ban not lapsed at `now_ms`, oldest first; lapsed ones are deleted.
    pub fn bans(&self, now_ms: i64) -> Result<Vec<BanRow>, StoreError> {
        self.with("read the server bans", |conn| {
            conn.execute(
                "DELETE FROM server_bans WHERE expires_ms IS NOT NULL AND expires_ms <= ?1",
                params![now_ms],
            )?;
            let sql = format!("SELECT {COLUMNS} FROM server_bans ORDER BY set_at_ms, target");
            let mut stmt = conn.prepare(&sql)?;
            let rows = stmt.query_map([], BanRow::from_row)?;
            rows.collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DataDir;

    fn ban(target: &str, expires_ms: Option<i64>) -> BanRow {
        BanRow {
            target: target.into(),
            kind: "mask".into(),
            reason: "spam".into(),
            set_by: "teach".into(),
            set_at_ms: 1_000,
            expires_ms,
            updated_ms: 0,
        }
    }

    #[test]
    fn bans_are_kept_replaced_lifted_and_expire() {
        let dir = tempfile::tempdir().unwrap();
        let db = DataDir::open(dir.path()).unwrap().database().unwrap();
        db.put_ban(&ban("zed!*@*", None)).unwrap();
        db.put_ban(&ban("amy!*@*", Some(5_000))).unwrap();
        db.put_ban(&BanRow {
            reason: "again".into(),
            ..ban("zed!*@*", None)
        })
        .unwrap();
        let all = db.bans(4_999).unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all[1].reason, "again");
        let unstamped = |rows: Vec<BanRow>| -> Vec<BanRow> {
            let now = crate::accounts::now_ms();
            rows.into_iter()
                .inspect(|b| assert!((now - b.updated_ms).abs() < 60_000))
                .map(|b| BanRow { updated_ms: 0, ..b })
                .collect()
        };
        assert_eq!(
            unstamped(db.bans(5_000).unwrap()),
            vec![BanRow {
                reason: "again".into(),
                ..ban("zed!*@*", None)
            }]
        );
        assert!(db.delete_ban("zed!*@*").unwrap());
        assert!(!db.delete_ban("zed!*@*").unwrap());
        assert!(db.bans(0).unwrap().is_empty());
    }
}
