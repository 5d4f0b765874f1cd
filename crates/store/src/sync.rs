//! Accounts and server bans as changes another data directory can take: each account or
//! ban is either a row (`Put`) or a tombstone (`Gone`), with the time it last changed.
//! The nodes of a cluster exchange these and keep the newer of two copies (last writer
//! wins, a deletion winning a tie), so a change made anywhere, a deletion included,
//! ends up everywhere. Tombstones are kept [`TOMBSTONES_KEPT_MS`]; a copy older than
//! that which comes back after its tombstone went is taken as new.

use rusqlite::{params, Connection, OptionalExtension};

use crate::accounts::{self, AccountRow};
use crate::bans::{self, BanRow};
use crate::db::Database;
use crate::error::StoreError;

/// The tombstone kind of an account (keyed by its folded name).
pub(crate) const ACCOUNT: &str = "account";
/// The tombstone kind of a server ban (keyed by its target).
pub(crate) const BAN: &str = "ban";

/// How long a deletion is remembered: 30 days. A node cut off for longer that still holds
/// the deleted account or ban brings it back when it returns.
pub const TOMBSTONES_KEPT_MS: i64 = 30 * 24 * 3600 * 1000;

/// One account or ban as it is now: its row, or the tombstone of its deletion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change<T> {
    Put(T),
    Gone { key: String, at_ms: i64 },
}

pub type AccountChange = Change<AccountRow>;
pub type BanChange = Change<BanRow>;

/// When a change was made, and whether it is a deletion: the order in which copies win.
pub type Version = (i64, bool);

/// Whether a copy made at `incoming` replaces the one held, made at `held`: the later
/// one wins, and of two made in the same millisecond, a deletion. Equal versions keep
/// what is held, so applying a change twice changes nothing.
pub fn wins(incoming: Version, held: Option<Version>) -> bool {
    held.is_none_or(|held| incoming > held)
}

/// What a change needs of a row: its key and when it last changed.
pub trait Stamped {
    fn key(&self) -> &str;
    fn updated_ms(&self) -> i64;
}

impl Stamped for AccountRow {
    fn key(&self) -> &str {
        &self.key
    }
    fn updated_ms(&self) -> i64 {
        self.updated_ms
    }
}

impl Stamped for BanRow {
    fn key(&self) -> &str {
        &self.target
    }
    fn updated_ms(&self) -> i64 {
        self.updated_ms
    }
}

impl<T: Stamped> Change<T> {
    pub fn key(&self) -> &str {
        match self {
            Change::Put(row) => row.key(),
            Change::Gone { key, .. } => key,
        }
    }

    pub fn version(&self) -> Version {
        match self {
            Change::Put(row) => (row.updated_ms(), false),
            Change::Gone { at_ms, .. } => (*at_ms, true),
        }
    }
}

impl Database {
    /// Every account and account tombstone, by key.
    pub fn account_changes(&self) -> Result<Vec<AccountChange>, StoreError> {
        let rows = self.list_accounts()?;
        let gone = self.with("read account tombstones", |conn| tombstones(conn, ACCOUNT))?;
        Ok(rows.into_iter().map(Change::Put).chain(gone).collect())
    }

    /// Every ban in force at `now_ms` and every ban tombstone.
    pub fn ban_changes(&self, now_ms: i64) -> Result<Vec<BanChange>, StoreError> {
        let rows = self.bans(now_ms)?;
        let gone = self.with("read ban tombstones", |conn| tombstones(conn, BAN))?;
        Ok(rows.into_iter().map(Change::Put).chain(gone).collect())
    }

    /// The account `key` as it is now, a tombstone included; `None` if neither.
    pub fn account_change(&self, key: &str) -> Result<Option<AccountChange>, StoreError> {
        if let Some(row) = self.account(key)? {
            return Ok(Some(Change::Put(row)));
        }
        self.with("read an account tombstone", |conn| {
            tombstone(conn, ACCOUNT, key)
        })
    }

    /// The ban on `target` as it is now, a tombstone included; `None` if neither.
    pub fn ban_change(&self, target: &str) -> Result<Option<BanChange>, StoreError> {
        self.with("read a server ban", |conn| {
            let sql = format!(
                "SELECT {} FROM server_bans WHERE target = ?1",
                bans::COLUMNS
            );
            let row = conn
                .query_row(&sql, params![target], BanRow::from_row)
                .optional()?;
            match row {
                Some(row) => Ok(Some(Change::Put(row))),
                None => tombstone(conn, BAN, target),
            }
        })
    }

