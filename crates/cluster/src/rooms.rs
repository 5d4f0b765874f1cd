//! Room channels. What is said in a room crosses on the room's own channel, which a node
//! listens to only while one of its users is in the room, so a node hears no room it has
//! nobody in; everything else (names, joins, parts, topics, modes, direct messages,
//! redactions) crosses on the control channel that every node hears, so every node still
//! knows every room and member. A room's messages are also appended to the room's capped
//! stream in Redis: a node that starts listening to a room fills its history from it
//! first, so history read on any node is the room's whole recent history.

use std::sync::Arc;

use confab_core::{Event, EventKind, Name, Routed, Target};
use redis::aio::MultiplexedConnection;
use redis::RedisResult;

use crate::keys;
use crate::link::Link;
use crate::stats::ClusterStats;
use crate::wire::{Body, Envelope};

/// How many of a room's latest messages its stream keeps (about: Redis trims whole
/// nodes of the stream, `MAXLEN ~`), and so how far back a node's history of a room it
/// starts listening to reaches.
pub const HISTORY_MAX: usize = 1000;

/// One entry of a room's stream as `XREVRANGE` gives it: its id and its fields (one, `e`:
/// the envelope as it was published).
type StreamEntry = (String, Vec<(String, Vec<u8>)>);

/// The room whose channel a verb's events cross on: one room's messages and nothing
/// else; `None` for the control channel.
pub(crate) fn channel_of(batch: &[Routed]) -> Option<&Name> {
    let mut one: Option<&Name> = None;
    for routed in batch {
        let room = match routed.event.kind() {
            EventKind::Said { room, .. }
            | EventKind::Tagged {
                to: Target::Room(room),
                ..
            } => room,
            _ => return None,
        };
        match one {
            Some(seen) if seen.folded() != room.folded() => return None,
            _ => one = Some(room),
        }
    }
    one
}

/// The room whose stream keeps a verb's events: a message said in it, or a redaction of
/// one (which a node filling its history then applies after the message it takes back).
pub(crate) fn history_of(batch: &[Routed]) -> Option<&Name> {
    batch.iter().find_map(|routed| match routed.event.kind() {
        EventKind::Said { room, .. }
        | EventKind::Redacted {
            target: Target::Room(room),
            ..
        } => Some(room),
        _ => None,
    })
}

/// The rooms a verb's events seat someone in: this node's users, as every verb the link
/// publishes is this node's.
pub(crate) fn joined(batch: &[Routed]) -> impl Iterator<Item = &Name> {
    batch.iter().filter_map(|routed| match routed.event.kind() {
        EventKind::Joined { room, .. } => Some(room),
        _ => None,
    })
}

impl Link {
    /// Listens to the channels of the rooms this node's users are in and to no other:
    /// at (re)connection, and every second for what changed (the last local member of a
    /// room left, was kicked, quit; a join is listened for at once, in `publish`).
    pub(crate) async fn follow_rooms(
        &mut self,
        conn: &mut MultiplexedConnection,
    ) -> RedisResult<()> {
        let wanted = self.hub.local_rooms();
        let wanted_channels: std::collections::HashSet<String> =
            wanted.iter().map(keys::room_channel).collect();
        let gone: Vec<String> = (self.listening.keys())
            .filter(|channel| !wanted_channels.contains(*channel))
            .cloned()
            .collect();
        for channel in gone {
            self.stop_listening(&channel).await?;
        }
        for room in &wanted {
            self.listen(conn, room).await?;
        }
        Ok(())
    }

    /// Starts listening to `room`'s channel, unless it already does, and then fills this
    /// node's history of the room from its stream.
    pub(crate) async fn listen(
        &mut self,
        conn: &mut MultiplexedConnection,
        room: &Name,
    ) -> RedisResult<()> {
        let channel = keys::room_channel(room);
        if self.listening.contains_key(&channel) {
            return Ok(());
        }
        let Some(sink) = self.sink.as_mut() else {
            return Err(not_connected());
        };
        sink.subscribe(&channel).await?;
        self.listening.insert(channel, room.clone());
        self.stats.set_rooms(self.listening.len());
        self.fill_history(conn, room).await
    }

    /// Stops listening to a room channel; what this node said there and has not heard
    /// back yet is delivered now.
    async fn stop_listening(&mut self, channel: &str) -> RedisResult<()> {
        let Some(sink) = self.sink.as_mut() else {
            return Err(not_connected());
        };
        sink.unsubscribe(channel).await?;
        self.listening.remove(channel);
        self.heard.remove(channel);
        if let Some(pending) = self.pending.remove(channel) {
            pending
                .into_iter()
                .for_each(|(_, _, routed)| self.next.forward(routed));
        }
        self.stats.set_rooms(self.listening.len());
        Ok(())
    }

    /// Hands the store the room's latest messages from its stream, oldest first; the
    /// store keeps each message once however often it is handed one, and takes back
    /// what a redaction in the stream took back.
    pub(crate) async fn fill_history(
        &mut self,
        conn: &mut MultiplexedConnection,
        room: &Name,
    ) -> RedisResult<()> {
        let entries: Vec<StreamEntry> = redis::cmd("XREVRANGE")
            .arg(keys::room_history(room))
            .arg("+")
            .arg("-")
            .arg("COUNT")
            .arg(HISTORY_MAX)
            .query_async(conn)
            .await?;
        let mut events: Vec<Arc<Event>> = Vec::new();
        for (_, fields) in entries.iter().rev() {
            for (_, payload) in fields {
                match Envelope::decode(payload) {
                    Ok(Envelope {
                        body: Body::Events(batch),
                        ..
                    }) => events.extend(batch.into_iter().map(|e| e.0)),
                    Ok(_) | Err(_) => {
                        ClusterStats::add(&self.stats.refused, 1);
                        tracing::warn!(%room, "dropped an entry of a room's history stream");
                    }
                }
            }
        }
        ClusterStats::add(&self.stats.filled, events.len() as u64);
        let routed = events
            .into_iter()
            .map(|e| Routed::new(e, Vec::new()))
            .collect();
        self.next.forward(routed);
        Ok(())
    }
}

/// How long a room's stream outlives its last message: rooms come and go, and a stream
/// nobody adds to would otherwise stay in Redis's memory for good.
pub const HISTORY_KEPT_SECS: u64 = 30 * 24 * 3600;

/// Adds to `pipe` the keeping of `payload` in `room`'s stream.
pub(crate) fn keep_in(pipe: &mut redis::Pipeline, room: &Name, payload: &[u8]) {
    let key = keys::room_history(room);
    pipe.cmd("XADD")
        .arg(&key)
        .arg("MAXLEN")
        .arg("~")
        .arg(HISTORY_MAX)
        .arg("*")
        .arg("e")
        .arg(payload)
        .ignore();
    pipe.cmd("EXPIRE").arg(&key).arg(HISTORY_KEPT_SECS).ignore();
}

fn not_connected() -> redis::RedisError {
    let error = std::io::Error::new(std::io::ErrorKind::NotConnected, "no subscription");
    redis::RedisError::from(error)
}
