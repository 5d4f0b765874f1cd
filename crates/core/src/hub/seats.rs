//! A room's seats: its members in the order they joined, and the list of this node's
//! members' sessions that delivery of the room's messages shares.
//!
//! A room message reaches every member of this node but its author. Building a list of
//! session handles for each message, under the hub's lock, cost a `Vec` and a reference
//! count up and down per recipient per message; the list here is built once, on the
//! first message after a member came or went, and each message holds it by one `Arc`.

use std::ops::Deref;
use std::sync::{Arc, OnceLock};

use indexmap::IndexMap;

use super::room::Seat;
use crate::msgid::MsgId;
use crate::session::{Session, SessionId};

/// The sessions of this node's members of a room, in the order they joined.
pub(crate) type LocalMembers = Arc<[Arc<Session>]>;

/// A room's members. Reads go through `Deref` to the map; every change of who is seated
/// goes through a method here, which forgets the shared list.
#[derive(Default)]
pub(crate) struct Seats {
    seats: IndexMap<SessionId, Seat>,
    local: OnceLock<Local>,
}

/// The shared list and the latest join among its members.
struct Local {
    sessions: LocalMembers,
    latest_join: Option<MsgId>,
}

impl Deref for Seats {
    type Target = IndexMap<SessionId, Seat>;

    fn deref(&self) -> &Self::Target {
        &self.seats
    }
}

impl Seats {
    pub fn insert(&mut self, id: SessionId, seat: Seat) {
        self.local.take();
        self.seats.insert(id, seat);
    }

    /// Seats `id` unless it is seated already.
    pub fn insert_if_absent(&mut self, id: SessionId, seat: Seat) {
        if !self.seats.contains_key(&id) {
            self.insert(id, seat);
        }
    }

    pub fn shift_remove(&mut self, id: &SessionId) -> Option<Seat> {
        self.local.take();
        self.seats.shift_remove(id)
    }

    /// Empties the room, its seats in join order.
    pub fn drain(&mut self) -> impl Iterator<Item = (SessionId, Seat)> + '_ {
        self.local.take();
        self.seats.drain(..)
    }

    /// A member's seat, to change its rank (`op`, `voice`); who sits in it stays.
    pub fn get_mut(&mut self, id: &SessionId) -> Option<&mut Seat> {
        self.seats.get_mut(id)
    }

    /// This node's members' sessions, if every one of them joined before `msgid`: then
    /// they are exactly those an event with that id reaches (routing gives a member only
    /// the room's events made after its join). `None` sends the caller to the seats.
    pub fn local_before(&self, msgid: MsgId) -> Option<LocalMembers> {
        let local = self.local.get_or_init(|| self.build_local());
        let all_earlier = local.latest_join.is_none_or(|latest| latest < msgid);
        all_earlier.then(|| local.sessions.clone())
    }

    fn build_local(&self) -> Local {
        let here = self.seats.iter().filter(|(id, _)| !id.is_remote());
        let latest_join = here.clone().map(|(_, seat)| seat.since).max();
        let sessions = here.map(|(_, seat)| seat.session.clone()).collect();
        Local {
            sessions,
            latest_join,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{events, hub, n, named};
    use crate::event::EventKind;
    use crate::text::Text;
    use std::sync::Arc;

    /// The room's shared list as the hub holds it now, if it has built one.
    fn shared(hub: &crate::Hub, room: &str) -> Option<super::LocalMembers> {
        let state = hub.lock();
        let room = state.rooms.get(n(room).folded())?;
        room.members.local.get().map(|l| l.sessions.clone())
    }

    fn said_texts(session: &crate::Session) -> Vec<String> {
        let kinds = events(session).into_iter();
        let texts = kinds.filter_map(|k| match k {
            EventKind::Said { text, .. } => Some(text.to_string()),
            _ => None,
        });
        texts.collect()
    }

    #[test]
    fn messages_share_one_list_until_someone_comes_or_goes() {
        let hub = hub();
        let [a, b, c] = ["a", "b", "c"].map(|name| named(&hub, "irc", name));
        for session in [&a, &b] {
            hub.join(session, n("r")).unwrap();
        }
        hub.say(&a, "r", Text::new("one")).unwrap();
        let first = shared(&hub, "r").unwrap();
        hub.say(&b, "r", Text::new("two")).unwrap();
        assert!(Arc::ptr_eq(&first, &shared(&hub, "r").unwrap()));
        let ids = |list: super::LocalMembers| list.iter().map(|s| s.id()).collect::<Vec<_>>();
        assert_eq!(ids(first.clone()), [a.id(), b.id()]);
        hub.join(&c, n("r")).unwrap();
        hub.say(&a, "r", Text::new("three")).unwrap();
        let after_join = shared(&hub, "r").unwrap();
        assert!(!Arc::ptr_eq(&first, &after_join), "a join makes a new list");
        assert_eq!(ids(after_join), [a.id(), b.id(), c.id()]);
        hub.part(&b, "r", None).unwrap();
        hub.say(&c, "r", Text::new("four")).unwrap();
        assert_eq!(ids(shared(&hub, "r").unwrap()), [a.id(), c.id()]);
        // The author is never among those who hear, though the list holds it.
        assert_eq!(said_texts(&a), ["two", "four"]);
        assert_eq!(said_texts(&b), ["one", "three"]);
        assert_eq!(said_texts(&c), ["three"]);
    }

    #[test]
    fn an_event_older_than_a_join_gets_no_shared_list() {
        use super::{Seat, Seats};
        use crate::msgid::MsgId;
        let hub = hub();
        let at = |millis| MsgId::new(millis, 0, 0);
        let mut seats = Seats::default();
        for (name, joined) in [("a", 10), ("b", 20)] {
            let session = named(&hub, "irc", name);
            let seat = Seat {
                session: session.clone(),
                op: false,
                voice: false,
                since: at(joined),
            };
            seats.insert(session.id(), seat);
        }
        // Made between the two joins, routed now (past a stage): b must not be handed
        // it, so the caller goes through the seats one by one.
        assert!(seats.local_before(at(15)).is_none());
        assert!(seats.local_before(at(20)).is_none());
        assert_eq!(seats.local_before(at(21)).map(|l| l.len()), Some(2));
        seats.shift_remove(&seats.keys().copied().last().unwrap());
        assert_eq!(seats.local_before(at(15)).map(|l| l.len()), Some(1));
    }
}