    /// Takes an account change made elsewhere if it [`wins`] over what is held: `true`
    /// if it did. A deletion also drops the direct messages waiting for the account.
    pub fn merge_account(&self, change: &AccountChange) -> Result<bool, StoreError> {
        self.with("merge an account change", |conn| {
            let tx = writing(conn)?;
            let held = held_version(&tx, ACCOUNT, "accounts", "key", change.key())?;
            if !wins(change.version(), held) {
                return Ok(false);
            }
            match change {
                Change::Put(row) => {
                    write_account(&tx, row)?;
                    unbury(&tx, ACCOUNT, &row.key)?;
                }
                Change::Gone { key, at_ms } => {
                    remove_account(&tx, key)?;
                    bury(&tx, ACCOUNT, key, *at_ms)?;
                }
            }
            tx.commit()?;
            Ok(true)
        })
    }

    /// Takes a ban change made elsewhere if it [`wins`] over what is held: `true` if it
    /// did. A ban lapsed at `now_ms` is not taken.
    pub fn merge_ban(&self, change: &BanChange, now_ms: i64) -> Result<bool, StoreError> {
        if let Change::Put(row) = change {
            if row.expires_ms.is_some_and(|at| at <= now_ms) {
                return Ok(false);
            }
        }
        self.with("merge a server ban change", |conn| {
            let tx = writing(conn)?;
            let held = held_version(&tx, BAN, "server_bans", "target", change.key())?;
            if !wins(change.version(), held) {
                return Ok(false);
            }
            match change {
                Change::Put(row) => {
                    write_ban(&tx, row)?;
                    unbury(&tx, BAN, &row.target)?;
                }
                Change::Gone { key, at_ms } => {
                    tx.execute("DELETE FROM server_bans WHERE target = ?1", params![key])?;
                    bury(&tx, BAN, key, *at_ms)?;
                }
            }
            tx.commit()?;
            Ok(true)
        })
    }

    /// Forgets tombstones older than `before_ms`: how many.
    pub fn prune_tombstones(&self, before_ms: i64) -> Result<u64, StoreError> {
        self.with("prune tombstones", |conn| {
            let pruned = conn.execute(
                "DELETE FROM tombstones WHERE deleted_ms < ?1",
                params![before_ms],
            )?;
            Ok(pruned as u64)
        })
    }

    /// Deletes an account without a tombstone: for an account registered here that
    /// another node registered first, which must not count as deleted there.
    pub fn withdraw_account(&self, key: &str) -> Result<bool, StoreError> {
        self.with("withdraw an account", |conn| {
            let tx = writing(conn)?;
            let deleted = remove_account(&tx, key)?;
            tx.commit()?;
            Ok(deleted)
        })
    }
}

/// A transaction that holds the write lock from its start. These read before they write,
/// and a deferred one that read while the history writer committed could not write at
/// all (SQLite answers `SQLITE_BUSY` at once rather than wait); taking the lock first
/// waits for the writer's commit instead (the busy timeout).
pub(crate) fn writing(conn: &mut Connection) -> rusqlite::Result<rusqlite::Transaction<'_>> {
    conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
}

/// The version held for `key`: its row's, or its tombstone's, whichever is later.
fn held_version(
    conn: &Connection,
    kind: &str,
    table: &str,
    column: &str,
    key: &str,
) -> rusqlite::Result<Option<Version>> {
    let sql = format!("SELECT updated_ms FROM {table} WHERE {column} = ?1");
    let row: Option<i64> = conn
        .query_row(&sql, params![key], |r| r.get(0))
        .optional()?;
    let gone: Option<i64> = conn
        .query_row(
            "SELECT deleted_ms FROM tombstones WHERE kind = ?1 AND key = ?2",
            params![kind, key],
            |r| r.get(0),
        )
        .optional()?;
    Ok(row.map(|at| (at, false)).max(gone.map(|at| (at, true))))
}

fn tombstones<T>(conn: &Connection, kind: &str) -> rusqlite::Result<Vec<Change<T>>> {
    let mut stmt =
        conn.prepare("SELECT key, deleted_ms FROM tombstones WHERE kind = ?1 ORDER BY key")?;
    let rows = stmt.query_map(params![kind], |r| {
        Ok(Change::Gone {
            key: r.get(0)?,
            at_ms: r.get(1)?,
        })
    })?;
    rows.collect()
}

