//! What a node keeps in Redis besides the channels: its lease (`confab:node:N`, holding a
//! token of this run, so a second process with the same number is refused) and the
//! claims on its users' names (`confab:name:<folded name>`, holding the node's number),
//! each with an expiry the node renews; and each room's latest messages, in a capped
//! stream (`confab:history:{<room>}`). A node killed outright stops renewing: its lease
//! and claims run out, and the other nodes forget it.

use std::time::Duration;

use confab_core::Name;
use redis::aio::MultiplexedConnection;
use redis::{RedisResult, Script};

/// The control channel every node publishes on and listens to: everything but the
/// messages said in rooms, which cross on their room's channel.
pub const CHANNEL: &str = "confab:events";
/// The counter that hands out node numbers.
const NODE_COUNTER: &str = "confab:nodes";

pub fn node_key(node: u16) -> String {
    format!("confab:node:{node}")
}

pub fn name_key(name: &Name) -> String {
    format!("confab:name:{}", name.folded().as_str())
}

/// The channel of one room's messages, which a node listens to while one of its users is
/// in the room. The braces make the room a Redis Cluster hash tag, so a room's channel
/// and its history stream would live on one shard.
pub fn room_channel(room: &Name) -> String {
    format!("confab:room:{{{}}}", room.as_str().to_ascii_lowercase())
}

/// The stream that keeps a room's latest messages (and redactions), for a node that
/// starts listening to the room to fill its history from.
pub fn room_history(room: &Name) -> String {
    format!("confab:history:{{{}}}", room.as_str().to_ascii_lowercase())
}

fn millis(lease: Duration) -> u64 {
    u64::try_from(lease.as_millis()).unwrap_or(u64::MAX)
}

/// Renews a key's expiry if it still holds `value`: 1, or 0 if it holds something else
/// or nothing.
const RENEW: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0";

/// Deletes a key if it still holds `value`.
pub const RELEASE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0";

/// A key holds `value` for `lease` unless it holds something else: `true` if it is
/// ours now (taken, or ours already and renewed).
pub async fn claim(
    conn: &mut MultiplexedConnection,
    key: &str,
    value: &str,
    lease: Duration,
) -> RedisResult<bool> {
    let set: Option<String> = redis::cmd("SET")
        .arg(key)
        .arg(value)
        .arg("NX")
        .arg("PX")
        .arg(millis(lease))
        .query_async(conn)
        .await?;
    if set.is_some() {
        return Ok(true);
    }
    renew(conn, key, value, lease).await
}

/// Claims a name for node `value`, taking it over from a node whose lease has run out
/// (its claim may outlive the lease by a moment): `true` if it is this node's now.
pub async fn claim_name(
    conn: &mut MultiplexedConnection,
    key: &str,
    value: &str,
    lease: Duration,
) -> RedisResult<bool> {
    if claim(conn, key, value, lease).await? {
        return Ok(true);
    }
    let holder: Option<String> = redis::cmd("GET").arg(key).query_async(conn).await?;
    let Some(holder) = holder.and_then(|h| h.parse::<u16>().ok()) else {
        return claim(conn, key, value, lease).await;
    };
    if node_alive(conn, holder).await? {
        return Ok(false);
    }
    let _: () = redis::cmd("SET")
        .arg(key)
        .arg(value)
        .arg("PX")
        .arg(millis(lease))
        .query_async(conn)
        .await?;
    Ok(true)
}

/// Renews a key that holds `value`; `false` if it no longer does.
pub async fn renew(
    conn: &mut MultiplexedConnection,
    key: &str,
    value: &str,
    lease: Duration,
) -> RedisResult<bool> {
    let renewed: i64 = Script::new(RENEW)
        .key(key)
        .arg(value)
        .arg(millis(lease))
        .invoke_async(conn)
        .await?;
    Ok(renewed == 1)
}

/// Renews every claim in one round trip: the indices of the keys that are not ours any
/// more.
pub async fn renew_all(
    conn: &mut MultiplexedConnection,
    keys: &[String],
    value: &str,
    lease: Duration,
) -> RedisResult<Vec<usize>> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let sha: String = redis::cmd("SCRIPT")
        .arg("LOAD")
        .arg(RENEW)
        .query_async(conn)
        .await?;
    let mut pipe = redis::pipe();
    for key in keys {
        pipe.cmd("EVALSHA")
            .arg(&sha)
            .arg(1)
            .arg(key)
            .arg(value)
            .arg(millis(lease));
    }
    let renewed: Vec<i64> = pipe.query_async(conn).await?;
    Ok(renewed
        .iter()
        .enumerate()
        .filter(|(_, &r)| r != 1)
        .map(|(i, _)| i)
        .collect())
}

/// Whether `node`'s lease is held.
pub async fn node_alive(conn: &mut MultiplexedConnection, node: u16) -> RedisResult<bool> {
    redis::cmd("EXISTS")
        .arg(node_key(node))
        .query_async(conn)
        .await
}

/// A free node number: the counter's next value (1-65535), taken if its lease is free;
/// up to `tries` numbers are tried.
pub async fn take_free_node(
    conn: &mut MultiplexedConnection,
    token: &str,
    lease: Duration,
    tries: usize,
) -> RedisResult<Option<u16>> {
    for _ in 0..tries {
        let next: u64 = redis::cmd("INCR")
            .arg(NODE_COUNTER)
            .query_async(conn)
            .await?;
        let node = u16::try_from(next % 65_535 + 1).unwrap_or(1);
        if claim(conn, &node_key(node), token, lease).await? {
            return Ok(Some(node));
        }
    }
    Ok(None)
}

/// The numbers of every node whose lease is held now.
pub async fn live_nodes(conn: &mut MultiplexedConnection) -> RedisResult<Vec<u16>> {
    let keys = scan(conn, "confab:node:").await?;
    let mut nodes: Vec<u16> = keys
        .iter()
        .filter_map(|k| k.strip_prefix("confab:node:")?.parse::<u16>().ok())
        .collect();
    nodes.sort_unstable();
    nodes.dedup();
    Ok(nodes)
}

/// Every key that starts with `prefix`, sorted, each once (`SCAN` may give one twice).
pub async fn scan(conn: &mut MultiplexedConnection, prefix: &str) -> RedisResult<Vec<String>> {
    let mut keys = Vec::new();
    let mut cursor: u64 = 0;
    // Bounded: a keyspace of a million keys is a thousand rounds at most.
    for _ in 0..10_000 {
        let (next, found): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(format!("{prefix}*"))
            .arg("COUNT")
            .arg(1000)
            .query_async(conn)
            .await?;
        keys.extend(found);
        if next == 0 {
            break;
        }
        cursor = next;
    }
    keys.sort_unstable();
    keys.dedup();
    Ok(keys)
}
