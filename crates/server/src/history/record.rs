//! How an event becomes a row of history and comes back: which events are kept, under
//! which conversation, and the serialised body (MessagePack) that restores the whole
//! event with its id and original time.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::UNIX_EPOCH;

use confab_core::{Event, EventKind, Name, Tone};
use confab_store::{Conversation, Record, Stored};

/// The kinds of the rows that are messages (`PRIVMSG` and `NOTICE`), as opposed to
/// joins, parts, kicks, topic and mode changes.
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

/// The row an event is kept as, or `None` for what history does not keep (typing
/// notifications, invitations, away changes, quits and renames, which belong to no one
/// conversation).
pub fn record_of(event: &Event) -> Option<Record> {
    let (conversation, kind, author, text) = describe(event.kind())?;
    let (target, peer) = match conversation {
        Conversation::Room(room) => (room, None),
        Conversation::Direct(a, b) => (a, Some(b)),
    };
    let mut body = Vec::with_capacity(128);
    let mut serializer = rmp_serde::Serializer::new(&mut body).with_struct_map();
    if let Err(error) = event.serialize(&mut serializer) {
        tracing::error!(%error, msgid = %event.msgid(), "cannot serialise an event for history");
        return None;
    }
    let at_ms = event
        .at()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    Some(Record {
        msgid: event.msgid().to_bytes(),
        at_ms,
        target,
        peer,
        kind: Cow::Borrowed(kind),
        author: author.to_string(),
        account: account_of(event.kind()).map(key),
        text: text.map(str::to_string),
        body,
        pending_for: waiting_for(event.kind()).map(key),
    })
}

/// The account the author was logged in to, for the kinds history keeps.
fn account_of(kind: &EventKind) -> Option<&Name> {
    match kind {
        EventKind::Said { from, .. } | EventKind::Direct { from, .. } => from.account.as_ref(),
        EventKind::Joined { who, .. } | EventKind::Left { who, .. } => who.account.as_ref(),
        EventKind::Kicked { by, .. }
        | EventKind::TopicChanged { by, .. }
        | EventKind::ModesChanged { by, .. } => by.account.as_ref(),
        _ => None,
    }
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

/// The conversation, the kind's name, the author and the text of a kept event.
fn describe(kind: &EventKind) -> Option<(Conversation, &'static str, &Name, Option<&str>)> {
    let tone = |tone: &Tone| match tone {
        Tone::Chat => "privmsg",
        Tone::Notice => "notice",
    };
    Some(match kind {
        EventKind::Said {
            room,
            from,
            text,
            tone: t,
            ..
        } => (
            room_conversation(room),
            tone(t),
            &from.name,
            Some(text.as_str()),
        ),
        EventKind::Direct {
            from,
            to,
            to_account,
            text,
            tone: t,
            ..
        } => (
            direct_conversation(
                party_key(&from.name, from.account.as_ref()),
                party_key(to, to_account.as_ref()),
            ),
            tone(t),
            &from.name,
            Some(text.as_str()),
        ),
        EventKind::Joined { room, who } => (room_conversation(room), "join", &who.name, None),
        EventKind::Left { room, who, .. } => (room_conversation(room), "part", &who.name, None),
        EventKind::Kicked { room, by, .. } => (room_conversation(room), "kick", &by.name, None),
        EventKind::TopicChanged { room, by, topic } => (
            room_conversation(room),
            "topic",
            &by.name,
            topic.as_ref().map(|t| t.as_str()),
        ),
        EventKind::ModesChanged { room, by, .. } => {
            (room_conversation(room), "mode", &by.name, None)
        }
        EventKind::Quit { .. }
        | EventKind::Renamed { .. }
        | EventKind::Tagged { .. }
        | EventKind::Invited { .. }
        | EventKind::AwayChanged { .. }
        | EventKind::AccountChanged { .. } => return None,
    })
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
    use confab_core::{MsgId, Peer, SessionId, Text};

    fn n(name: &str) -> Name {
        Name::parse(name, 20).unwrap()
    }

    #[test]
    fn a_room_message_is_kept_under_its_folded_room_and_comes_back_whole() {
        let kind = EventKind::Said {
            room: n("Lobby"),
            from: Peer::classroom(n("Amy"), "rooms"),
            text: Text::new("hello"),
            tone: Tone::Notice,
            client_tags: None,
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
