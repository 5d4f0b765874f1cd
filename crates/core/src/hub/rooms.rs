//! Rooms and messages: join, part, say in a room, whisper to one user (one path for
//! both), and the lists.

use std::sync::Arc;

use super::state::{listed, Room, Seat, State};
use super::{Hub, HubError, Outgoing};
use crate::event::{EventKind, Peer, Rank, Target, Tone};
use crate::lines::Lines;
use crate::mask::Identity;
use crate::msgid::MsgId;
use crate::name::{Folded, Name};
use crate::session::{Session, SessionId};
use crate::text::Text;

impl Hub {
    /// Joins a room, creating it if it does not exist (its first member becomes its
    /// operator). The others in it hear of it. Returns the room's name as first typed.
    pub fn join(&self, session: &Session, room: Name) -> Result<Name, HubError> {
        self.join_with_key(session, room, None)
    }

    /// Joins a room that may have a key, a limit, bans or invitation only.
    pub fn join_with_key(
        &self,
        session: &Session,
        room: Name,
        key: Option<&str>,
    ) -> Result<Name, HubError> {
        let mut out = Outgoing::default();
        let mut guard = self.lock();
        let state = &mut *guard;
        let id = session.id();
        let who = state.peer(id)?;
        let identity = identity_to_match(state, id, &room);
        let member = state.member(id)?;
        let (handle, joined, away, residence) = (
            member.session.clone(),
            member.rooms.len(),
            member.away().cloned(),
            member.residence,
        );
        let already = state
            .rooms
            .get(room.folded())
            .is_some_and(|r| r.members.contains_key(&id));
        if joined >= self.config.rooms_max && !already {
            return Err(HubError::TooManyRooms(room.to_string()));
        }
        let (shown, fresh) = enter(state, id, &room, &identity, key)?;
        // A new room is run by its first member, if their protocol can run one; the
        // server's own rooms by nobody but server operators.
        let op = fresh && residence.runs_rooms() && !self.config.is_server_room(&shown);
        let joined = EventKind::Joined {
            room: shown.clone(),
            who: who.clone(),
            op,
        };
        let joined = state.event(Some(id), joined);
        let seat = Seat {
            session: handle,
            op,
            voice: false,
            since: joined.msgid(),
        };
        sit(state, id, &shown, seat);
        out.push(joined);
        // away-notify: those already in hear that someone away joined.
        if away.is_some() {
            let rooms = Arc::from([shown.clone()]);
            let kind = EventKind::AwayChanged {
                who,
                away,
                rooms,
                to_watchers: false,
            };
            out.push(state.event(Some(id), kind));
        }
        self.send(guard, out);
        Ok(shown)
    }

    /// Whether the session could join `room` now (its rules: a limit, invitation only, a
    /// key, bans), without joining: for a protocol that must answer "yes" before the join
    /// (whose events, such as a replay of history, then follow the answer).
    pub fn check_join(&self, session: &Session, room: &Name) -> Result<(), HubError> {
        let state = self.lock();
        let id = session.id();
        match state.rooms.get(room.folded()) {
            Some(entry) if !entry.members.is_empty() && !entry.members.contains_key(&id) => {
                check_entry(entry, id, &state.identity(id), None)
            }
            _ => Ok(()),
        }
    }

    /// Leaves a room; the others hear `Parted`. An emptied room disappears.
    pub fn part(
        &self,
        session: &Session,
        room: &str,
        reason: Option<Text>,
    ) -> Result<(), HubError> {
        let mut out = Outgoing::default();
        let mut state = self.lock();
        let key = state.joined_room(room, session.id())?.name.key();
        let how = crate::event::Departure::Parted { reason };
        state.leave_room(&key, session.id(), &how, &mut out);
        if let Some(member) = state.sessions.get_mut(&session.id()) {
            member.left(&key);
        }
        self.send(state, out);
        Ok(())
    }

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

