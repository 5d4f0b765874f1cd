//! How an event becomes a row of history and comes back: which events are kept, under
//! which conversation, and the serialised body (MessagePack) that restores the whole
//! event with its id and original time.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::UNIX_EPOCH;

use confab_core::name::NAME_MAX_CEILING;
use confab_core::{Departure, Event, EventKind, Name, Peer, Target, Tone};
use confab_store::{Conversation, Edit, ReadMarkRow, Record, Stored};

/// The kinds of the rows that are messages (`PRIVMSG` and `NOTICE`), as opposed to
/// joins, parts, quits, kicks, renames, topic and mode changes and kept `TAGMSG`s.
pub const MESSAGE_KINDS: [&str; 2] = ["privmsg", "notice"];

/// A room's or user's key in history: the name folded as the core compares names.
pub fn key(name: &Name) -> String {
    name.as_str().to_ascii_lowercase()
}

/// The conversation a room message, or a direct message between two users, is kept in.
pub fn room_conversation(room: &Name) -> Conversation {
    Conversation::Room(key(room))
}

/// A direct conversation is kept between its two parties' keys ([`party_key`]).
pub fn direct_conversation(a: String, b: String) -> Conversation {
    Conversation::direct(a, b)
}

/// What marks a party key as an account's: no name may contain it, so an account and an
/// unregistered nick of the same spelling are two parties.
const ACCOUNT_MARK: char = '~';

/// One side of a direct conversation: the account when logged in (so a nick's history
/// before someone registered it is not theirs, and an account keeps its history under any
/// nick), else the nick.
pub fn party_key(nick: &Name, account: Option<&Name>) -> String {
    match account {
        Some(account) => format!("{ACCOUNT_MARK}{}", key(account)),
        None => key(nick),
    }
}

/// The name a party key shows as (`CHATHISTORY TARGETS`): the account or nick, folded.
pub fn party_name(key: &str) -> &str {
    key.strip_prefix(ACCOUNT_MARK).unwrap_or(key)
}

/// What history keeps of an event: the conversations it is kept in (several for a quit
/// or a rename, one row each), its kind's name, the author and the text.
struct Kept<'a> {
    conversations: Vec<Conversation>,
    kind: &'static str,
    author: &'a Name,
    account: Option<&'a Name>,
    text: Option<&'a str>,
}

impl<'a> Kept<'a> {
    fn by(
        conversations: Vec<Conversation>,
        kind: &'static str,
        by: &'a Peer,
        text: Option<&'a str>,
    ) -> Kept<'a> {
        Kept {
            conversations,
            kind,
            author: &by.name,
            account: by.account.as_ref(),
            text,
        }
    }
}

/// Appends the rows an event is kept as: none for what history does not keep
/// (typing notifications and other tags alone, invitations, away and account changes),
/// one per room for a quit or a rename.
pub fn records_of(event: &Event, into: &mut Vec<Record>) {
    let Some(kept) = describe(event.kind()) else {
        return;
    };
    let mut body = Vec::with_capacity(128);
    let mut serializer = rmp_serde::Serializer::new(&mut body).with_struct_map();
    if let Err(error) = event.serialize(&mut serializer) {
        tracing::error!(%error, msgid = %event.msgid(), "cannot serialise an event for history");
        return;
    }
    let at_ms = event
        .at()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    let pending_for = waiting_for(event.kind()).map(key);
    for conversation in kept.conversations {
        let (target, peer) = match conversation {
            Conversation::Room(room) => (room, None),
            Conversation::Direct(a, b) => (a, Some(b)),
        };
        into.push(Record {
            msgid: event.msgid().to_bytes(),
            at_ms,
            target,
            peer,
            kind: Cow::Borrowed(kept.kind),
            author: kept.author.to_string(),
            account: kept.account.map(key),
            text: kept.text.map(str::to_string),
            body: body.clone(),
            pending_for: pending_for.clone(),
        });
    }
}

