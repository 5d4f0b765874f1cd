//! Accounts: rare writes on the `Database`'s own connection, never through the history
//! queue. The store keeps PHC hash strings; hashing and checking happen elsewhere. Every
//! change notes when it was made and a deletion leaves a tombstone, which is what nodes
//! of a cluster compare (`sync.rs`).

use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::{params, OptionalExtension, Row};

use crate::db::Database;
use crate::error::StoreError;
use crate::sync;

/// One account as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRow {
    /// The case-folded name, the account's identity.
    pub key: String,
    /// The name as it was typed at registration.
    pub name: String,
    /// A PHC string (e.g. `$argon2id$...`).
    pub hash: String,
    pub created_ms: i64,
    pub oper: bool,
    /// When it last changed (made, new password, operator rights): the newer of two
    /// copies wins when nodes compare.
    pub updated_ms: i64,
}

pub(crate) const COLUMNS: &str = "key, name, hash, created_ms, oper, updated_ms";

impl AccountRow {
    pub(crate) fn from_row(row: &Row<'_>) -> rusqlite::Result<AccountRow> {
        Ok(AccountRow {
            key: row.get(0)?,
            name: row.get(1)?,
            hash: row.get(2)?,
            created_ms: row.get(3)?,
            oper: row.get(4)?,
            updated_ms: row.get(5)?,
        })
    }
}

impl Database {
    /// Registers an account; `false` if the key is taken. A tombstone of an account
    /// deleted under the same name goes: this one is newer.
    pub fn create_account(
        &self,
        key: &str,
        name: &str,
        hash: &str,
        oper: bool,
    ) -> Result<bool, StoreError> {
        self.with("create an account", |conn| {
            let tx = sync::writing(conn)?;
            let now = now_ms();
            let created = tx.execute(
                "INSERT OR IGNORE INTO accounts (key, name, hash, created_ms, oper, updated_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?4)",
                params![key, name, hash, now, oper],
            )?;
            if created == 1 {
                sync::unbury(&tx, sync::ACCOUNT, key)?;
            }
            tx.commit()?;
            Ok(created == 1)
        })
    }

    pub fn account(&self, key: &str) -> Result<Option<AccountRow>, StoreError> {
        self.with("read an account", |conn| {
            let sql = format!("SELECT {COLUMNS} FROM accounts WHERE key = ?1");
            conn.query_row(&sql, params![key], AccountRow::from_row)
                .optional()
        })
    }

    /// Every account, by key.
    pub fn list_accounts(&self) -> Result<Vec<AccountRow>, StoreError> {
        self.with("list accounts", |conn| {
            let sql = format!("SELECT {COLUMNS} FROM accounts ORDER BY key");
            let mut stmt = conn.prepare(&sql)?;
            let rows = stmt.query_map([], AccountRow::from_row)?;
            rows.collect()
        })
    }

    /// Replaces the password hash; `false` if there is no such account.
    pub fn set_password(&self, key: &str, hash: &str) -> Result<bool, StoreError> {
        self.with("change a password", |conn| {
            let changed = conn.execute(
                "UPDATE accounts SET hash = ?2, updated_ms = max(?3, updated_ms + 1)
                 WHERE key = ?1",
                params![key, hash, now_ms()],
            )?;
            Ok(changed == 1)
        })
    }

    /// Grants or revokes operator rights; `false` if there is no such account.
    pub fn set_oper(&self, key: &str, oper: bool) -> Result<bool, StoreError> {
        self.with("change operator rights", |conn| {
            let changed = conn.execute(
                "UPDATE accounts SET oper = ?2, updated_ms = max(?3, updated_ms + 1)
                 WHERE key = ?1",
                params![key, oper, now_ms()],
            )?;
            Ok(changed == 1)
        })
    }

    /// Deletes an account and the direct messages waiting for it, so whoever registers
    /// the name next does not receive them, and leaves its tombstone. `false` if there
    /// is no such account.
    pub fn delete_account(&self, key: &str) -> Result<bool, StoreError> {
        self.with("delete an account", |conn| {
            let tx = sync::writing(conn)?;
            let at = sync::deleted_at(&tx, "accounts", "key", key)?;
            let deleted = sync::remove_account(&tx, key)?;
            if deleted {
                sync::bury(&tx, sync::ACCOUNT, key, at)?;
            }
            tx.commit()?;
            Ok(deleted)
        })
    }
}

pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