fn tombstone<T>(conn: &Connection, kind: &str, key: &str) -> rusqlite::Result<Option<Change<T>>> {
    conn.query_row(
        "SELECT deleted_ms FROM tombstones WHERE kind = ?1 AND key = ?2",
        params![kind, key],
        |r| {
            Ok(Change::Gone {
                key: key.to_string(),
                at_ms: r.get(0)?,
            })
        },
    )
    .optional()
}

fn write_account(conn: &Connection, row: &AccountRow) -> rusqlite::Result<()> {
    let sql = format!(
        "INSERT OR REPLACE INTO accounts ({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        accounts::COLUMNS
    );
    conn.execute(
        &sql,
        params![
            row.key,
            row.name,
            row.hash,
            row.created_ms,
            row.oper,
            row.updated_ms
        ],
    )?;
    Ok(())
}

pub(crate) fn write_ban(conn: &Connection, ban: &BanRow) -> rusqlite::Result<()> {
    let sql = format!(
        "INSERT OR REPLACE INTO server_bans ({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        bans::COLUMNS
    );
    conn.execute(
        &sql,
        params![
            ban.target,
            ban.kind,
            ban.reason,
            ban.set_by,
            ban.set_at_ms,
            ban.expires_ms,
            ban.updated_ms
        ],
    )?;
    Ok(())
}

/// Deletes an account's row and the direct messages waiting for it: `true` if it had one.
pub(crate) fn remove_account(conn: &Connection, key: &str) -> rusqlite::Result<bool> {
    let deleted = conn.execute("DELETE FROM accounts WHERE key = ?1", params![key])?;
    conn.execute("DELETE FROM pending WHERE account = ?1", params![key])?;
    Ok(deleted == 1)
}

/// When a deletion made here now counts as made: now, but never before the row's last
/// change, so the deletion wins over the copy it deletes wherever they meet.
pub(crate) fn deleted_at(
    conn: &Connection,
    table: &str,
    column: &str,
    key: &str,
) -> rusqlite::Result<i64> {
    let sql = format!("SELECT updated_ms FROM {table} WHERE {column} = ?1");
    let row: Option<i64> = conn
        .query_row(&sql, params![key], |r| r.get(0))
        .optional()?;
    Ok(accounts::now_ms().max(row.unwrap_or(0)))
}

/// Notes that `key` of `kind` was deleted at `at_ms`.
pub(crate) fn bury(conn: &Connection, kind: &str, key: &str, at_ms: i64) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT OR REPLACE INTO tombstones (kind, key, deleted_ms) VALUES (?1, ?2, ?3)",
        params![kind, key, at_ms],
    )?;
    Ok(())
}