/// The changes an event makes to what is stored: a redaction erases its message, a read
/// mark is kept (forward only) under the account's and the target's keys, a renamed
/// room's conversation and read marks are filed under its new key (a change of case
/// alone keeps the key).
pub fn edits_of(event: &Event) -> Vec<Edit> {
    match event.kind() {
        EventKind::RoomRenamed { old, new, .. } if key(old) != key(new) => vec![Edit::MoveRoom {
            from: key(old),
            to: key(new),
        }],
        EventKind::Redacted { msgid, .. } => vec![Edit::Erase(msgid.to_bytes())],
        EventKind::ReadMarked {
            account,
            target,
            at_ms,
        } => vec![Edit::ReadMark {
            account: key(account),
            target: target_key(target),
            at_ms: i64::try_from(*at_ms).unwrap_or(i64::MAX),
        }],
        _ => Vec::new(),
    }
}

/// A read mark's target in the store: `#` and the room's key, or the user's key (no
/// name holds a `#`, so the two never meet).
fn target_key(target: &Target) -> String {
    match target {
        Target::Room(room) => format!("#{}", key(room)),
        Target::User(user) => key(user),
    }
}

/// A stored read mark as the hub takes it; `None` for a row this build cannot read.
pub fn read_mark_of(row: &ReadMarkRow) -> Option<(Name, Target, u64)> {
    let account = Name::parse(&row.account, NAME_MAX_CEILING).ok()?;
    let target = match row.target.strip_prefix('#') {
        Some(room) => Target::Room(Name::room(room).ok()?),
        None => Target::User(Name::parse(&row.target, NAME_MAX_CEILING).ok()?),
    };
    Some((account, target, u64::try_from(row.at_ms).ok()?))
}

/// The offline account a direct message waits for (the hub marked it `waiting`).
fn waiting_for(kind: &EventKind) -> Option<&Name> {
    match kind {
        EventKind::Direct {
            to, waiting: true, ..
        } => Some(to),
        _ => None,
    }
}

/// What history keeps of an event of this kind, if anything.
#[allow(
    clippy::too_many_lines,
    reason = "table: one arm per EventKind, what history keeps of it"
)]
fn describe(kind: &EventKind) -> Option<Kept<'_>> {
    let one = |room: &Name| vec![room_conversation(room)];
    let each = |rooms: &[Name]| rooms.iter().map(room_conversation).collect();
    let kept = Kept::by;
    Some(match kind {
        // A message for a room's operators (STATUSMSG) is not the room's to replay.
        EventKind::Said { rank: Some(_), .. } | EventKind::Tagged { rank: Some(_), .. } => {
            return None
        }
        EventKind::Said {
            room,
            from,
            text,
            tone,
            ..
        } => kept(one(room), tone_kind(*tone), from, Some(text.as_str())),
        EventKind::Direct {
            from,
            to,
            to_account,
            text,
            tone,
            ..
        } => {
            let pair = vec![direct_between(from, to, to_account.as_ref())];
            kept(pair, tone_kind(*tone), from, Some(text.as_str()))
        }
        EventKind::Tagged {
            from,
            to,
            client_tags,
            to_account,
            ..
        } if client_tags.as_deref().is_some_and(persists) => {
            let conversations = match to {
                Target::Room(room) => one(room),
                Target::User(to) => vec![direct_between(from, to, to_account.as_ref())],
            };
            kept(conversations, "tagmsg", from, None)
        }
        EventKind::Joined { room, who, .. } => kept(one(room), "join", who, None),
        EventKind::Left { room, who, .. } => kept(one(room), "part", who, None),
        EventKind::Kicked { room, by, .. } => kept(one(room), "kick", by, None),
        EventKind::TopicChanged { room, by, topic } => {
            kept(one(room), "topic", by, topic.as_ref().map(|t| t.as_str()))
        }
        EventKind::ModesChanged { room, by, .. } => kept(one(room), "mode", by, None),
        EventKind::Quit { who, how, rooms } => {
            let reason = match how {
                Departure::Quit { reason } | Departure::Parted { reason } => reason.as_ref(),
                Departure::Removed { reason } => Some(reason),
                Departure::Lost => None,
            };
            kept(each(rooms), "quit", who, reason.map(|r| r.as_str()))
        }
        EventKind::Renamed { old, new, rooms } => Kept {
            author: old,
            ..kept(each(rooms), "nick", new, Some(new.name.as_str()))
        },
        EventKind::Tagged { .. }
        | EventKind::Invited { .. }
        | EventKind::Killed { .. }
        | EventKind::Wallops { .. }
        | EventKind::AwayChanged { .. }
        | EventKind::AccountChanged { .. }
        | EventKind::RealnameChanged { .. }
        | EventKind::MetadataChanged { .. }
        | EventKind::Redacted { .. }
        | EventKind::ReadMarked { .. }
        // Not a line of the conversation: it moves the conversation (`edits_of`).
        | EventKind::RoomRenamed { .. }
        | EventKind::Presence { .. } => return None,
    })
}

