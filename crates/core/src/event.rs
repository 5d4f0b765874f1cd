//! Events: what the hub tells recipients, shared by all of them behind one `Arc`.
//!
//! An event is addressed, not resolved: it names its audience (a room, several rooms, a
//! user: [`EventKind::audience`]) and carries its id, time and author, so it can be stored,
//! sent to another node and routed to whoever is a member when it arrives. It serialises
//! (serde) without its render cache.
//!
//! An event caches its rendered bytes per wire format ([`RenderSlot`]), so a room message
//! going to 500 members of one protocol is rendered once and its bytes shared.

use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::lines::Lines;
use crate::mask::Mask;
use crate::msgid::MsgId;
use crate::name::Name;
use crate::roster::Roster;
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

/// Who did something, as others see them: the name, the protocol they came with, and the
/// `user@host` IRC shows (classroom users appear as `name!name@<origin>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Peer {
    pub name: Name,
    pub origin: &'static str,
    /// The IRC user name; `None` means the same as the name.
    pub user: Option<Arc<str>>,
    pub host: Arc<str>,
    /// The IRC real name (USER's last parameter); `None` for classroom users. IRC's
    /// extended-join shows it on every JOIN.
    pub realname: Option<Arc<str>>,
    /// The account the user was logged in to when the event was made (IRC's
    /// `account-tag` and `extended-join` show it); `None` when not logged in.
    pub account: Option<Name>,
    /// Whether the user had marked themself a bot (IRC user mode `+B`; IRC's `bot` tag
    /// shows it). Left out of what is stored when false, as most are.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub bot: bool,
}

impl Peer {
    /// A classroom user: `name!name@origin`.
    pub fn classroom(name: Name, origin: &'static str) -> Peer {
        Peer {
            name,
            origin,
            user: None,
            host: Arc::from(origin),
            realname: None,
            account: None,
            bot: false,
        }
    }

    pub fn user(&self) -> &str {
        self.user.as_deref().unwrap_or(self.name.as_str())
    }

    /// The real name, or the name when none was given.
    pub fn realname(&self) -> &str {
        self.realname.as_deref().unwrap_or(self.name.as_str())
    }
}

/// A [`Peer`] as it is read back: its protocol's name owned, until [`intern`] gives the
/// `&'static str` that a peer carries.
#[derive(Deserialize)]
struct PeerWire {
    name: Name,
    origin: String,
    user: Option<Arc<str>>,
    host: Arc<str>,
    realname: Option<Arc<str>>,
    /// Absent from events stored before accounts existed.
    #[serde(default)]
    account: Option<Name>,
    /// Absent from events stored before bot mode existed, and from every non-bot's.
    #[serde(default)]
    bot: bool,
}

impl<'de> Deserialize<'de> for Peer {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Peer, D::Error> {
        let wire = PeerWire::deserialize(deserializer)?;
        Ok(Peer {
            name: wire.name,
            origin: intern(&wire.origin),
            user: wire.user,
            host: wire.host,
            realname: wire.realname,
            account: wire.account,
            bot: wire.bot,
        })
    }
}

/// A protocol's name as a `&'static str`. A stored or remote event names few (one per
/// protocol), so each distinct one is kept once for the life of the process; past a small
/// bound an unknown one reads as `"unknown"`, so a hostile peer cannot make it keep more.
fn intern(text: &str) -> &'static str {
    const KEPT_MAX: usize = 64;
    static KEPT: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());
    let mut kept = KEPT.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(&known) = kept.iter().find(|&&k| k == text) {
        return known;
    }
    if kept.len() >= KEPT_MAX {
        return "unknown";
    }
    let leaked: &'static str = Box::leak(text.to_owned().into_boxed_str());
    kept.push(leaked);
    leaked
}

/// How someone left a room or the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Departure {
    /// Left the room but stays connected (IRC PART, a rooms user switching rooms).
    Parted { reason: Option<Text> },
    /// Left the server on purpose (`bye`, `/logout`, `EXIT`, IRC QUIT).
    Quit { reason: Option<Text> },
    /// The connection was lost: reset, EOF without goodbye, timeout or a full outbox.
    Lost,
    /// Put out by a server operator, or by the server (a node of the cluster lost), with
    /// the reason as shown: `Killed (teach (spam))`, `Node lost`
    /// (never `Quit: ...`, so no user's own quit message can pass for one).
    Removed { reason: Text },
}

