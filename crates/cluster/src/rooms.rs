//! Room channels. What is said in a room crosses on the room's own channel, which a node
//! listens to only while one of its users is in the room, so a node hears no room it has
//! nobody in; everything else (names, joins, parts, topics, modes, direct messages,
//! redactions) crosses on the control channel that every node hears, so every node still
//! knows every room and member. A room's messages are also appended to the room's capped
//! stream in Redis: a node that starts listening to a room fills its history from it
//! first, so history read on any node is the room's whole recent history.

use std::sync::Arc;
use std::time::Duration;

use confab_core::{Event, EventKind, MsgId, Name, Routed, Target};
use redis::aio::MultiplexedConnection;
use redis::RedisResult;
use tokio::time::Instant;

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
            Some(_) => {}
            None => one = Some(room),
        }
    }
    one
}

/// The room whose stream keeps a verb's events: a message said in it, a redaction of one
/// (which a node filling its history then applies after the message it takes back), or
/// its renaming (after which the stream moves to the new name).
pub(crate) fn history_of(batch: &[Routed]) -> Option<&Name> {
    batch.iter().find_map(|routed| match routed.event.kind() {
        // A message for a rank of members alone (IRC STATUSMSG) is not history.
        EventKind::Said {
            room, rank: None, ..
        }
        | EventKind::RoomRenamed { old: room, .. }
        | EventKind::Redacted {
            target: Target::Room(room),
            ..
        } => Some(room),
        _ => None,
    })
}

/// The rooms a verb's events seat someone in (a join, or a room renamed under its
/// members): this node's users, as every verb the link publishes is this node's.
pub(crate) fn joined(batch: &[Routed]) -> impl Iterator<Item = &Name> {
    batch.iter().filter_map(|routed| match routed.event.kind() {
        EventKind::Joined { room, .. } | EventKind::RoomRenamed { new: room, .. } => Some(room),
        _ => None,
    })
}

/// A room renamed by a verb's events: its old and new names.
pub(crate) fn renamed(batch: &[Routed]) -> Option<(&Name, &Name)> {
    batch.iter().find_map(|routed| match routed.event.kind() {
        EventKind::RoomRenamed { old, new, .. } => Some((old, new)),
        _ => None,
    })
}

/// Moves a room's stream to its new name (unless one is there already: two rooms renamed
/// to one name keep the stream of the first), so its history follows it; the rename is
/// kept last in the stream, so a node filling its history moves what came before.
const MOVE_HISTORY: &str = r"
if redis.call('EXISTS', KEYS[1]) == 1 and redis.call('EXISTS', KEYS[2]) == 0 then
  redis.call('RENAME', KEYS[1], KEYS[2])
  return 1
end
return 0";