fn tone_kind(tone: Tone) -> &'static str {
    match tone {
        Tone::Chat => "privmsg",
        Tone::Notice => "notice",
    }
}

/// The direct conversation between an author and a recipient (with the account the
/// recipient was logged in to).
fn direct_between(from: &Peer, to: &Name, to_account: Option<&Name>) -> Conversation {
    direct_conversation(
        party_key(&from.name, from.account.as_ref()),
        party_key(to, to_account),
    )
}

/// Whether client tags ask for a tags-only message to be kept (`+draft/persist`, as
/// ergo does): typing notifications and reactions without it are not.
fn persists(client_tags: &str) -> bool {
    client_tags
        .split(';')
        .any(|tag| tag.split('=').next() == Some(PERSIST_TAG))
}

const PERSIST_TAG: &str = "+draft/persist";

/// A stored event of a room's conversation as it is played back now: one kept before the
/// room was renamed names the old room, and is shown in `room`, the conversation it is
/// part of since (its row was filed under the new name: [`edits_of`]).
pub fn in_room(event: Arc<Event>, room: &Name) -> Arc<Event> {
    let mut kind = event.kind().clone();
    let place = match &mut kind {
        EventKind::Said { room, .. }
        | EventKind::Joined { room, .. }
        | EventKind::Left { room, .. }
        | EventKind::Kicked { room, .. }
        | EventKind::TopicChanged { room, .. }
        | EventKind::ModesChanged { room, .. }
        | EventKind::Tagged {
            to: Target::Room(room),
            ..
        } => room,
        _ => return event,
    };
    if place.key() == room.key() {
        return event;
    }
    *place = room.clone();
    Event::at_time(event.msgid(), event.at(), event.author(), kind)
}

