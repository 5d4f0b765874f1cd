//! The link's side of the accounts and bans every node shares (`records.rs`). A change
//! made on this node is written to its record in Redis if it is newer than what Redis
//! holds there, then published on the control channel, so every other node takes it at
//! once; a new account's name is claimed the same way, but only if no live account holds
//! it, which makes one registration of a name win when two nodes register it at once. At
//! every (re)connection the node reconciles: it pushes whatever it holds that Redis lacks
//! or holds older (what changed here while Redis was away) and takes whatever Redis holds
//! newer (what changed elsewhere). Bad records are refused and counted, never believed.

use redis::aio::MultiplexedConnection;
use redis::{RedisResult, Script};
use tokio::sync::oneshot;

use crate::keys;
use crate::link::Link;
use crate::records::{Record, ACCOUNT_PREFIX, BAN_PREFIX};
use crate::stats::ClusterStats;
use crate::wire::Body;

/// Records published in one message at most (a record is well under 1 KiB).
const RECORDS_PER_MESSAGE: usize = 256;
/// Keys read per round trip while reconciling.
const KEYS_PER_READ: usize = 500;

/// Writes a record if it is newer than the one held (a later change, or a deletion made
/// in the same millisecond); a key of another type is garbage and replaced. In `create`
/// mode a live account held there wins whatever its time: the name is taken. 1 if
/// written. ARGV: mode, updated_ms, deleted (0/1), expiry (ms since the epoch, or
/// empty), then the fields and values.
const PUT: &str = r"
local kind = redis.call('TYPE', KEYS[1]).ok
if kind == 'hash' then
  local held = redis.call('HMGET', KEYS[1], 'updated_ms', 'deleted')
  local at = tonumber(held[1])
  if at then
    if ARGV[1] == 'create' and held[2] == '0' then return 0 end
    local mine = tonumber(ARGV[2])
    if at > mine or (at == mine and (held[2] == '1' or ARGV[3] == '0')) then return 0 end
  end
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], unpack(ARGV, 5))
if ARGV[4] ~= '' then redis.call('PEXPIREAT', KEYS[1], ARGV[4]) end
return 1";

/// Each key's type, then its fields and values if it is a hash (a key of another type
/// cannot be read with HGETALL, and must not fail the whole read).
const READ: &str = r"
local out = {}
for i, key in ipairs(KEYS) do
  local kind = redis.call('TYPE', key).ok
  local one = {kind}
  if kind == 'hash' then
    for _, v in ipairs(redis.call('HGETALL', key)) do one[#one + 1] = v end
  end
  out[i] = one
end
return out";

/// A change of this node's accounts or bans, on its way to the link; a new account's
/// claim waits for its answer.
pub(crate) struct Sharing {
    pub(crate) record: Record,
    pub(crate) claim: Option<oneshot::Sender<Claim>>,
}

/// The answer to a new account's claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The name is this account's across the cluster.
    Won,
    /// Another node's live account holds the name (its record reaches this node on the
    /// channel, as every change does).
    Lost,
    /// Redis cannot be asked now: the node decides alone, and reconciles later.
    Alone,
}

/// The `PUT` script's arguments for `record`.
fn put_args(record: &Record, create: bool) -> Vec<String> {
    let (at, deleted) = record.version();
    let mode = if create { "create" } else { "put" };
    let expiry = record
        .expires_at_ms()
        .map_or_else(String::new, |at| at.to_string());
    let deleted = if deleted { "1" } else { "0" };
    let mut args = vec![
        mode.to_string(),
        at.to_string(),
        deleted.to_string(),
        expiry,
    ];
    for (field, value) in record.fields() {
        args.push(field.to_string());
        args.push(value);
    }
    args
}