/// Adds to `pipe` the move of `old`'s stream to `new`.
pub(crate) fn move_history_in(pipe: &mut redis::Pipeline, old: &Name, new: &Name) {
    pipe.cmd("EVAL")
        .arg(MOVE_HISTORY)
        .arg(2)
        .arg(keys::room_history(old))
        .arg(keys::room_history(new))
        .ignore();
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

    /// Delivers what other nodes said in a room that was just renamed under this node's
    /// users, after the rename (`after`) and before this node listened to the room's new
    /// channel: read from the room's stream, each message once (what arrives on the
    /// channel as well is known by its number and dropped).
    pub(crate) async fn catch_up(
        &mut self,
        conn: &mut MultiplexedConnection,
        room: &Name,
        after: MsgId,
    ) -> RedisResult<()> {
        let channel = keys::room_channel(room);
        let mut entries = self.stream_of(conn, room).await?.into_iter();
        // Nothing before the rename itself; if it is not in the stream, nothing at all.
        let renamed = |e: &Envelope| match &e.body {
            Body::Events(batch) => batch.iter().any(|w| w.0.msgid() == after),
            _ => false,
        };
        if !entries.by_ref().any(|e| renamed(&e)) {
            return Ok(());
        }
        for envelope in entries {
            if envelope.node == self.node || !self.count_gap(&channel, &envelope) {
                continue;
            }
            if let Body::Events(batch) = envelope.body {
                let events = batch.into_iter().map(|e| e.0).collect();
                let routed = self.hub.apply_remote(envelope.node, events);
                self.next.forward(routed);
            }
        }
        Ok(())
    }

    /// The envelopes in `room`'s stream, oldest first (bad entries dropped and counted).
    async fn stream_of(
        &mut self,
        conn: &mut MultiplexedConnection,
        room: &Name,
    ) -> RedisResult<Vec<Envelope>> {
        let entries: Vec<StreamEntry> = redis::cmd("XREVRANGE")
            .arg(keys::room_history(room))
            .arg("+")
            .arg("-")
            .arg("COUNT")
            .arg(HISTORY_MAX)
            .query_async(conn)
            .await?;
        let mut envelopes = Vec::with_capacity(entries.len());
        for (_, fields) in entries.iter().rev() {
            for (_, payload) in fields {
                match Envelope::decode(payload) {
                    Ok(envelope) => envelopes.push(envelope),
                    Err(error) => {
                        ClusterStats::add(&self.stats.refused, 1);
                        tracing::warn!(%room, %error, "dropped an entry of a room's history stream");
                    }
                }
            }
        }
        Ok(envelopes)
    }

    /// Hands the store the room's latest messages from its stream, oldest first; the
    /// store keeps each message once however often it is handed one, and takes back
    /// what a redaction in the stream took back.
    pub(crate) async fn fill_history(
        &mut self,
        conn: &mut MultiplexedConnection,
        room: &Name,
    ) -> RedisResult<()> {
        let mut events: Vec<Arc<Event>> = Vec::new();
        for envelope in self.stream_of(conn, room).await? {
            match envelope.body {
                Body::Events(batch) => events.extend(batch.into_iter().map(|e| e.0)),
                _ => {
                    ClusterStats::add(&self.stats.refused, 1);
                    tracing::warn!(%room, "dropped an entry of a room's history stream");
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

/// How often a node pushes back the expiry of a room's stream it adds to: once an hour
/// is plenty against 30 days, and spares Redis a command per message.
const EXPIRY_RENEWED_EVERY: Duration = Duration::from_secs(3600);

impl Link {
    /// Adds to `pipe` the keeping of `payload` in `room`'s stream, and pushes back the
    /// stream's expiry when this node has not done so for an hour.
    pub(crate) fn keep_in(&mut self, pipe: &mut redis::Pipeline, room: &Name, payload: &[u8]) {
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
        let now = Instant::now();
        let due = match self.expiry_renewed.get(&key) {
            Some(at) => now.duration_since(*at) >= EXPIRY_RENEWED_EVERY,
            None => true,
        };
        if due {
            pipe.cmd("EXPIRE").arg(&key).arg(HISTORY_KEPT_SECS).ignore();
            self.expiry_renewed.insert(key, now);
        }
    }
}

fn not_connected() -> redis::RedisError {
    let error = std::io::Error::new(std::io::ErrorKind::NotConnected, "no subscription");
    redis::RedisError::from(error)
}

#[cfg(test)]
mod tests {
    use super::*;
    use confab_core::{Peer, Rank, Text, Tone};

    fn n(name: &str) -> Name {
        Name::parse(name, 32).unwrap()
    }

    fn routed(kind: EventKind) -> Routed {
        Routed::new(Event::new(MsgId::new(1, 1, 1), None, kind), Vec::new())
    }

    fn said(room: &str, rank: Option<Rank>) -> Routed {
        routed(EventKind::Said {
            room: n(room),
            from: Peer::classroom(n("amy"), "rooms"),
            text: Text::new("hi"),
            tone: Tone::Chat,
            client_tags: None,
            lines: None,
            rank,
        })
    }

    fn joined(room: &str) -> Routed {
        routed(EventKind::Joined {
            room: n(room),
            who: Peer::classroom(n("amy"), "rooms"),
            op: false,
        })
    }

    #[test]
    fn one_room_s_messages_cross_on_its_channel_and_anything_else_on_the_control_one() {
        assert_eq!(channel_of(&[said("c", None)]), Some(&n("c")));
        // A room's name in any case is one room.
        assert_eq!(
            channel_of(&[said("c", None), said("C", None)]),
            Some(&n("c"))
        );
        assert_eq!(channel_of(&[said("c", None), said("d", None)]), None);
        assert_eq!(channel_of(&[said("c", None), joined("c")]), None);
        assert_eq!(channel_of(&[joined("c")]), None);
        assert_eq!(channel_of(&[]), None);
    }

    #[test]
    fn a_room_s_stream_keeps_its_messages_but_not_those_for_a_rank() {
        assert_eq!(history_of(&[said("c", None)]), Some(&n("c")));
        assert_eq!(history_of(&[said("c", Some(Rank::Op))]), None);
        assert_eq!(history_of(&[joined("c")]), None);
        let batch = [joined("c"), said("d", None)];
        let rooms: Vec<&Name> = super::joined(&batch).collect();
        assert_eq!(rooms, [&n("c")]);
    }

    #[test]
    fn room_channels_and_streams_are_named_for_one_shard_per_room() {
        assert_eq!(keys::room_channel(&n("Chat")), "confab:room:{chat}");
        assert_eq!(keys::room_history(&n("Chat")), "confab:history:{chat}");
    }
}
