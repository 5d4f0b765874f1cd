//! The accounts and server bans of this node's data directory as a cluster shares them
//! (`confab_cluster::records`): the store's rows and tombstones as records and back, and
//! what a record another node made changes here once the store takes it as newer: a
//! registered name protected or freed in the hub, a ban put in force (its matches among
//! this node's users put out) or lifted. The cluster knows no SQL and the store no
//! cluster; this joins them.

use std::sync::Arc;
use std::time::SystemTime;

use confab_cluster::{AccountRecord, BanRecord, Directory, Record};
use confab_core::name::NAME_MAX_CEILING;
use confab_core::{Hub, Name, Peer, ServerBan};
use confab_store::{AccountChange, AccountRow, BanChange, BanRow, Change, Database, StoreError};

use crate::bans::{self, AddressBan};
use crate::history::{record, History};
use crate::limits::Admission;

/// The node's side of the records: its store, and what a change from elsewhere acts on.
pub struct Records {
    pub history: Arc<History>,
    pub hub: Arc<Hub>,
    pub admission: Arc<Admission>,
}

impl Directory for Records {
    fn records(&self) -> Vec<Record> {
        match self.read() {
            Ok(records) => records,
            Err(error) => {
                tracing::error!(%error, "cannot read the accounts and bans to share");
                Vec::new()
            }
        }
    }

    fn apply(&self, records: Vec<Record>) -> usize {
        let mut refused = 0;
        for record in records {
            match self.take(&record) {
                Ok(_) => {}
                Err(Taken::Refused(why)) => {
                    refused += 1;
                    tracing::warn!(key = %record.redis_key(), why, "refused an account or ban record of the cluster");
                }
                Err(Taken::Store(error)) => {
                    tracing::error!(%error, "cannot keep an account or ban of the cluster")
                }
            }
        }
        refused
    }
}

/// Why a record was not taken.
enum Taken {
    Refused(&'static str),
    Store(StoreError),
}

impl From<StoreError> for Taken {
    fn from(error: StoreError) -> Taken {
        Taken::Store(error)
    }
}

impl Records {
    /// Every account, ban and tombstone, after forgetting tombstones past their time.
    fn read(&self) -> Result<Vec<Record>, StoreError> {
        let db = self.history.database();
        let now = bans::millis(SystemTime::now());
        db.prune_tombstones(now - confab_store::TOMBSTONES_KEPT_MS)?;
        let accounts = db.account_changes()?.into_iter().map(account_record);
        let banned = db.ban_changes(now)?.into_iter().map(ban_record);
        Ok(accounts.chain(banned).collect())
    }

    /// Takes one record if the store finds it newer, and acts on it: `true` if taken.
    fn take(&self, record: &Record) -> Result<bool, Taken> {
        let db = self.history.database();
        match record {
            Record::Account(account) => {
                let change = account_change(account)?;
                if !db.merge_account(&change)? {
                    return Ok(false);
                }
                match &change {
                    Change::Put(row) => self.hub.add_account(&valid_name(&row.name)?),
                    Change::Gone { key, .. } => self.hub.remove_account(key),
                }
            }
            Record::Ban(ban) => {
                let change = ban_change(ban)?;
                let now = bans::millis(SystemTime::now());
                if !db.merge_ban(&change, now)? {
                    return Ok(false);
                }
                self.enforce(&change);
            }
        }
        Ok(true)
    }