impl Link {
    /// A change made on this node: written and published if newer than Redis's copy; a
    /// claim is answered. When Redis holds a newer copy, this node takes that one.
    pub(crate) async fn share(
        &mut self,
        conn: &mut MultiplexedConnection,
        sharing: Sharing,
    ) -> RedisResult<()> {
        let Sharing { record, claim } = sharing;
        let script = Script::new(PUT);
        let mut put = script.prepare_invoke();
        put.key(record.redis_key());
        for arg in put_args(&record, claim.is_some()) {
            put.arg(arg);
        }
        let written: i64 = put.invoke_async(conn).await?;
        if written == 1 {
            self.send(conn, Body::Records(vec![record])).await?;
            if let Some(claim) = claim {
                let _ = claim.send(Claim::Won);
            }
            return Ok(());
        }
        match claim {
            Some(claim) => {
                let _ = claim.send(Claim::Lost);
            }
            None => {
                let held = self.read(conn, vec![record.redis_key()]).await?;
                self.hand_over(held);
            }
        }
        Ok(())
    }

    /// Pushes what this node holds newer than Redis (and tells the other nodes), then
    /// takes what Redis holds newer than this node: at every (re)connection.
    pub(crate) async fn reconcile(&mut self, conn: &mut MultiplexedConnection) -> RedisResult<()> {
        let Some(directory) = self.directory.clone() else {
            return Ok(());
        };
        let mine = tokio::task::spawn_blocking(move || directory.records())
            .await
            .unwrap_or_default();
        let pushed = self.push(conn, mine).await?;
        let mut keys = keys::scan(conn, ACCOUNT_PREFIX).await?;
        keys.extend(keys::scan(conn, BAN_PREFIX).await?);
        let mut held = Vec::new();
        for chunk in keys.chunks(KEYS_PER_READ) {
            held.extend(self.read(conn, chunk.to_vec()).await?);
        }
        let count = held.len();
        if let Some(directory) = self.directory.clone() {
            let refused = tokio::task::spawn_blocking(move || directory.apply(held))
                .await
                .unwrap_or(0);
            ClusterStats::add(&self.stats.refused, refused as u64);
        }
        tracing::info!(
            pushed,
            read = count,
            "accounts and bans reconciled with the cluster"
        );
        Ok(())
    }

    /// Writes each of `records` that is newer than Redis's copy, and publishes those: how
    /// many were.
    async fn push(
        &mut self,
        conn: &mut MultiplexedConnection,
        records: Vec<Record>,
    ) -> RedisResult<usize> {
        let sha: String = redis::cmd("SCRIPT")
            .arg("LOAD")
            .arg(PUT)
            .query_async(conn)
            .await?;
        let mut pushed = 0;
        for chunk in records.chunks(RECORDS_PER_MESSAGE) {
            let mut pipe = redis::pipe();
            for record in chunk {
                pipe.cmd("EVALSHA")
                    .arg(&sha)
                    .arg(1)
                    .arg(record.redis_key())
                    .arg(put_args(record, false));
            }
            let written: Vec<i64> = pipe.query_async(conn).await?;
            let newer: Vec<Record> = chunk
                .iter()
                .zip(written)
                .filter(|(_, w)| *w == 1)
                .map(|(r, _)| r.clone())
                .collect();
            if !newer.is_empty() {
                pushed += newer.len();
                self.send(conn, Body::Records(newer)).await?;
            }
        }
        Ok(pushed)
    }

    /// The records kept under `keys`: a key gone meanwhile is skipped, a bad one refused
    /// and counted.
    async fn read(
        &mut self,
        conn: &mut MultiplexedConnection,
        keys: Vec<String>,
    ) -> RedisResult<Vec<Record>> {
        let script = Script::new(READ);
        let mut read = script.prepare_invoke();
        for key in &keys {
            read.key(key);
        }
        let values: Vec<Vec<Vec<u8>>> = read.invoke_async(conn).await?;
        let mut records = Vec::with_capacity(keys.len());
        for (key, value) in keys.iter().zip(values) {
            match decode(key, value) {
                Ok(Some(record)) => records.push(record),
                Ok(None) => {}
                Err(error) => {
                    ClusterStats::add(&self.stats.refused, 1);
                    tracing::warn!(%key, %error, "dropped a bad account or ban record in Redis");
                }
            }
        }
        Ok(records)
    }