/// Whether a message is ordinary talk or a notice (IRC NOTICE: never answered by bots).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Tone {
    #[default]
    Chat,
    Notice,
}

/// A channel flag (IRC modes `n t m s i C`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ChannelFlag {
    /// `+n`: only members may speak in the room.
    NoExternal,
    /// `+t`: only operators may set the topic.
    TopicLock,
    /// `+m`: only operators and voiced members may speak.
    Moderated,
    /// `+s`: the room is hidden from lists and from non-members' queries.
    Secret,
    /// `+i`: joining needs an invitation.
    InviteOnly,
    /// `+C`: client-to-client queries (CTCP) other than actions may not be said in the
    /// room, except by its operators and voiced members.
    NoCtcp,
}

/// One change to a room's modes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ModeChange {
    Flag {
        flag: ChannelFlag,
        on: bool,
    },
    /// `+k key` / `-k`.
    Key(Option<String>),
    /// `+l n` / `-l`.
    Limit(Option<usize>),
    Op {
        on: bool,
        who: Name,
    },
    Voice {
        on: bool,
        who: Name,
    },
    Ban {
        on: bool,
        mask: Mask,
    },
    /// `+e mask` / `-e mask`: a ban exception (whoever matches it is not banned).
    Except {
        on: bool,
        mask: Mask,
    },
    /// `+I mask` / `-I mask`: an invite exception (whoever matches it joins an
    /// invitation-only room uninvited).
    InviteExcept {
        on: bool,
        mask: Mask,
    },
    /// `+q mask` / `-q mask`: a mute (whoever matches it may not speak).
    Quiet {
        on: bool,
        mask: Mask,
    },
    /// An exception from mutes (IRC `+e m:mask`): whoever matches it may speak though a
    /// mute matches them too.
    QuietExcept {
        on: bool,
        mask: Mask,
    },
    /// `+f seconds` / `-f`: slow mode, one message per member per that many seconds.
    Slow(Option<u32>),
}

impl ModeChange {
    /// Whether the change sets (`+`) or clears (`-`) its mode.
    pub fn is_on(&self) -> bool {
        match self {
            ModeChange::Flag { on, .. }
            | ModeChange::Op { on, .. }
            | ModeChange::Voice { on, .. }
            | ModeChange::Ban { on, .. }
            | ModeChange::Except { on, .. }
            | ModeChange::InviteExcept { on, .. }
            | ModeChange::Quiet { on, .. }
            | ModeChange::QuietExcept { on, .. } => *on,
            ModeChange::Key(key) => key.is_some(),
            ModeChange::Limit(limit) => limit.is_some(),
            ModeChange::Slow(seconds) => seconds.is_some(),
        }
    }
}

/// The members of a room a message is for when it is not for all of them (IRC
/// `STATUSMSG`: `@#room` for its operators, `+#room` for its voiced members and
/// operators).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Rank {
    Op,
    Voice,
}

impl Rank {
    /// Whether a member with this status hears a message for the rank.
    pub fn admits(self, op: bool, voice: bool) -> bool {
        match self {
            Rank::Op => op,
            Rank::Voice => op || voice,
        }
    }
}

