//! Events: what the hub tells recipients, shared by all of them behind one `Arc`.
//!
//! An event is addressed, not resolved: it names its audience (a room, several rooms, a
//! user: [`EventKind::audience`]) and carries its id, time and author, so it can be stored,
//! sent to another node and routed to whoever is a member when it arrives. It serialises
//! (serde) without its render cache.
//!
//! An event caches its rendered bytes per wire format ([`RenderSlot`]), so a room message
//! going to 500 members of one protocol is rendered once and its bytes shared.

mod kind;
mod modes;
mod peer;

pub use kind::{Audience, Departure, EventKind, Target, Tone};
pub use modes::{ChannelFlag, ModeChange, Rank};
pub use peer::Peer;

use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::msgid::MsgId;
use crate::session::SessionId;
use crate::text::Text;

/// How many distinct wire formats can cache a rendering of one event: as many as
/// `confab_proto`'s protocol registry counts (the server checks the two agree when it
/// compiles; the core knows no protocol).
pub const RENDER_SLOTS: usize = 10;

/// One wire format's place in an event's render cache. The server assigns the numbers,
/// from the protocol registry; the core only keeps the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RenderSlot(usize);

impl RenderSlot {
    /// # Panics
    /// If `index` is not below [`RENDER_SLOTS`]: slots are fixed at compile time by the server.
    pub const fn new(index: usize) -> RenderSlot {
        assert!(index < RENDER_SLOTS, "render slot out of range");
        RenderSlot(index)
    }
}

/// An addressed event: what happened, its id, when, by which session, and its
/// per-format render cache.
#[derive(Debug)]
pub struct Event {
    msgid: MsgId,
    at: SystemTime,
    author: Option<SessionId>,
    kind: EventKind,
    rendered: [OnceLock<Bytes>; RENDER_SLOTS],
}

/// Now, to the microsecond: the precision an event keeps when stored or sent, so an event
/// read back is the event that was made.
pub fn now() -> SystemTime {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    UNIX_EPOCH + Duration::from_micros(u64::try_from(since.as_micros()).unwrap_or(u64::MAX))
}

/// An event as it is stored and sent between nodes: everything but the render cache,
/// the time in Unix microseconds.
#[derive(Serialize, Deserialize)]
struct Wire<K> {
    msgid: MsgId,
    at_micros: u64,
    author: Option<SessionId>,
    kind: K,
}

impl Event {
    /// An event made now, by `author` (the session whose verb made it, kept out of room
    /// audiences), with its id.
    pub fn new(msgid: MsgId, author: Option<SessionId>, kind: EventKind) -> Arc<Event> {
        Event::at_time(msgid, now(), author, kind)
    }

    /// An event made at `at`: one read back from history or another node keeps its time.
    pub fn at_time(
        msgid: MsgId,
        at: SystemTime,
        author: Option<SessionId>,
        kind: EventKind,
    ) -> Arc<Event> {
        Arc::new(Event {
            msgid,
            at,
            author,
            kind,
            rendered: Default::default(),
        })
    }

    pub fn kind(&self) -> &EventKind {
        &self.kind
    }

    pub fn msgid(&self) -> MsgId {
        self.msgid
    }

    /// The session whose verb made the event, on the node that made it (`msgid().node()`).
    pub fn author(&self) -> Option<SessionId> {
        self.author
    }

    /// When the event happened. Every recipient sees the same time (IRC's server-time tag),
    /// whenever its writer gets to render the event.
    pub fn at(&self) -> SystemTime {
        self.at
    }

    /// The event's bytes in one wire format, rendered by the first recipient that asks
    /// and shared by every later one: borrowed, so a recipient copies them into its write
    /// buffer without touching a reference count that every other recipient's thread
    /// touches too.
    pub fn rendered(&self, slot: RenderSlot, render: impl FnOnce(&EventKind) -> Bytes) -> &[u8] {
        self.rendered[slot.0].get_or_init(|| render(&self.kind))
    }