    /// Records from the channel: the bad ones refused and counted, the rest handed to
    /// this node's directory, off the link's task.
    pub(crate) fn receive_records(&mut self, records: Vec<Record>) {
        let mut good = Vec::with_capacity(records.len());
        for record in records {
            match record.check() {
                Ok(()) => good.push(record),
                Err(error) => {
                    ClusterStats::add(&self.stats.refused, 1);
                    tracing::warn!(%error, key = %record.redis_key(), "dropped a bad account or ban record from the cluster channel");
                }
            }
        }
        self.hand_over(good);
    }

    /// Hands `records` to the directory without waiting; what it refuses is counted.
    fn hand_over(&self, records: Vec<Record>) {
        let Some(directory) = self.directory.clone() else {
            return;
        };
        if records.is_empty() {
            return;
        }
        let stats = self.stats.clone();
        tokio::task::spawn_blocking(move || {
            let refused = directory.apply(records);
            ClusterStats::add(&stats.refused, refused as u64);
        });
    }
}

/// One key's value as `READ` gives it: `None` for a key gone, an error for one that is
/// not a record.
fn decode(key: &str, value: Vec<Vec<u8>>) -> Result<Option<Record>, String> {
    let mut parts = value.into_iter().map(String::from_utf8);
    let kind = parts.next().and_then(Result::ok).unwrap_or_default();
    match kind.as_str() {
        "none" => return Ok(None),
        "hash" => {}
        other => return Err(format!("a {other}, not a hash")),
    }
    let strings: Vec<String> = parts
        .collect::<Result<_, _>>()
        .map_err(|_| "not UTF-8".to_string())?;
    let fields: Vec<(String, String)> = strings
        .chunks_exact(2)
        .map(|pair| (pair[0].clone(), pair[1].clone()))
        .collect();
    Record::from_fields(key, &fields)
        .map(Some)
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(items: &[&str]) -> Vec<Vec<u8>> {
        items.iter().map(|s| s.as_bytes().to_vec()).collect()
    }

    #[test]
    fn what_redis_holds_under_a_key_is_a_record_nothing_or_refused() {
        let key = "confab:account:amy";
        let hash = "$argon2id$v=19$x";
        let fields = [
            "hash",
            "name",
            "Amy",
            "hash",
            hash,
            "created_ms",
            "1",
            "oper",
            "0",
            "updated_ms",
            "5",
            "deleted",
            "0",
        ];
        let Ok(Some(Record::Account(amy))) = decode(key, bytes(&fields)) else {
            panic!("not read");
        };
        assert_eq!(
            (amy.name.as_str(), amy.hash.as_str(), amy.updated_ms),
            ("Amy", hash, 5)
        );
        assert_eq!(decode(key, bytes(&["none"])), Ok(None));
        assert_eq!(
            decode(key, bytes(&["string"])),
            Err("a string, not a hash".into())
        );
        assert_eq!(
            decode(key, bytes(&["hash", "name", "Amy"])),
            Err("field hash missing".into())
        );
        assert_eq!(
            decode(key, vec![b"hash".to_vec(), b"name".to_vec(), vec![0xff]]),
            Err("not UTF-8".into())
        );
    }

    #[test]
    fn a_record_is_written_with_its_version_expiry_and_fields() {
        let record = Record::Ban(crate::records::BanRecord {
            target: "zed!*@*".into(),
            kind: "mask".into(),
            reason: "spam".into(),
            set_by: "teach".into(),
            set_at_ms: 7,
            expires_ms: Some(99),
            updated_ms: 8,
            deleted: false,
        });
        let args = put_args(&record, false);
        assert_eq!(args[..4], ["put", "8", "0", "99"]);
        assert_eq!(args[4..6], ["kind", "mask"]);
        assert_eq!(put_args(&record, true)[0], "create");
    }
}
