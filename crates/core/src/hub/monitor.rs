//! Who watches whom (IRC `MONITOR`): each session's list of names, and a `Presence` event
//! to the watchers of a name whenever it is taken or given up, on any protocol, so an
//! IRC user's buddy list follows classroom users too.
//!
//! With IRC's extended-monitor, a watched user's changes (away, account, real name) reach
//! the watchers who share no room with them too: a second event, addressed to those.
//!
//! Nothing here runs for a name nobody watches but one map lookup when a name changes
//! hands or its owner changes.

use std::collections::HashMap;
use std::sync::Arc;

use super::state::State;
use super::{Hub, Outgoing};
use crate::event::{Event, EventKind, Peer};
use crate::name::{Name, NameKey};
use crate::session::{Session, SessionId};

/// The most names one session may watch (ISUPPORT `MONITOR`).
pub const MONITOR_MAX: usize = 100;

/// Both directions of the watch lists.
#[derive(Default)]
pub(crate) struct Watches {
    /// Each watched name's watchers.
    by_name: HashMap<NameKey, Vec<SessionId>>,
    /// Each watcher's names, in the order added.
    by_session: HashMap<SessionId, Vec<Name>>,
    /// Presence events made by a state change that had no verb's `Outgoing` at hand (a
    /// name given up on the way out): sent with the verb's own events.
    pending: Vec<Arc<Event>>,
}

/// Whether one watched name is online, and as whom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Watched {
    pub name: Name,
    pub online: Option<Peer>,
}

impl State {
    /// Notes that `name` was taken (`online`) or given up: its watchers hear of it.
    /// In a cluster every change is announced, watched or not: it is how the other
    /// nodes learn which names this node's users hold.
    pub(crate) fn presence(&mut self, name: &Name, online: Option<Peer>) {
        if self.announce_names {
            let event = self.presence_event(name, online);
            self.watches.pending.push(event);
        } else if let Some(event) = self.presence_here(name, online) {
            self.watches.pending.push(event);
        }
    }

    /// A presence event for this node's watchers only, made now (a user of another node
    /// came or went: that node announces it to the rest itself); `None` if nobody here
    /// watches the name.
    pub(crate) fn presence_here(
        &mut self,
        name: &Name,
        online: Option<Peer>,
    ) -> Option<Arc<Event>> {
        self.watches
            .by_name
            .contains_key(name.folded())
            .then(|| self.presence_event(name, online))
    }

    fn presence_event(&mut self, name: &Name, online: Option<Peer>) -> Arc<Event> {
        let kind = EventKind::Presence {
            name: name.clone(),
            online,
        };
        self.event(None, kind)
    }

    /// Presence events waiting for the verb that caused them to send its events.
    pub(crate) fn take_presence(&mut self, out: &mut Outgoing) {
        for event in self.watches.pending.drain(..) {
            out.push(event);
        }
    }

    /// The sessions watching `name`.
    pub(crate) fn watchers(&self, name: &Name) -> Vec<Arc<Session>> {
        let Some(ids) = self.watches.by_name.get(name.folded()) else {
            return Vec::new();
        };
        ids.iter()
            .filter_map(|id| Some(self.sessions.get(id)?.session.clone()))
            .collect()
    }

    /// The sessions watching `name` but `except` who are in none of `rooms`.
    pub(crate) fn watchers_apart(
        &self,
        name: &Name,
        rooms: &[Name],
        except: Option<SessionId>,
    ) -> Vec<Arc<Session>> {
        let Some(ids) = self.watches.by_name.get(name.folded()) else {
            return Vec::new();
        };
        let in_rooms = |id: &SessionId| {
            let mut rooms = rooms.iter().filter_map(|r| self.rooms.get(r.folded()));
            rooms.any(|room| room.members.contains_key(id))
        };
        ids.iter()
            .filter(|id| Some(**id) != except && !in_rooms(id))
            .filter_map(|id| Some(self.sessions.get(id)?.session.clone()))
            .collect()
    }

    /// Tells a change of `id`'s (away, account, real name) to everyone who shares a room
    /// with it and, in a second event, to those watching its name who share none.
    /// `change` makes the event's kind from the user, its rooms and whether it is the
    /// watchers' copy.
    pub(crate) fn tell_change(
        &mut self,
        id: SessionId,
        out: &mut Outgoing,
        change: impl Fn(Peer, Arc<[Name]>, bool) -> EventKind,
    ) {
        let Ok(who) = self.peer(id) else {
            return;
        };
        let rooms = self.rooms_named(id);
        // In a cluster the copy always goes: other nodes' watchers cannot be seen here.
        let watched =
            self.announce_names || !self.watchers_apart(&who.name, &rooms, Some(id)).is_empty();
        if !rooms.is_empty() {
            let kind = change(who.clone(), rooms.clone(), false);
            out.push(self.event(Some(id), kind));
        }
        if watched {
            out.push(self.event(Some(id), change(who, rooms, true)));
        }
    }

