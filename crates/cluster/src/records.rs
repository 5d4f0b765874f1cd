//! The accounts and server bans every node of a cluster shares, as they cross Redis: one
//! [`Record`] per account (`confab:account:<folded name>`) or ban (`confab:ban:<target>`),
//! a Redis hash of plain fields holding the latest copy with the time it changed, or a
//! tombstone (`deleted` 1) for one deleted. A password crosses only as its PHC hash.
//! Whatever is read back is checked before it is believed ([`Record::check`]).
//!
//! The cluster knows no SQL: the node's store is behind a [`Directory`], which the server
//! implements over it.

use serde::{Deserialize, Serialize};

/// The key prefix of account records.
pub const ACCOUNT_PREFIX: &str = "confab:account:";
/// The key prefix of ban records.
pub const BAN_PREFIX: &str = "confab:ban:";
/// How long a tombstone stays in Redis (as in each node's store): 30 days.
pub const TOMBSTONE_KEPT_MS: i64 = 30 * 24 * 3600 * 1000;

/// The longest account key or name (names are at most 32 characters, of 4 bytes at most).
const NAME_BYTES_MAX: usize = 128;
/// The longest PHC string taken (argon2id's are about 100 bytes).
const HASH_BYTES_MAX: usize = 512;
/// The longest ban target, reason or setter.
const TEXT_BYTES_MAX: usize = 512;

/// One account as the cluster shares it; a tombstone has an empty name and hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountRecord {
    /// The case-folded name: the account's identity.
    pub key: String,
    pub name: String,
    /// The password's PHC string, never the password.
    pub hash: String,
    pub created_ms: i64,
    pub oper: bool,
    pub updated_ms: i64,
    pub deleted: bool,
}

/// One server-wide ban as the cluster shares it; a tombstone keeps only its target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BanRecord {
    pub target: String,
    /// `mask` (IRC `KLINE`) or `address` (`DLINE`).
    pub kind: String,
    pub reason: String,
    pub set_by: String,
    pub set_at_ms: i64,
    pub expires_ms: Option<i64>,
    pub updated_ms: i64,
    pub deleted: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Record {
    Account(AccountRecord),
    Ban(BanRecord),
}

/// The node's own accounts and bans, which the link compares with Redis's and to which it
/// hands what other nodes changed. Both may block (they read and write the store): the
/// link calls them off its own task.
pub trait Directory: Send + Sync + 'static {
    /// Every account, ban and tombstone this node holds.
    fn records(&self) -> Vec<Record>;
    /// Takes what other nodes hold, each where it is newer than this node's copy (and acts
    /// on it: a new account's name protected, a ban's matches put out); how many were
    /// refused as unusable here.
    fn apply(&self, records: Vec<Record>) -> usize;
}