/// Where a message goes: a room or one user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Target {
    Room(Name),
    User(Name),
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventKind {
    Joined {
        room: Name,
        who: Peer,
        /// Whether they joined as the room's operator (its first member): other nodes
        /// seat them so, without knowing the joiner's protocol.
        #[serde(default)]
        op: bool,
    },
    /// Someone left one room and stays connected (in practice `Departure::Parted`).
    Left {
        room: Name,
        who: Peer,
        how: Departure,
    },
    /// Someone left the server: sent once to everyone who shared one of `rooms` with them,
    /// however many rooms that was (IRC shows one QUIT per user, not one per channel).
    Quit {
        who: Peer,
        how: Departure,
        rooms: Arc<[Name]>,
    },
    /// A message in a room. `client_tags` are the sender's IRCv3 client-only tags, opaque
    /// to the core: the wire's escaped `+key=value;+key2` form, `None` when there are none.
    Said {
        room: Name,
        from: Peer,
        text: Text,
        tone: Tone,
        client_tags: Option<Arc<str>>,
        /// A multiline message's lines (`text` is them joined); `None` for one line.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        lines: Option<Lines>,
        /// For the room's operators (or voiced members) alone; `None`: for everyone in it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rank: Option<Rank>,
    },
    /// A message to one user. `waiting` marks one to a registered account that is not
    /// online: nobody is reached now, and the store keeps it for the account's next login.
    Direct {
        from: Peer,
        to: Name,
        text: Text,
        tone: Tone,
        client_tags: Option<Arc<str>>,
        /// A multiline message's lines (`text` is them joined); `None` for one line.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        lines: Option<Lines>,
        /// The account the recipient was logged in to (the account itself when
        /// `waiting`): direct history is kept between accounts when there are some.
        #[serde(default)]
        to_account: Option<Name>,
        #[serde(default)]
        waiting: bool,
    },
    /// Client-only tags without text (IRC `TAGMSG`, such as a typing notification): only
    /// recipients that take message tags show it; the others render nothing.
    Tagged {
        from: Peer,
        to: Target,
        client_tags: Option<Arc<str>>,
        /// To a user: the account they were logged in to (as for `Direct`).
        #[serde(default)]
        to_account: Option<Name>,
        /// To a room: for some of its members alone, as for `Said`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rank: Option<Rank>,
    },
    /// Sent once to everyone who shares one of `rooms` with the user.
    Renamed {
        old: Name,
        new: Peer,
        rooms: Arc<[Name]>,
    },
    TopicChanged {
        room: Name,
        by: Peer,
        topic: Option<Text>,
    },
    ModesChanged {
        room: Name,
        by: Peer,
        changes: Vec<ModeChange>,
    },
    /// Sent to every member, the kicked one included.
    Kicked {
        room: Name,
        by: Peer,
        target: Peer,
        reason: Option<Text>,
    },
    /// A server operator disconnected `target` (IRC `KILL`); sent to the target only,
    /// whose connection closes once it is delivered. The rooms they were in hear a `Quit`.
    Killed {
        by: Peer,
        target: Name,
        reason: Option<Text>,
    },
    /// A server operator's message to every server operator (IRC `WALLOPS`).
    Wallops { from: Peer, text: Text },
    /// Sent to the invited user only.
    Invited { room: Name, by: Peer, target: Name },
    /// Sent to everyone who shares one of `rooms` with the user (IRC away-notify).
    AwayChanged {
        who: Peer,
        away: Option<Text>,
        rooms: Arc<[Name]>,
        /// The copy for those watching the user's name who share none of `rooms` (IRC
        /// extended-monitor), rather than for the rooms.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        to_watchers: bool,
    },
    /// The user logged in to the account `who.account` (IRC account-notify); sent to
    /// everyone who shares one of `rooms` with them.
    AccountChanged {
        who: Peer,
        rooms: Arc<[Name]>,
        /// The copy for those watching the user's name who share none of `rooms` (IRC
        /// extended-monitor), rather than for the rooms.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        to_watchers: bool,
    },
    /// A watched name was taken (`online` as whom) or given up (`None`): sent to those
    /// watching it (IRC `MONITOR`).
    Presence { name: Name, online: Option<Peer> },
    /// The user changed their real name to `who.realname` (IRC `SETNAME`); sent to
    /// everyone who shares one of `rooms` with them.
    RealnameChanged {
        who: Peer,
        rooms: Arc<[Name]>,
        /// The copy for those watching the user's name who share none of `rooms` (IRC
        /// extended-monitor), rather than for the rooms.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        to_watchers: bool,
    },
    /// A metadata key of a user or of a room changed (IRCv3 `draft/metadata`): `value` is
    /// the new value, `None` once removed. Sent to everyone who shares one of `rooms` with
    /// the user, or to the members of the room (then its one name in `rooms`).
    MetadataChanged {
        target: Name,
        /// Whether `target` names a room rather than a user.
        of_room: bool,
        key: Arc<str>,
        value: Option<Arc<str>>,
        rooms: Arc<[Name]>,
    },
    /// `by` took back the message `msgid` said in `target` (IRC `REDACT`): the room's
    /// members, or the direct message's other party, hear it; history forgets the message.
    Redacted {
        target: Target,
        by: Peer,
        msgid: MsgId,
        reason: Option<Text>,
    },
    /// `by` renamed the room `old` to `new` (IRC `RENAME`, `draft/channel-rename`):
    /// everything of the room, its members, modes, topic and history, is the new name's
    /// now. Its members hear it; `roster` is the room as it was then, for protocols that
    /// show a rename as leaving `old` and joining `new`.
    RoomRenamed {
        old: Name,
        new: Name,
        by: Peer,
        reason: Option<Text>,
        roster: Arc<Roster>,
    },
    /// The account read `target` up to `at_ms` (Unix milliseconds; IRC `MARKREAD`): its
    /// other sessions hear it, and the store keeps the newest mark per account and target.
    ReadMarked {
        account: Name,
        target: Target,
        at_ms: u64,
    },
}