    /// Drops everything a departing session watched.
    pub(crate) fn unwatch_all(&mut self, id: SessionId) {
        for name in self.watches.by_session.remove(&id).unwrap_or_default() {
            self.unwatch_name(id, &name);
        }
    }

    fn unwatch_name(&mut self, id: SessionId, name: &Name) {
        if let Some(ids) = self.watches.by_name.get_mut(name.folded()) {
            ids.retain(|w| *w != id);
            if ids.is_empty() {
                self.watches.by_name.remove(name.folded());
            }
        }
    }

    fn watched(&self, name: Name) -> Watched {
        let online = self
            .session_named(name.as_str())
            .ok()
            .and_then(|id| self.peer(id).ok());
        Watched { name, online }
    }
}

impl Hub {
    /// Adds names to the session's watch list; each one's status now, or `Err` with the
    /// names that did not fit under [`MONITOR_MAX`].
    pub fn monitor_add(
        &self,
        session: &Session,
        names: Vec<Name>,
    ) -> Result<Vec<Watched>, (Vec<Watched>, Vec<Name>)> {
        let mut state = self.lock();
        let id = session.id();
        let (mut added, mut refused) = (Vec::new(), Vec::new());
        for name in names {
            let list = state.watches.by_session.entry(id).or_default();
            if list.iter().any(|n| n.key() == name.key()) {
                added.push(name);
                continue;
            }
            if list.len() >= MONITOR_MAX {
                refused.push(name);
                continue;
            }
            list.push(name.clone());
            state
                .watches
                .by_name
                .entry(name.key())
                .or_default()
                .push(id);
            added.push(name);
        }
        let statuses = added.into_iter().map(|n| state.watched(n)).collect();
        match refused.is_empty() {
            true => Ok(statuses),
            false => Err((statuses, refused)),
        }
    }

    /// Takes names off the session's watch list.
    pub fn monitor_remove(&self, session: &Session, names: &[Name]) {
        let mut state = self.lock();
        let id = session.id();
        for name in names {
            if let Some(list) = state.watches.by_session.get_mut(&id) {
                list.retain(|n| n.key() != name.key());
            }
            state.unwatch_name(id, name);
        }
    }

    /// Empties the session's watch list.
    pub fn monitor_clear(&self, session: &Session) {
        self.lock().unwatch_all(session.id());
    }

    /// The session's watch list with each name's status now, in the order added.
    pub fn monitor_list(&self, session: &Session) -> Vec<Watched> {
        let state = self.lock();
        let names = state
            .watches
            .by_session
            .get(&session.id())
            .cloned()
            .unwrap_or_default();
        names.into_iter().map(|n| state.watched(n)).collect()
    }
}

#[cfg(test)]
mod tests {
    use crate::event::EventKind;
    use crate::hub::{Hub, HubConfig};
    use crate::name::Name;
    use crate::outbox::Delivery;

    fn n(s: &str) -> Name {
        Name::parse(s, 32).unwrap()
    }

    #[test]
    fn a_watcher_apart_gets_the_watchers_copy_and_a_room_mate_only_the_rooms() {
        let hub = Hub::new(HubConfig::default());
        let (far, mate, bo) = (hub.attach("irc"), hub.attach("irc"), hub.attach("irc"));
        for (session, name) in [(&far, "far"), (&mate, "mate"), (&bo, "bo")] {
            hub.take_name(session, n(name)).unwrap();
        }
        hub.join(&mate, n("r")).unwrap();
        hub.join(&bo, n("r")).unwrap();
        for watcher in [&far, &mate] {
            hub.monitor_add(watcher, vec![n("bo")]).unwrap();
        }
        let mut drained = Vec::new();
        for session in [&far, &mate] {
            session.outbox().drain(&mut drained);
        }
        drained.clear();
        hub.log_in(&bo, n("Bo")).unwrap();
        let copies = |session: &crate::Session| {
            let mut drained = Vec::new();
            session.outbox().drain(&mut drained);
            drained
                .iter()
                .map(|d| match d {
                    Delivery::Event(e) => match e.kind() {
                        EventKind::AccountChanged { to_watchers, .. } => *to_watchers,
                        other => panic!("{other:?}"),
                    },
                    _ => panic!("not an event"),
                })
                .collect::<Vec<bool>>()
        };
        assert_eq!(copies(&far), [true]);
        assert_eq!(copies(&mate), [false]);
        assert!(copies(&bo).is_empty(), "the author hears neither");
    }
}