/// Why a record read from Redis or the channel is not believed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    #[error("not a record key: {0:?}")]
    Key(String),
    #[error("field {0} missing")]
    Missing(&'static str),
    #[error("field {0} is not valid")]
    Bad(&'static str),
}

impl Record {
    /// Its key in Redis.
    pub fn redis_key(&self) -> String {
        match self {
            Record::Account(a) => format!("{ACCOUNT_PREFIX}{}", a.key),
            Record::Ban(b) => format!("{BAN_PREFIX}{}", b.target),
        }
    }

    /// When it changed, and whether it is a deletion: the later wins, a deletion a tie.
    pub fn version(&self) -> (i64, bool) {
        match self {
            Record::Account(a) => (a.updated_ms, a.deleted),
            Record::Ban(b) => (b.updated_ms, b.deleted),
        }
    }

    /// When Redis may forget it: a tombstone after [`TOMBSTONE_KEPT_MS`], a ban when it
    /// lapses; an account, never.
    pub fn expires_at_ms(&self) -> Option<i64> {
        match self {
            _ if self.version().1 => Some(self.version().0.saturating_add(TOMBSTONE_KEPT_MS)),
            Record::Ban(b) => b.expires_ms,
            Record::Account(_) => None,
        }
    }

    /// Checks what no store should take: keys and names empty, too long or with spaces
    /// or control characters, a hash that is not a PHC string, an unknown ban kind.
    pub fn check(&self) -> Result<(), RecordError> {
        let (at, deleted) = self.version();
        if at <= 0 {
            return Err(RecordError::Bad("updated_ms"));
        }
        match self {
            Record::Account(a) => {
                word(&a.key, NAME_BYTES_MAX, "key")?;
                if a.key != a.key.to_ascii_lowercase() {
                    return Err(RecordError::Bad("key"));
                }
                if deleted {
                    return Ok(());
                }
                word(&a.name, NAME_BYTES_MAX, "name")?;
                if a.name.to_ascii_lowercase() != a.key {
                    return Err(RecordError::Bad("name"));
                }
                word(&a.hash, HASH_BYTES_MAX, "hash")?;
                match a.hash.starts_with('$') && a.hash.is_ascii() {
                    true => Ok(()),
                    false => Err(RecordError::Bad("hash")),
                }
            }
            Record::Ban(b) => {
                word(&b.target, TEXT_BYTES_MAX, "target")?;
                if deleted {
                    return Ok(());
                }
                if !matches!(b.kind.as_str(), "mask" | "address") {
                    return Err(RecordError::Bad("kind"));
                }
                text(&b.reason, "reason")?;
                text(&b.set_by, "set_by")
            }
        }
    }

    /// Its fields as Redis keeps them (numbers in decimal, flags 0 or 1, no expiry empty).
    pub fn fields(&self) -> Vec<(&'static str, String)> {
        let flag = |b: bool| if b { "1" } else { "0" }.to_string();
        match self {
            Record::Account(a) => vec![
                ("name", a.name.clone()),
                ("hash", a.hash.clone()),
                ("created_ms", a.created_ms.to_string()),
                ("oper", flag(a.oper)),
                ("updated_ms", a.updated_ms.to_string()),
                ("deleted", flag(a.deleted)),
            ],
            Record::Ban(b) => vec![
                ("kind", b.kind.clone()),
                ("reason", b.reason.clone()),
                ("set_by", b.set_by.clone()),
                ("set_at_ms", b.set_at_ms.to_string()),
                (
                    "expires_ms",
                    b.expires_ms.map_or_else(String::new, |e| e.to_string()),
                ),
                ("updated_ms", b.updated_ms.to_string()),
                ("deleted", flag(b.deleted)),
            ],
        }
    }

    /// Reads the record kept under `key` with `fields` (as `HGETALL` gives them), and
    /// checks it.
    pub fn from_fields(key: &str, fields: &[(String, String)]) -> Result<Record, RecordError> {
        let get = |name: &'static str| -> Result<&str, RecordError> {
            fields
                .iter()
                .find(|(f, _)| f == name)
                .map(|(_, v)| v.as_str())
                .ok_or(RecordError::Missing(name))
        };
        let number = |name| {
            get(name)?
                .parse::<i64>()
                .map_err(|_| RecordError::Bad(name))
        };
        let flag = |name| match get(name)? {
            "0" => Ok(false),
            "1" => Ok(true),
            _ => Err(RecordError::Bad(name)),
        };
        let record = if let Some(account) = key.strip_prefix(ACCOUNT_PREFIX) {
            Record::Account(AccountRecord {
                key: account.to_string(),
                name: get("name")?.to_string(),
                hash: get("hash")?.to_string(),
                created_ms: number("created_ms")?,
                oper: flag("oper")?,
                updated_ms: number("updated_ms")?,
                deleted: flag("deleted")?,
            })
        } else if let Some(target) = key.strip_prefix(BAN_PREFIX) {
            let expires = get("expires_ms")?;
            let expires_ms = match expires {
                "" => None,
                _ => Some(
                    expires
                        .parse()
                        .map_err(|_| RecordError::Bad("expires_ms"))?,
                ),
            };
            Record::Ban(BanRecord {
                target: target.to_string(),
                kind: get("kind")?.to_string(),
                reason: get("reason")?.to_string(),
                set_by: get("set_by")?.to_string(),
                set_at_ms: number("set_at_ms")?,
                expires_ms,
                updated_ms: number("updated_ms")?,
                deleted: flag("deleted")?,
            })
        } else {
            return Err(RecordError::Key(key.to_string()));
        };
        record.check()?;
        Ok(record)
    }
}

/// Non-empty, at most `max` bytes, no spaces or control characters.
fn word(value: &str, max: usize, field: &'static str) -> Result<(), RecordError> {
    let clean = !value.is_empty()
        && value.len() <= max
        && !value.chars().any(|c| c.is_whitespace() || c.is_control());
    clean.then_some(()).ok_or(RecordError::Bad(field))
}

