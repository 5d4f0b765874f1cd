//! Messages: say in a room, whisper to one user, with tags, a tone, lines or a rank;
//! every kind goes one path (`send_message`): checks, one event, its id, under one lock.

use std::sync::Arc;

use super::state::State;
use super::{Hub, HubError, Outgoing};
use crate::event::{EventKind, Peer, Rank, Target, Tone};
use crate::lines::Lines;
use crate::msgid::MsgId;
use crate::name::Name;
use crate::session::{Session, SessionId};
use crate::text::Text;

impl Hub {
    /// Says `text` in a room the session is in; everyone else in it hears it.
    pub fn say(&self, session: &Session, room: &str, text: Text) -> Result<(), HubError> {
        self.say_as(session, room, text, Tone::Chat)
    }

    /// Says `text` in a room with a tone. A non-member may speak where the room allows
    /// outside messages (`-n`); `+m` needs voice; a banned member cannot speak.
    pub fn say_as(
        &self,
        session: &Session,
        room: &str,
        text: Text,
        tone: Tone,
    ) -> Result<(), HubError> {
        let message = Message::plain(text, tone);
        self.send_message(session, To::Room(room), message)
            .map(|_| ())
    }

    /// Like [`Hub::say_as`], with the sender's client-only tags (opaque here, see
    /// [`EventKind::Said`]); without text, the others hear only the tags
    /// ([`EventKind::Tagged`], IRC `TAGMSG`), under the same rules. Returns the message's
    /// id, for the sender's own echo.
    pub fn say_tagged(
        &self,
        session: &Session,
        room: &str,
        text: Option<Text>,
        tone: Tone,
        client_tags: Option<Arc<str>>,
    ) -> Result<MsgId, HubError> {
        self.say_ranked(session, room, None, text, tone, client_tags)
    }

    /// Like [`Hub::say_tagged`], for the room's members of `rank` alone when there is one
    /// (IRC `STATUSMSG`), under the same rules. Such a message is for a few, so it is not
    /// kept in the room's history.
    pub fn say_ranked(
        &self,
        session: &Session,
        room: &str,
        rank: Option<Rank>,
        text: Option<Text>,
        tone: Tone,
        client_tags: Option<Arc<str>>,
    ) -> Result<MsgId, HubError> {
        let message = Message {
            text,
            tone,
            client_tags,
            rank,
            lines: None,
        };
        self.send_message(session, To::Room(room), message)
    }

    /// A multiline message (IRC `draft/multiline`) in a room, under the rules of
    /// [`Hub::say_tagged`]: one event, one id, whose text is the lines joined.
    pub fn say_lines(
        &self,
        session: &Session,
        room: &str,
        lines: Lines,
        tone: Tone,
        client_tags: Option<Arc<str>>,
    ) -> Result<MsgId, HubError> {
        let message = Message::lines(lines, tone, client_tags);
        self.send_message(session, To::Room(room), message)
    }

    /// A multiline message to one user, as [`Hub::say_lines`] to a room.
    pub fn whisper_lines(
        &self,
        session: &Session,
        to: &str,
        lines: Lines,
        tone: Tone,
        client_tags: Option<Arc<str>>,
    ) -> Result<MsgId, HubError> {
        let message = Message::lines(lines, tone, client_tags);
        self.send_message(session, To::User(to), message)
    }

    /// Sends `text` to one user by name (themself included).
    pub fn whisper(&self, session: &Session, to: &str, text: Text) -> Result<(), HubError> {
        self.whisper_as(session, to, text, Tone::Chat)
    }

    pub fn whisper_as(
        &self,
        session: &Session,
        to: &str,
        text: Text,
        tone: Tone,
    ) -> Result<(), HubError> {
        let message = Message::plain(text, tone);
        self.send_message(session, To::User(to), message)
            .map(|_| ())
    }

    /// Like [`Hub::whisper_as`], with client-only tags, and without text for tags only
    /// (see [`Hub::say_tagged`]). Returns the message's id.
    pub fn whisper_tagged(
        &self,
        session: &Session,
        to: &str,
        text: Option<Text>,
        tone: Tone,
        client_tags: Option<Arc<str>>,
    ) -> Result<MsgId, HubError> {
        let message = Message {
            text,
            tone,
            client_tags,
            rank: None,
            lines: None,
        };
        self.send_message(session, To::User(to), message)
    }

