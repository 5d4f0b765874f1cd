//! Rooms: join (with the rules a room applies to a newcomer), part, and the lists.
//! Messages said in them are `messages.rs`.

use std::sync::Arc;

use super::state::{listed, Room, Seat, State};
use super::{Hub, HubError, Outgoing};
use crate::event::EventKind;
use crate::mask::Identity;
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