/// The event a row was made from, with its id and original time; `None` (logged) for a
/// body this build cannot read.
pub fn event_of(stored: &Stored) -> Option<Arc<Event>> {
    let mut deserializer = rmp_serde::Deserializer::new(&stored.body[..]);
    match Event::deserialize(&mut deserializer) {
        Ok(event) => Some(event),
        Err(error) => {
            tracing::warn!(id = stored.id, %error, "a stored event cannot be read; skipped");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use confab_core::{MsgId, SessionId, Text};

    /// Each row as (target, kind, author, text).
    fn shown(rows: &[Record]) -> Vec<(&str, &str, &str, Option<&str>)> {
        rows.iter()
            .map(|r| {
                (
                    r.target.as_str(),
                    &*r.kind,
                    r.author.as_str(),
                    r.text.as_deref(),
                )
            })
            .collect()
    }

    /// The one row an event is kept as, if any.
    fn record_of(event: &Event) -> Option<Record> {
        let mut rows = Vec::new();
        records_of(event, &mut rows);
        assert!(rows.len() <= 1, "one row at most: {rows:?}");
        rows.pop()
    }

    fn n(name: &str) -> Name {
        Name::parse(name, 20).unwrap()
    }

    #[test]
    fn a_redaction_erases_and_a_read_mark_is_stored_and_read_back_as_marked() {
        let redacted = EventKind::Redacted {
            target: Target::Room(n("Lobby")),
            by: Peer::classroom(n("Amy"), "irc"),
            msgid: MsgId::new(7, 0, 1),
            reason: None,
        };
        let event = Event::new(MsgId::new(8, 0, 0), None, redacted);
        assert!(record_of(&event).is_none());
        assert_eq!(
            edits_of(&event),
            [Edit::Erase(MsgId::new(7, 0, 1).to_bytes())]
        );
        for (target, key) in [
            (Target::Room(n("Lobby")), "#lobby"),
            (Target::User(n("Bob")), "bob"),
        ] {
            let marked = EventKind::ReadMarked {
                account: n("Amy"),
                target: target.clone(),
                at_ms: 42,
            };
            let event = Event::new(MsgId::new(9, 0, 0), None, marked);
            let [Edit::ReadMark {
                account,
                target: stored,
                at_ms,
            }] = &edits_of(&event)[..]
            else {
                panic!("one read mark");
            };
            assert_eq!(
                (account.as_str(), stored.as_str(), *at_ms),
                ("amy", key, 42)
            );
            let row = ReadMarkRow {
                account: account.clone(),
                target: stored.clone(),
                at_ms: 42,
            };
            let (account, back, at_ms) = read_mark_of(&row).unwrap();
            assert_eq!((account.as_str(), at_ms), ("amy", 42));
            match (&back, &target) {
                (Target::Room(b), Target::Room(t)) | (Target::User(b), Target::User(t)) => {
                    assert!(b.folded() == t.folded(), "{b} read back for {t}");
                }
                _ => panic!("{back:?} read back as another kind than {target:?}"),
            }
        }
    }

    #[test]
    fn a_room_message_is_kept_under_its_folded_room_and_comes_back_whole() {
        let kind = EventKind::Said {
            room: n("Lobby"),
            from: Peer::classroom(n("Amy"), "rooms"),
            text: Text::new("hello"),
            tone: Tone::Notice,
            client_tags: None,
            lines: None,
            rank: None,
        };
        let event = Event::new(
            MsgId::new(1_765_000_000_000, 0, 3),
            Some(SessionId(4)),
            kind,
        );
        let record = record_of(&event).expect("kept");
        assert_eq!(record.msgid, event.msgid().to_bytes());
        assert_eq!(
            record.at_ms / 1000,
            event.at().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
        );
        assert_eq!(
            (record.target.as_str(), record.peer.as_deref()),
            ("lobby", None)
        );
        assert_eq!((&*record.kind, record.author.as_str()), ("notice", "Amy"));
        assert_eq!(record.text.as_deref(), Some("hello"));
        let stored = Stored {
            id: 1,
            msgid: record.msgid,
            at_ms: record.at_ms,
            kind: record.kind.to_string(),
            author: record.author.clone(),
            account: None,
            text: record.text.clone(),
            body: record.body.clone(),
        };
        let back = event_of(&stored).expect("readable");
        assert_eq!(back.msgid(), event.msgid());
        assert_eq!(back.at(), event.at(), "microseconds kept");
        assert_eq!(back.kind(), event.kind());
    }

    #[test]
    fn a_direct_message_is_kept_under_the_pair_and_typing_is_not_kept() {
        let kind = EventKind::Direct {
            from: Peer::classroom(n("Zed"), "packet"),
            to: n("amy"),
            text: Text::new("hi"),
            tone: Tone::Chat,
            client_tags: None,
            lines: None,
            to_account: None,
            waiting: false,
        };
        let record = record_of(&Event::new(MsgId::default(), None, kind)).expect("kept");
        assert_eq!(
            (record.target.as_str(), record.peer.as_deref()),
            ("amy", Some("zed"))
        );
        assert_eq!((record.account, record.pending_for), (None, None));
        let typing = EventKind::Tagged {
            from: Peer::classroom(n("Zed"), "irc"),
            to: confab_core::Target::User(n("amy")),
            client_tags: Some(Arc::from("+typing=active")),
            to_account: None,
            rank: None,
        };
        assert!(record_of(&Event::new(MsgId::default(), None, typing)).is_none());
    }

    #[test]
    fn the_authors_account_is_kept_and_a_waiting_message_waits_for_its_account() {
        let kind = EventKind::Direct {
            from: Peer {
                account: Some(n("Zed")),
                ..Peer::classroom(n("zeddy"), "irc")
            },
            to: n("Amy"),
            text: Text::new("later"),
            tone: Tone::Chat,
            client_tags: None,
            lines: None,
            to_account: Some(n("Amy")),
            waiting: true,
        };
        let record = record_of(&Event::new(MsgId::default(), None, kind)).expect("kept");
        assert_eq!(record.account.as_deref(), Some("zed"));
        assert_eq!(record.pending_for.as_deref(), Some("amy"));
        assert_eq!(
            (record.target.as_str(), record.peer.as_deref()),
            ("~amy", Some("~zed")),
            "kept between the accounts, not the nicks"
        );
        assert_eq!(party_name("~amy"), "amy");
        assert_eq!(party_name("zeddy"), "zeddy");
    }

    #[test]
    fn a_quit_and_a_rename_are_kept_in_each_of_the_users_rooms() {
        let rooms: Arc<[Name]> = Arc::from([n("A"), n("b")]);
        let quit = EventKind::Quit {
            who: Peer::classroom(n("Zed"), "rooms"),
            how: Departure::Quit {
                reason: Some(Text::new("bye")),
            },
            rooms: rooms.clone(),
        };
        let event = Event::new(MsgId::new(5, 0, 1), None, quit);
        let mut rows = Vec::new();
        records_of(&event, &mut rows);
        let rows_shown = shown(&rows);
        assert_eq!(
            rows_shown,
            [
                ("a", "quit", "Zed", Some("bye")),
                ("b", "quit", "Zed", Some("bye"))
            ]
        );
        assert!(rows.iter().all(|r| r.msgid == event.msgid().to_bytes()));
        let renamed = EventKind::Renamed {
            old: n("Zed"),
            new: Peer::classroom(n("Zee"), "rooms"),
            rooms,
        };
        rows.clear();
        records_of(&Event::new(MsgId::default(), None, renamed), &mut rows);
        let rows_shown = shown(&rows);
        assert_eq!(
            rows_shown,
            [
                ("a", "nick", "Zed", Some("Zee")),
                ("b", "nick", "Zed", Some("Zee"))
            ]
        );
    }

    #[test]
    fn tags_alone_are_kept_only_when_they_ask_to_persist() {
        let tagged = |tags: &str| EventKind::Tagged {
            from: Peer::classroom(n("Zed"), "irc"),
            to: confab_core::Target::Room(n("a")),
            client_tags: Some(Arc::from(tags)),
            to_account: None,
            rank: None,
        };
        let kept = |tags: &str| record_of(&Event::new(MsgId::default(), None, tagged(tags)));
        assert!(kept("+typing=active").is_none());
        assert!(kept("+draft/persisted;+x=1").is_none());
        let record = kept("+react=1;+draft/persist").expect("kept");
        assert_eq!((&*record.kind, record.target.as_str()), ("tagmsg", "a"));
    }

    #[test]
    fn a_message_for_a_rooms_operators_is_not_kept() {
        let said = EventKind::Said {
            room: n("a"),
            from: Peer::classroom(n("amy"), "irc"),
            text: Text::new("ops only"),
            tone: Tone::Chat,
            client_tags: None,
            lines: None,
            rank: Some(confab_core::Rank::Op),
        };
        assert!(record_of(&Event::new(MsgId::default(), None, said)).is_none());
    }

    #[test]
    fn a_body_that_is_not_an_event_is_skipped() {
        let stored = Stored {
            id: 9,
            msgid: [0; 16],
            at_ms: 0,
            kind: "privmsg".into(),
            author: "a".into(),
            account: None,
            text: None,
            body: vec![0xc1, 0xff],
        };
        assert!(event_of(&stored).is_none());
    }
}