    /// Every room, in the order they were created.
    pub fn rooms(&self) -> Vec<Name> {
        let state = self.lock();
        let mut rooms: Vec<_> = state
            .rooms
            .values()
            .map(|r| (r.created, r.name.clone()))
            .collect();
        rooms.sort_unstable_by_key(|(created, _)| *created);
        rooms.into_iter().map(|(_, name)| name).collect()
    }

    /// A room's members' names in the order they joined; empty if the room does not exist.
    pub fn members(&self, room: &str) -> Vec<Name> {
        let state = self.lock();
        state
            .rooms
            .get(Folded::new(room))
            .map(|r| {
                r.members
                    .keys()
                    .filter_map(|id| state.name_of(*id))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The rooms the session is in, in the order it joined them.
    pub fn rooms_of(&self, session: &Session) -> Vec<Name> {
        let state = self.lock();
        state
            .sessions
            .get(&session.id())
            .map(|m| m.rooms.iter().map(|k| k.name().clone()).collect())
            .unwrap_or_default()
    }

    pub fn is_member(&self, session: &Session, room: &str) -> bool {
        self.lock().joined_room(room, session.id()).is_ok()
    }
}

/// The joiner's identity (`nick!user@host` and account) where `room` has bans or invite
/// exceptions to match it against; making it anywhere else would be wasted.
fn identity_to_match(state: &State, id: SessionId, room: &Name) -> Identity {
    match state.rooms.get(room.folded()) {
        Some(r) if r.has_bans() || !r.invite_exceptions.is_empty() => state.identity(id),
        _ => Identity::default(),
    }
}

/// Lets the session into `room`, made if it does not exist, if its rules allow (a room
/// nobody is in has none yet); an invitation is used up. The room's name as first typed,
/// and whether the session is its first member.
fn enter(
    state: &mut State,
    id: SessionId,
    room: &Name,
    identity: &Identity,
    key: Option<&str>,
) -> Result<(Name, bool), HubError> {
    state.next_seq += 1;
    let created = state.next_seq;
    let entry = state
        .rooms
        .entry(room.key())
        .or_insert_with(|| Room::new(room.clone(), created));
    let shown = entry.name.clone();
    if entry.members.contains_key(&id) {
        return Err(HubError::AlreadyMember(shown.to_string()));
    }
    let fresh = entry.members.is_empty();
    if !fresh {
        check_entry(entry, id, identity, key)?;
    }
    entry.invited.remove(&id);
    Ok((shown, fresh))
}

/// Seats the session in the room: among its members, and the room among the session's.
fn sit(state: &mut State, id: SessionId, room: &Name, seat: Seat) {
    if let Some(entry) = state.rooms.get_mut(room.folded()) {
        entry.members.insert(id, seat);
    }
    if let Some(member) = state.sessions.get_mut(&id) {
        member.joined(room.key());
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
/// at all.
/// Whether `id` may speak in `room`: its shown name, or why not (`NoSuchRoom` when there
/// is none, which saves the adapters a lookup of their own before saying).
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

/// The rules a room applies to a newcomer, in the order IRC servers check them; an
/// invitation lets one past the limit, invitation-only and bans, never past the key; an
/// invite exception (`+I`) past invitation-only alone.
fn check_entry(
    room: &Room,
    id: crate::session::SessionId,
    who: &Identity,
    key: Option<&str>,
) -> Result<(), HubError> {
    let name = || room.name.to_string();
    let invited = room.invited.contains(&id);
    if let Some(limit) = room.modes.limit {
        if room.members.len() >= limit && !invited {
            return Err(HubError::Full(name()));
        }
    }
    if room.modes.invite_only && !invited && !listed(&room.invite_exceptions, who) {
        return Err(HubError::InviteOnly(name()));
    }
    if let Some(expected) = &room.modes.key {
        if key != Some(expected.as_str()) {
            return Err(HubError::BadKey(name()));
        }
    }
    if room.is_banned(who) && !invited {
        return Err(HubError::Banned(name()));
    }
    Ok(())
}