/// Forgets the deletion of `key` of `kind`: it exists again.
pub(crate) fn unbury(conn: &Connection, kind: &str, key: &str) -> rusqlite::Result<()> {
    conn.execute(
        "DELETE FROM tombstones WHERE kind = ?1 AND key = ?2",
        params![kind, key],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DataDir;

    fn open() -> (tempfile::TempDir, Database) {
        let dir = tempfile::tempdir().unwrap();
        let db = DataDir::open(dir.path()).unwrap().database().unwrap();
        (dir, db)
    }

    fn amy(hash: &str, updated_ms: i64) -> AccountRow {
        AccountRow {
            key: "amy".into(),
            name: "Amy".into(),
            hash: hash.into(),
            created_ms: 1_000,
            oper: false,
            updated_ms,
        }
    }

    #[test]
    fn the_later_copy_wins_and_a_deletion_wins_a_tie() {
        assert!(wins((5, false), None));
        assert!(wins((6, false), Some((5, true))));
        assert!(!wins((5, false), Some((5, false))), "the same copy twice");
        assert!(wins((5, true), Some((5, false))));
        assert!(!wins((5, false), Some((5, true))));
        assert!(!wins((4, true), Some((5, false))));
    }

    #[test]
    fn changes_note_when_they_were_made_and_a_deletion_leaves_a_tombstone() {
        let (_dir, db) = open();
        assert!(db.create_account("amy", "Amy", "$a", false).unwrap());
        let made = db.account("amy").unwrap().unwrap();
        assert_eq!(made.updated_ms, made.created_ms);
        // Every change is later than the one before, even within one millisecond.
        assert!(db.set_password("amy", "$b").unwrap());
        let changed = db.account("amy").unwrap().unwrap();
        assert!(changed.updated_ms > made.updated_ms);
        assert!(db.set_oper("amy", true).unwrap());
        let opped = db.account("amy").unwrap().unwrap();
        assert!(opped.updated_ms > changed.updated_ms);
        assert!(db.delete_account("amy").unwrap());
        let Some(Change::Gone { key, at_ms }) = db.account_change("amy").unwrap() else {
            panic!("no tombstone");
        };
        assert_eq!(key, "amy");
        assert!(at_ms >= opped.updated_ms);
        assert_eq!(db.account_changes().unwrap(), [Change::Gone { key, at_ms }]);
        // Registered again, the name is an account again and its tombstone goes.
        assert!(db.create_account("amy", "Amy", "$c", false).unwrap());
        let again = db.account_changes().unwrap();
        assert!(matches!(&again[..], [Change::Put(row)] if row.hash == "$c"));
    }

    #[test]
    fn a_merged_change_applies_only_when_newer_than_what_is_held() {
        let (_dir, db) = open();
        assert!(db.merge_account(&Change::Put(amy("$one", 10))).unwrap());
        assert!(!db.merge_account(&Change::Put(amy("$one", 10))).unwrap());
        assert!(!db.merge_account(&Change::Put(amy("$old", 9))).unwrap());
        assert!(db.merge_account(&Change::Put(amy("$two", 11))).unwrap());
        assert_eq!(db.account("amy").unwrap().unwrap(), amy("$two", 11));
        // An older deletion does not undo a newer password; a newer one deletes.
        let gone = |at_ms| Change::Gone {
            key: "amy".to_string(),
            at_ms,
        };
        assert!(!db.merge_account(&gone(10)).unwrap());
        assert!(db.merge_account(&gone(12)).unwrap());
        assert_eq!(db.account("amy").unwrap(), None);
        // The tombstone keeps an older copy, come back from a node cut off, out.
        assert!(!db.merge_account(&Change::Put(amy("$two", 11))).unwrap());
        assert_eq!(db.account_change("amy").unwrap(), Some(gone(12)));
        // Once pruned, the older copy is taken as new.
        assert_eq!(db.prune_tombstones(13).unwrap(), 1);
        assert!(db.merge_account(&Change::Put(amy("$two", 11))).unwrap());
        // Withdrawn, it leaves no tombstone.
        assert!(db.withdraw_account("amy").unwrap());
        assert_eq!(db.account_change("amy").unwrap(), None);
    }

    #[test]
    fn tombstones_past_their_time_are_forgotten_when_the_database_opens() {
        let dir = tempfile::tempdir().unwrap();
        let data = DataDir::open(dir.path()).unwrap();
        let db = data.database().unwrap();
        let now = accounts::now_ms();
        for (key, at_ms) in [("old", now - TOMBSTONES_KEPT_MS - 1), ("new", now)] {
            let key = key.to_string();
            assert!(db.merge_account(&Change::Gone { key, at_ms }).unwrap());
        }
        drop(db);
        let db = data.database().unwrap();
        let kept: Vec<String> = db
            .account_changes()
            .unwrap()
            .iter()
            .map(|c| c.key().to_string())
            .collect();
        assert_eq!(kept, ["new"]);
    }

    #[test]
    fn bans_merge_like_accounts_and_a_lapsed_one_is_not_taken() {
        let (_dir, db) = open();
        let ban = |reason: &str, updated_ms, expires_ms| BanRow {
            target: "zed!*@*".into(),
            kind: "mask".into(),
            reason: reason.into(),
            set_by: "teach".into(),
            set_at_ms: 1_000,
            expires_ms,
            updated_ms,
        };
        assert!(!db
            .merge_ban(&Change::Put(ban("x", 10, Some(50))), 50)
            .unwrap());
        assert!(db
            .merge_ban(&Change::Put(ban("spam", 10, None)), 50)
            .unwrap());
        assert!(!db.merge_ban(&Change::Put(ban("old", 9, None)), 50).unwrap());
        assert_eq!(
            db.ban_change("zed!*@*").unwrap(),
            Some(Change::Put(ban("spam", 10, None)))
        );
        let lifted = Change::Gone {
            key: "zed!*@*".to_string(),
            at_ms: 11,
        };
        assert!(db.merge_ban(&lifted, 50).unwrap());
        assert!(db.bans(50).unwrap().is_empty());
        assert_eq!(db.ban_changes(50).unwrap(), [lifted]);
        // Set again here, it is a ban again, changed now.
        db.put_ban(&ban("again", 0, None)).unwrap();
        let Some(Change::Put(row)) = db.ban_change("zed!*@*").unwrap() else {
            panic!("no ban");
        };
        assert!(row.updated_ms > 11);
    }
}
