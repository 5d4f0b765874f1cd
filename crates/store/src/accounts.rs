//! Accounts: rare writes on the `Database`'s own connection, never through the history
//! queue. The store keeps PHC hash strings; hashing and checking happen elsewhere.

use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::{params, OptionalExtension, Row};

use crate::db::Database;
use crate::error::StoreError;

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
}

const COLUMNS: &str = "key, name, hash, created_ms, oper";

impl AccountRow {
    fn from_row(row: &Row<'_>) -> rusqlite::Result<AccountRow> {
        Ok(AccountRow {
            key: row.get(0)?,
            name: row.get(1)?,
            hash: row.get(2)?,
            created_ms: row.get(3)?,
            oper: row.get(4)?,
        })
    }
}

impl Database {
    /// Registers an account; `false` if the key is taken.
    pub fn create_account(
        &self,
        key: &str,
        name: &str,
        hash: &str,
        oper: bool,
    ) -> Result<bool, StoreError> {
        self.with("create an account", |conn| {
            let created = conn.execute(
                "INSERT OR IGNORE INTO accounts (key, name, hash, created_ms, oper)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![key, name, hash, now_ms(), oper],
            )?;
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
                "UPDATE accounts SET hash = ?2 WHERE key = ?1",
                params![key, hash],
            )?;
            Ok(changed == 1)
        })
    }

    /// Grants or revokes operator rights; `false` if there is no such account.
    pub fn set_oper(&self, key: &str, oper: bool) -> Result<bool, StoreError> {
        self.with("change operator rights", |conn| {
            let changed = conn.execute(
                "UPDATE accounts SET oper = ?2 WHERE key = ?1",
                params![key, oper],
            )?;
            Ok(changed == 1)
        })
    }

    /// Deletes an account and the direct messages waiting for it, so whoever registers
    /// the name next does not receive them. `false` if there is no such account.
    pub fn delete_account(&self, key: &str) -> Result<bool, StoreError> {
        self.with("delete an account", |conn| {
            let tx = conn.transaction()?;
            let deleted = tx.execute("DELETE FROM accounts WHERE key = ?1", params![key])?;
            tx.execute("DELETE FROM pending WHERE account = ?1", params![key])?;
            tx.commit()?;
            Ok(deleted == 1)
        })
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