    /// The one path of every message, to a room or a user: checks, one event, its id.
    fn send_message(
        &self,
        session: &Session,
        to: To<'_>,
        message: Message,
    ) -> Result<MsgId, HubError> {
        if let Some(text) = &message.text {
            if self.filters(text.as_str()) {
                return Err(HubError::Filtered);
            }
        }
        let mut out = Outgoing::default();
        let mut state = self.lock();
        let id = session.id();
        let from = state.peer(id)?;
        let mut recipient = Recipient::default();
        let target = match to {
            To::Room(room) => {
                let name = may_speak(&state, id, room)?;
                let text = message.text.as_ref();
                super::moderation::check_room_rules(&mut state, id, &name.key(), text)?;
                Target::Room(name)
            }
            To::User(user) => match state.session_named(user) {
                Ok(target) => {
                    recipient.account = state.member(target)?.account().cloned();
                    Target::User(
                        state
                            .named(target)
                            .map_err(|_| HubError::NoSuchUser(user.to_string()))?,
                    )
                }
                // A registered account not online: the text waits for its login (the
                // store keeps it); tags alone are not worth keeping.
                Err(nobody) => {
                    let account = state.account_named(user).filter(|_| message.text.is_some());
                    let account = account.ok_or(nobody)?;
                    recipient = Recipient {
                        account: Some(account.clone()),
                        waiting: true,
                    };
                    Target::User(account)
                }
            },
        };
        let kind = message.into_event(from, target, recipient);
        let event = state.event(Some(id), kind);
        let msgid = event.msgid();
        state.recent.note(msgid, id, event.kind());
        out.push(event);
        self.send(state, out);
        Ok(msgid)
    }
}

/// Where a message goes, as the adapter named it (not yet checked).
enum To<'a> {
    Room(&'a str),
    User(&'a str),
}

/// What the hub knows of a direct message's recipient when it is sent.
#[derive(Default)]
struct Recipient {
    /// The account the recipient is logged in to (or, when waiting, the account itself).
    account: Option<Name>,
    /// Nobody holds the name: the text waits for the account's login.
    waiting: bool,
}

/// A message before it knows its kind of event.
struct Message {
    text: Option<Text>,
    tone: Tone,
    client_tags: Option<Arc<str>>,
    /// To a room: for its members of this rank alone.
    rank: Option<Rank>,
    /// A multiline message's lines (`text` is them joined).
    lines: Option<Lines>,
}

impl Message {
    fn plain(text: Text, tone: Tone) -> Message {
        Message {
            text: Some(text),
            tone,
            client_tags: None,
            rank: None,
            lines: None,
        }
    }

    /// A multiline message: its text is the lines joined, for history and the filters.
    fn lines(lines: Lines, tone: Tone, client_tags: Option<Arc<str>>) -> Message {
        Message {
            text: Some(lines.joined()),
            tone,
            client_tags,
            rank: None,
            lines: Some(lines),
        }
    }

    /// A room message, a direct message (to `recipient`), or (without text) tags alone
    /// to either.
    fn into_event(self, from: Peer, to: Target, recipient: Recipient) -> EventKind {
        let Message {
            text,
            tone,
            client_tags,
            rank,
            lines,
        } = self;
        match (text, to) {
            (Some(text), Target::Room(room)) => EventKind::Said {
                room,
                from,
                text,
                tone,
                client_tags,
                lines,
                rank,
            },
            (Some(text), Target::User(to)) => EventKind::Direct {
                from,
                to,
                text,
                tone,
                client_tags,
                lines,
                to_account: recipient.account,
                waiting: recipient.waiting,
            },
            (None, to) => EventKind::Tagged {
                from,
                to,
                client_tags,
                to_account: recipient.account,
                rank,
            },
        }
    }
}

/// The room's name if `id` may speak in it: a non-member only under `-n`; under `+m`
/// only operators (the room's or the server's) and voiced members; a banned member not
/// at all. Why not otherwise (`NoSuchRoom` when there is none, which saves the adapters
/// a lookup of their own before saying).
fn may_speak(state: &State, id: SessionId, room: &str) -> Result<Name, HubError> {
    let entry = state.room(room)?;
    let seat = entry.members.get(&id);
    if seat.is_none() && entry.modes.no_external {
        return Err(HubError::NotMember(room.to_string()));
    }
    let privileged = seat.is_some_and(|s| s.op || s.voice);
    // The ban check formats a hostmask: only when the room has bans, since this runs
    // for every message.
    if !privileged
        && (entry.modes.moderated || (entry.has_bans() && entry.is_banned(&state.identity(id))))
        && !state.is_oper(id)
    {
        return Err(HubError::CannotSend(entry.name.to_string()));
    }
    Ok(entry.name.clone())
}
