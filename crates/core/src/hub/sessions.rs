//! Sessions and their names: attaching a client, taking and giving up a name, leaving,
//! and looking users up by name.

use std::sync::Arc;
use std::time::SystemTime;

use super::state::Member;
use super::{whowas, Hub, HubError, Outgoing, Residence};
use crate::event::{Departure, EventKind};
use crate::name::{Folded, Name};
use crate::outbox::CloseReason;
use crate::session::{Session, SessionId};

impl Hub {
    /// Registers a new client that speaks `origin`; others see its host as the origin
    /// (`name!name@rooms`).
    pub fn attach(&self, origin: &'static str) -> Arc<Session> {
        self.attach_from(origin, origin)
    }

    /// Registers a new client whose host others see as `host` (IRC shows the address).
    pub fn attach_from(&self, origin: &'static str, host: impl Into<Arc<str>>) -> Arc<Session> {
        self.attach_as(origin, host, Residence::Free)
    }

    /// Registers a new client whose protocol lives in rooms as `residence` says.
    pub fn attach_as(
        &self,
        origin: &'static str,
        host: impl Into<Arc<str>>,
        residence: Residence,
    ) -> Arc<Session> {
        let mut state = self.lock();
        state.next_id += 1;
        let id = SessionId(state.next_id);
        let session = Arc::new(Session::new(id, origin, self.live.load().outbox_bytes));
        if let Some(reason) = state.closing {
            // Arrived as the server closes: its writer ends it at once, like everyone's.
            session.outbox().close(reason);
        }
        let mut member = Member::new(session.clone(), host.into(), SystemTime::now());
        member.residence = residence;
        state.sessions.insert(id, Box::new(member));
        session
    }

    /// Closes every session's outbox, and the outbox of every session attached from now
    /// on, with `reason`: each writer delivers what is queued and ends its session. This is
    /// how a server shutdown reaches every connection, with nothing kept per connection to
    /// wait for it.
    pub fn close_all(&self, reason: CloseReason) {
        let mut state = self.lock();
        state.closing = Some(reason);
        for member in state.sessions.values() {
            member.session.outbox().close(reason);
        }
    }

    /// Removes a client everywhere: its rooms hear `how`, its name becomes free.
    pub fn detach(&self, session: &Session, how: Departure) {
        let mut out = Outgoing::default();
        let mut state = self.lock();
        state.leave_all_rooms(session.id(), &how, &mut out);
        state.release(session.id());
        state.forget(session.id());
        self.send(state, out);
    }

    /// Removes a client everywhere without telling anyone: when the whole server shuts
    /// down, every client hears that instead of a departure per user.
    pub fn detach_quietly(&self, session: &Session) {
        let mut state = self.lock();
        state.leave_all_rooms(session.id(), &Departure::Lost, &mut Outgoing::default());
        state.release(session.id());
        state.forget(session.id());
    }

    /// Takes `name` for the session, releasing its old name. Rooms it is in hear of the
    /// change. Returns the name as typed.
    pub fn take_name(&self, session: &Session, name: Name) -> Result<Name, HubError> {
        let mut out = Outgoing::default();
        let mut state = self.lock();
        let id = session.id();
        if let Some(&holder) = state.names.get(name.folded()) {
            if holder != id {
                return Err(HubError::NameTaken(name.to_string()));
            }
        }
        if !state.may_take(id, &name) {
            return Err(HubError::NameReserved(name.to_string()));
        }
        if let Some(reason) = state.server_ban_on(id, &name) {
            return Err(HubError::ServerBanned(reason));
        }
        let current = state.member(id)?.name.clone();
        // Watchers hear of a name taken, not of a change of case.
        let case_only = matches!(&current, Some((old, _)) if old.key() == name.key());
        match current {
            // The very same name, case and all: nothing changes, nobody hears of it.
            Some((old_name, _)) if old_name == name => return Ok(name),
            Some((old, seq)) => {
                state.names.remove(old.folded());
                if !case_only {
                    state.presence(&old, None);
                }
                let was = whowas::WasView::of(state.member(id)?, old.clone());
                state.remember(was);
                state.names.insert(name.key(), id);
                state.set_name(id, Some((name.clone(), seq)));
                // Room membership is keyed by session id, so only the name changes.
                let rooms = state.rooms_named(id);
                if !rooms.is_empty() {
                    let new = state.peer(id)?;
                    let kind = EventKind::Renamed { old, new, rooms };
                    out.push(state.event(Some(id), kind));
                }
            }
            None => {
                state.next_seq += 1;
                let seq = state.next_seq;
                state.names.insert(name.key(), id);
                state.name_order.insert(seq, id);
                state.set_name(id, Some((name.clone(), seq)));
                state.peak_named = state.peak_named.max(state.names.len());
            }
        }
        if !case_only {
            let peer = state.peer(id)?;
            state.presence(&name, Some(peer));
        }
        self.send(state, out);
        Ok(name)
    }

    /// Gives up the session's name after leaving every room (packet `logout`).
    pub fn release_name(&self, session: &Session, how: Departure) -> Option<Name> {
        let mut out = Outgoing::default();
        let mut state = self.lock();
        state.leave_all_rooms(session.id(), &how, &mut out);
        let old = state.release(session.id());
        self.send(state, out);
        old
    }

    pub fn name_of(&self, session: &Session) -> Option<Name> {
        self.lock().name_of(session.id())
    }

    /// Every named user, in the order the names were taken.
    pub fn names(&self) -> Vec<Name> {
        let state = self.lock();
        state
            .name_order
            .values()
            .filter_map(|id| state.name_of(*id))
            .collect()
    }

    /// Finds a user by name, without regard to case.
    pub fn lookup(&self, name: &str) -> Option<crate::event::Peer> {
        let state = self.lock();
        let id = *state.names.get(Folded::new(name))?;
        state.peer(id).ok()
    }

    /// The session with this id, if it is still attached.
    pub fn session(&self, id: SessionId) -> Option<Arc<Session>> {
        let state = self.lock();
        state.sessions.get(&id).map(|m| m.session.clone())
    }

    /// How many clients are attached.
    pub fn session_count(&self) -> usize {
        self.lock().sessions.len()
    }
}