/// Whom an event is for, by name: resolved to sessions only when it is routed. The
/// author's own session is never in a room audience (its adapter answers it directly).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience<'a> {
    /// Every member of the room.
    Room(&'a Name),
    /// The members of the room of a rank (IRC `STATUSMSG`).
    RoomRank(&'a Name, Rank),
    /// The members of a room and one more user (a kick: the kicked one is out already).
    RoomAnd(&'a Name, &'a Name),
    /// Everyone who is in one of these rooms, once each.
    Rooms(&'a [Name]),
    /// One user (themself too: a message to oneself is delivered).
    User(&'a Name),
    /// Every server operator, the author too (IRC `WALLOPS`).
    Opers,
    /// Those watching a name (IRC `MONITOR`).
    Watchers(&'a Name),
    /// Those watching a name who are in none of these rooms (IRC extended-monitor).
    WatchersApart(&'a Name, &'a [Name]),
    /// Every session logged in to the account.
    Account(&'a Name),
}

impl EventKind {
    /// Whom the event is for.
    pub fn audience(&self) -> Audience<'_> {
        match self {
            EventKind::AwayChanged {
                who,
                rooms,
                to_watchers: true,
                ..
            }
            | EventKind::AccountChanged {
                who,
                rooms,
                to_watchers: true,
            }
            | EventKind::RealnameChanged {
                who,
                rooms,
                to_watchers: true,
            } => Audience::WatchersApart(&who.name, rooms),
            EventKind::Said {
                room,
                rank: Some(rank),
                ..
            }
            | EventKind::Tagged {
                to: Target::Room(room),
                rank: Some(rank),
                ..
            } => Audience::RoomRank(room, *rank),
            // Resolved once renamed: the members are the new name's.
            EventKind::RoomRenamed { new: room, .. }
            | EventKind::Joined { room, .. }
            | EventKind::Left { room, .. }
            | EventKind::Said { room, .. }
            | EventKind::TopicChanged { room, .. }
            | EventKind::ModesChanged { room, .. }
            | EventKind::Tagged {
                to: Target::Room(room),
                ..
            } => Audience::Room(room),
            EventKind::Kicked { room, target, .. } => Audience::RoomAnd(room, &target.name),
            EventKind::Quit { rooms, .. }
            | EventKind::Renamed { rooms, .. }
            | EventKind::AwayChanged { rooms, .. }
            | EventKind::AccountChanged { rooms, .. }
            | EventKind::RealnameChanged { rooms, .. }
            | EventKind::MetadataChanged { rooms, .. } => Audience::Rooms(rooms),
            EventKind::Direct { to, .. }
            | EventKind::Invited { target: to, .. }
            | EventKind::Killed { target: to, .. }
            | EventKind::Tagged {
                to: Target::User(to),
                ..
            } => Audience::User(to),
            EventKind::Redacted { target, .. } => match target {
                Target::Room(room) => Audience::Room(room),
                Target::User(to) => Audience::User(to),
            },
            EventKind::ReadMarked { account, .. } => Audience::Account(account),
            EventKind::Wallops { .. } => Audience::Opers,
            EventKind::Presence { name, .. } => Audience::Watchers(name),
        }
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
