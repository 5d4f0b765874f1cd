//! What happened ([`EventKind`]), with how someone left and the tone and target of a
//! message, and whom each kind is for ([`Audience`]).

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{ModeChange, Peer, Rank};
use crate::lines::Lines;
use crate::msgid::MsgId;
use crate::name::Name;
use crate::roster::Roster;
use crate::text::Text;

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
