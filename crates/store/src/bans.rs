//! Server-wide bans (IRC `KLINE` and `DLINE`): rare writes on the `Database`'s own
//! connection, like accounts. The store keeps them as given; matching is the server's.

use rusqlite::{params, Row};

use crate::db::Database;
use crate::error::StoreError;

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
}

impl BanRow {
    fn from_row(row: &Row<'_>) -> rusqlite::Result<BanRow> {
        Ok(BanRow {
            target: row.get(0)?,
            kind: row.get(1)?,
            reason: row.get(2)?,
            set_by: row.get(3)?,
            set_at_ms: row.get(4)?,
            expires_ms: row.get(5)?,
        })
    }
}

impl Database {
    /// Sets a ban, replacing one on the same target.
    pub fn put_ban(&self, ban: &BanRow) -> Result<(), StoreError> {
        self.with("store a server ban", |conn| {
            conn.execute(
                "INSERT OR REPLACE INTO server_bans
                 (target, kind, reason, set_by, set_at_ms, expires_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    ban.target,
                    ban.kind,
                    ban.reason,
                    ban.set_by,
                    ban.set_at_ms,
                    ban.expires_ms
                ],
            )?;
            Ok(())
        })
    }

    /// Lifts a ban; `false` if there was none on `target`.
    pub fn delete_ban(&self, target: &str) -> Result<bool, StoreError> {
        self.with("lift a server ban", |conn| {
            let gone =
                conn.execute("DELETE FROM server_bans WHERE target = ?1", params![target])?;
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
            let mut stmt = conn.prepare(
                "SELECT target, kind, reason, set_by, set_at_ms, expires_ms
                 FROM server_bans ORDER BY set_at_ms, target",
            )?;
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
        assert_eq!(
            db.bans(5_000).unwrap(),
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