    /// Serialises the event (not its render cache) with `serializer`.
    pub fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let at_micros = self
            .at
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX));
        Wire {
            msgid: self.msgid,
            at_micros,
            author: self.author,
            kind: &self.kind,
        }
        .serialize(serializer)
    }

    /// Reads back an event written by [`Event::serialize`], with its original time.
    pub fn deserialize<'de, D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Arc<Event>, D::Error> {
        let wire = Wire::<EventKind>::deserialize(deserializer)?;
        let at = UNIX_EPOCH + Duration::from_micros(wire.at_micros);
        Ok(Event::at_time(wire.msgid, at, wire.author, wire.kind))
    }

    /// About how many bytes this event takes in a recipient's outbox: the text plus names
    /// plus a margin for the protocol's framing. Outbox limits count this.
    pub fn cost(&self) -> usize {
        const FRAMING: usize = 64;
        let text = match &self.kind {
            EventKind::Said {
                text, client_tags, ..
            }
            | EventKind::Direct {
                text, client_tags, ..
            } => text.len() + client_tags.as_ref().map_or(0, |t| t.len()),
            EventKind::Tagged { client_tags, .. } => client_tags.as_ref().map_or(0, |t| t.len()),
            EventKind::Left { how, .. } | EventKind::Quit { how, .. } => match how {
                Departure::Parted { reason } | Departure::Quit { reason } => {
                    reason.as_ref().map_or(0, Text::len)
                }
                Departure::Lost => 0,
                Departure::Removed { reason } => reason.len(),
            },
            EventKind::TopicChanged { topic, .. } => topic.as_ref().map_or(0, Text::len),
            EventKind::Kicked { reason, .. } => reason.as_ref().map_or(0, Text::len),
            EventKind::Wallops { text, .. } => text.len(),
            EventKind::AwayChanged { away, .. } => away.as_ref().map_or(0, Text::len),
            EventKind::Redacted { reason, .. } => reason.as_ref().map_or(0, Text::len),
            EventKind::RoomRenamed { reason, roster, .. } => {
                reason.as_ref().map_or(0, Text::len) + roster.cost()
            }
            EventKind::ModesChanged { changes, .. } => changes.len() * 40,
            _ => 0,
        };
        // Names are at most 32 bytes each and an event carries at most three.
        FRAMING + 96 + text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::name::Name;
    use std::cell::Cell;

    fn n(name: &str) -> Name {
        Name::parse(name, 20).unwrap()
    }

    #[test]
    fn renders_once_per_slot_and_shares_the_bytes() {
        let from = Peer::classroom(n("A"), "prefixed");
        let kind = EventKind::Direct {
            from,
            to: n("B"),
            text: Text::new("hi"),
            tone: Tone::Chat,
            client_tags: None,
            lines: None,
            to_account: None,
            waiting: false,
        };
        let event = Event::new(MsgId::new(1, 0, 0), None, kind);
        let calls = Cell::new(0);
        let render = |_: &EventKind| {
            calls.set(calls.get() + 1);
            Bytes::from_static(b"A sent hi")
        };
        let first = event.rendered(RenderSlot::new(1), render);
        let second = event.rendered(RenderSlot::new(1), render);
        assert_eq!(calls.get(), 1);
        assert_eq!(first.as_ptr(), second.as_ptr());
        event.rendered(RenderSlot::new(2), render);
        assert_eq!(calls.get(), 2);
    }

    #[test]
    fn an_event_read_back_keeps_its_id_time_author_and_kind() {
        let at = UNIX_EPOCH + Duration::from_micros(1_765_000_000_123_456);
        let kind = EventKind::Said {
            room: n("lobby"),
            from: Peer {
                user: Some(Arc::from("u")),
                realname: Some(Arc::from("Real Name")),
                account: Some(n("Amy")),
                bot: true,
                ..Peer::classroom(n("amy"), "irc")
            },
            text: Text::new("hello"),
            tone: Tone::Notice,
            client_tags: Some(Arc::from("+draft/react=x")),
            lines: None,
            rank: Some(Rank::Voice),
        };
        let event = Event::at_time(MsgId::new(9, 2, 3), at, Some(SessionId(7)), kind.clone());
        let json = event.serialize(serde_json::value::Serializer).unwrap();
        let back = Event::deserialize(json).unwrap();
        assert_eq!(back.msgid(), MsgId::new(9, 2, 3));
        assert_eq!(back.at(), at);
        assert_eq!(back.author(), Some(SessionId(7)));
        assert_eq!(back.kind(), &kind);
    }

    #[test]
    fn a_peer_stored_before_bot_mode_reads_as_no_bot_and_a_non_bot_stores_no_flag() {
        let json = serde_json::json!({
            "name": "b", "origin": "irc", "user": null, "host": "h", "realname": null});
        let peer = Peer::deserialize(json.clone()).unwrap();
        assert!(!peer.bot);
        assert_eq!(
            serde_json::to_value(&peer).unwrap()["bot"],
            serde_json::Value::Null
        );
        let bot = Peer { bot: true, ..peer };
        assert_eq!(serde_json::to_value(&bot).unwrap()["bot"], true);
    }

    #[test]
    fn a_bad_name_in_a_serialised_event_is_refused() {
        let json = serde_json::json!({
            "msgid": "01HF7YAT3V003G00000000001A", "at_micros": 0, "author": null,
            "kind": {"Invited": {"room": "ok", "target": "no spaces", "by": {
                "name": "b", "origin": "irc", "user": null, "host": "h", "realname": null}}}
        });
        assert!(Event::deserialize(json).is_err());
    }

    #[test]
    fn audiences_name_rooms_and_users() {
        let amy = Peer::classroom(n("amy"), "rooms");
        let kick = EventKind::Kicked {
            room: n("r"),
            by: amy.clone(),
            target: Peer::classroom(n("bob"), "irc"),
            reason: None,
        };
        assert_eq!(kick.audience(), Audience::RoomAnd(&n("r"), &n("bob")));
        let rooms: Arc<[Name]> = Arc::from(vec![n("a"), n("b")]);
        let quit = EventKind::Quit {
            who: amy.clone(),
            how: Departure::Lost,
            rooms: rooms.clone(),
        };
        assert_eq!(quit.audience(), Audience::Rooms(&rooms));
        let tagged = EventKind::Tagged {
            from: amy.clone(),
            to: Target::User(n("c")),
            client_tags: None,
            to_account: None,
            rank: None,
        };
        assert_eq!(tagged.audience(), Audience::User(&n("c")));
        let to_ops = EventKind::Tagged {
            from: amy,
            to: Target::Room(n("r")),
            client_tags: None,
            to_account: None,
            rank: Some(Rank::Op),
        };
        assert_eq!(to_ops.audience(), Audience::RoomRank(&n("r"), Rank::Op));
        assert!(Rank::Voice.admits(false, true) && !Rank::Op.admits(false, true));
    }
}