/// At most [`TEXT_BYTES_MAX`] bytes, no control characters.
fn text(value: &str, field: &'static str) -> Result<(), RecordError> {
    let clean = value.len() <= TEXT_BYTES_MAX && !value.chars().any(char::is_control);
    clean.then_some(()).ok_or(RecordError::Bad(field))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn amy() -> Record {
        Record::Account(AccountRecord {
            key: "amy".into(),
            name: "Amy".into(),
            hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
            created_ms: 1_000,
            oper: true,
            updated_ms: 2_000,
            deleted: false,
        })
    }

    fn zed_ban(expires_ms: Option<i64>) -> Record {
        Record::Ban(BanRecord {
            target: "zed!*@*".into(),
            kind: "mask".into(),
            reason: "spam and more".into(),
            set_by: "teach".into(),
            set_at_ms: 1_000,
            expires_ms,
            updated_ms: 1_000,
            deleted: false,
        })
    }

    fn fields_of(record: &Record) -> Vec<(String, String)> {
        let fields = record.fields().into_iter();
        fields.map(|(f, v)| (f.to_string(), v)).collect()
    }

    #[test]
    fn records_cross_redis_as_plain_fields_and_come_back_the_same() {
        for record in [amy(), zed_ban(None), zed_ban(Some(9_000))] {
            let read = Record::from_fields(&record.redis_key(), &fields_of(&record));
            assert_eq!(read, Ok(record));
        }
        assert_eq!(amy().redis_key(), "confab:account:amy");
        assert_eq!(zed_ban(None).redis_key(), "confab:ban:zed!*@*");
        assert_eq!(
            fields_of(&amy())[2..],
            [
                ("created_ms".to_string(), "1000".to_string()),
                ("oper".into(), "1".into()),
                ("updated_ms".into(), "2000".into()),
                ("deleted".into(), "0".into())
            ]
        );
    }

    #[test]
    fn a_tombstone_expires_after_30_days_and_a_ban_when_it_lapses() {
        let Record::Account(mut gone) = amy() else {
            unreachable!()
        };
        (gone.name, gone.hash, gone.deleted) = (String::new(), String::new(), true);
        let gone = Record::Account(gone);
        assert_eq!(gone.check(), Ok(()));
        assert_eq!(gone.expires_at_ms(), Some(2_000 + TOMBSTONE_KEPT_MS));
        assert_eq!(zed_ban(Some(9_000)).expires_at_ms(), Some(9_000));
        assert_eq!(zed_ban(None).expires_at_ms(), None);
        assert_eq!(amy().expires_at_ms(), None);
    }

    #[test]
    fn garbage_in_redis_is_refused_field_by_field() {
        let key = amy().redis_key();
        let with = |field: &str, value: &str| {
            let mut fields = fields_of(&amy());
            fields.retain(|(f, _)| f != field);
            fields.push((field.to_string(), value.to_string()));
            Record::from_fields(&key, &fields)
        };
        assert_eq!(with("hash", "hunter2"), Err(RecordError::Bad("hash")));
        assert_eq!(with("hash", ""), Err(RecordError::Bad("hash")));
        assert_eq!(with("name", "Bob"), Err(RecordError::Bad("name")));
        assert_eq!(with("name", "a my"), Err(RecordError::Bad("name")));
        assert_eq!(with("oper", "yes"), Err(RecordError::Bad("oper")));
        assert_eq!(
            with("updated_ms", "soon"),
            Err(RecordError::Bad("updated_ms"))
        );
        assert_eq!(with("updated_ms", "0"), Err(RecordError::Bad("updated_ms")));
        assert_eq!(
            Record::from_fields(&key, &[("name".into(), "Amy".into())]),
            Err(RecordError::Missing("hash"))
        );
        assert_eq!(
            Record::from_fields("confab:account:AMY", &fields_of(&amy())),
            Err(RecordError::Bad("key"))
        );
        assert_eq!(
            Record::from_fields("confab:other:amy", &fields_of(&amy())),
            Err(RecordError::Key("confab:other:amy".into()))
        );
        let ban = zed_ban(None);
        let mut fields = fields_of(&ban);
        fields[0].1 = "everyone".into();
        assert_eq!(
            Record::from_fields(&ban.redis_key(), &fields),
            Err(RecordError::Bad("kind"))
        );
        fields[0].1 = "mask".into();
        fields[1].1 = "line\nbreak".into();
        assert_eq!(
            Record::from_fields(&ban.redis_key(), &fields),
            Err(RecordError::Bad("reason"))
        );
    }
}