    /// Puts a ban from elsewhere in force here, or lifts it.
    fn enforce(&self, change: &BanChange) {
        match change {
            Change::Put(row) if row.kind == bans::ADDRESS => {
                if let Some(net) = bans::parse_address(&row.target) {
                    self.admission.put_address_ban(AddressBan {
                        net,
                        reason: row.reason.clone(),
                        expires: row.expires_ms.map(bans::time_of),
                    });
                }
            }
            Change::Put(row) => {
                let expires = row.expires_ms.map(bans::time_of);
                let ban = ServerBan::new(&row.target, &row.reason, expires);
                let by = Name::parse(&row.set_by, NAME_MAX_CEILING)
                    .unwrap_or_else(|_| crate::adapter::irc::nickserv());
                let put_out = self
                    .hub
                    .impose_server_ban(ban, &Peer::classroom(by, "cluster"));
                if !put_out.is_empty() {
                    tracing::info!(target = %row.target, put_out = put_out.len(), "a ban set on another node put out users here");
                }
            }
            Change::Gone { key, .. } => {
                self.hub.drop_server_ban(key);
                if let Some(net) = bans::parse_address(key) {
                    self.admission.lift_address_ban(net);
                }
            }
        }
    }
}

fn valid_name(name: &str) -> Result<Name, Taken> {
    Name::parse(name, NAME_MAX_CEILING).map_err(|_| Taken::Refused("not a valid account name"))
}

/// An account row or tombstone as the cluster shares it.
pub fn account_record(change: AccountChange) -> Record {
    Record::Account(match change {
        Change::Put(row) => AccountRecord {
            key: row.key,
            name: row.name,
            hash: row.hash,
            created_ms: row.created_ms,
            oper: row.oper,
            updated_ms: row.updated_ms,
            deleted: false,
        },
        Change::Gone { key, at_ms } => AccountRecord {
            key,
            name: String::new(),
            hash: String::new(),
            created_ms: 0,
            oper: false,
            updated_ms: at_ms,
            deleted: true,
        },
    })
}

/// A ban or ban tombstone as the cluster shares it.
pub fn ban_record(change: BanChange) -> Record {
    Record::Ban(match change {
        Change::Put(row) => BanRecord {
            target: row.target,
            kind: row.kind,
            reason: row.reason,
            set_by: row.set_by,
            set_at_ms: row.set_at_ms,
            expires_ms: row.expires_ms,
            updated_ms: row.updated_ms,
            deleted: false,
        },
        Change::Gone { key, at_ms } => BanRecord {
            target: key,
            kind: String::new(),
            reason: String::new(),
            set_by: String::new(),
            set_at_ms: 0,
            expires_ms: None,
            updated_ms: at_ms,
            deleted: true,
        },
    })
}

/// A record of another node as the store's change, if this node can use it: the name a
/// valid one whose key it is, the hash a PHC string the password check can read.
fn account_change(account: &AccountRecord) -> Result<AccountChange, Taken> {
    if account.deleted {
        return Ok(Change::Gone {
            key: account.key.clone(),
            at_ms: account.updated_ms,
        });
    }
    let name = valid_name(&account.name)?;
    if record::key(&name) != account.key {
        return Err(Taken::Refused("the name is not the key's"));
    }
    if !crate::accounts::password::readable(&account.hash) {
        return Err(Taken::Refused("the hash is not a PHC string"));
    }
    Ok(Change::Put(AccountRow {
        key: account.key.clone(),
        name: account.name.clone(),
        hash: account.hash.clone(),
        created_ms: account.created_ms,
        oper: account.oper,
        updated_ms: account.updated_ms,
    }))
}

/// A ban record of another node as the store's change, if its target is one this node
/// would have set: a full mask (as `KLINE` makes them) or a network.
fn ban_change(ban: &BanRecord) -> Result<BanChange, Taken> {
    if ban.deleted {
        return Ok(Change::Gone {
            key: ban.target.clone(),
            at_ms: ban.updated_ms,
        });
    }
    let usable = match ban.kind.as_str() {
        bans::ADDRESS => bans::parse_address(&ban.target).map(|net| net.to_string()),
        _ => bans::full_mask(&ban.target),
    };
    if usable.as_deref() != Some(ban.target.as_str()) {
        return Err(Taken::Refused("not a ban target this node would set"));
    }
    Ok(Change::Put(BanRow {
        target: ban.target.clone(),
        kind: ban.kind.clone(),
        reason: ban.reason.clone(),
        set_by: ban.set_by.clone(),
        set_at_ms: ban.set_at_ms,
        expires_ms: ban.expires_ms,
        updated_ms: ban.updated_ms,
    }))
}

/// Shares the account `key` as it is now in `history`'s store, in a cluster (call it
/// off the async threads, after the change is stored).
pub fn share_account(history: &History, key: &str) {
    share(history, |db| {
        Ok(db.account_change(key)?.map(account_record))
    });
}

/// Shares the ban on `target` as it is now in `history`'s store, in a cluster.
pub fn share_ban(history: &History, target: &str) {
    share(history, |db| Ok(db.ban_change(target)?.map(ban_record)));
}

fn share(history: &History, read: impl FnOnce(&Database) -> Result<Option<Record>, StoreError>) {
    let Some(cluster) = history.cluster() else {
        return;
    };
    match read(history.database()) {
        Ok(Some(record)) => cluster.share(record),
        Ok(None) => {}
        Err(error) => tracing::error!(%error, "cannot read an account or ban to share"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> AccountRow {
        static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        let hash = HASH.get_or_init(|| crate::accounts::password::hash("sesame").unwrap());
        AccountRow {
            key: "amy".into(),
            name: "Amy".into(),
            hash: hash.clone(),
            created_ms: 1,
            oper: true,
            updated_ms: 2,
        }
    }

    #[test]
    fn an_account_crosses_as_a_record_and_comes_back_the_same() {
        let Record::Account(record) = account_record(Change::Put(row())) else {
            unreachable!()
        };
        assert!(matches!(account_change(&record), Ok(Change::Put(r)) if r == row()));
        let gone = Change::Gone {
            key: "amy".to_string(),
            at_ms: 9,
        };
        let Record::Account(record) = account_record(gone.clone()) else {
            unreachable!()
        };
        assert!(matches!(account_change(&record), Ok(g) if g == gone));
    }

    #[test]
    fn a_record_this_node_could_not_use_is_refused() {
        let Record::Account(good) = account_record(Change::Put(row())) else {
            unreachable!()
        };
        let refused = |record: AccountRecord| match account_change(&record) {
            Err(Taken::Refused(why)) => why,
            _ => "taken",
        };
        let unreadable = AccountRecord {
            hash: "$".into(),
            ..good.clone()
        };
        assert_eq!(refused(unreadable), "the hash is not a PHC string");
        let other = AccountRecord {
            key: "bob".into(),
            ..good.clone()
        };
        assert_eq!(refused(other), "the name is not the key's");
        let digit = AccountRecord {
            key: "9lives".into(),
            name: "9lives".into(),
            ..good
        };
        assert_eq!(refused(digit), "not a valid account name");
        let ban = |target: &str, kind: &str| BanRecord {
            target: target.into(),
            kind: kind.into(),
            reason: "spam".into(),
            set_by: "teach".into(),
            set_at_ms: 1,
            expires_ms: None,
            updated_ms: 1,
            deleted: false,
        };
        assert!(ban_change(&ban("zed!*@*", bans::MASK)).is_ok());
        assert!(ban_change(&ban("10.0.0.0/8", bans::ADDRESS)).is_ok());
        assert!(ban_change(&ban("zed", bans::MASK)).is_err());
        assert!(ban_change(&ban("10.1.2.3/8", bans::ADDRESS)).is_err());
    }
}
