//! The hub: the one place chat state changes. Every verb here is synchronous, holds the
//! state lock only while it computes who must hear about it, and hands the events to the
//! [`Router`] after releasing the lock, so no sender ever waits on a recipient.
//!
//! Lock order: the hub's state lock may be taken before an outbox lock, never after.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use indexmap::IndexMap;

use crate::event::{Departure, Event, EventKind, Peer};
use crate::name::{Folded, Name, NameError, NameKey, DEFAULT_USER_NAME_MAX, ROOM_NAME_MAX};
use crate::outbox::DEFAULT_OUTBOX_BYTES;
use crate::router::{LocalRouter, Router};
use crate::session::{Session, SessionId};
use crate::text::Text;

/// The hub's settings.
#[derive(Debug, Clone)]
pub struct HubConfig {
    /// Longest user name in characters (PROTOCOLS.md: 20 by default, at most 32).
    pub name_max: usize,
    /// Outbox limit per session, in bytes.
    pub outbox_bytes: usize,
}

impl Default for HubConfig {
    fn default() -> Self {
        HubConfig {
            name_max: DEFAULT_USER_NAME_MAX,
            outbox_bytes: DEFAULT_OUTBOX_BYTES,
        }
    }
}

/// Why a verb was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HubError {
    #[error("bad name: {0}")]
    BadName(NameError),
    #[error("bad room name: {0}")]
    BadRoom(NameError),
    #[error("name {0} is taken")]
    NameTaken(String),
    #[error("choose a name first")]
    NoName,
    #[error("no user named {0}")]
    NoSuchUser(String),
    #[error("not in room {0}")]
    NotMember(String),
    #[error("already in room {0}")]
    AlreadyMember(String),
    #[error("the session is not attached")]
    Detached,
}

/// A user's entry: its handle, its name (with the order it was taken in) and its rooms.
struct Member {
    session: Arc<Session>,
    name: Option<(Name, u64)>,
    rooms: Vec<NameKey>,
}

struct Room {
    name: Name,
    /// Members in the order they joined.
    members: IndexMap<SessionId, Arc<Session>>,
    created: u64,
}

#[derive(Default)]
struct State {
    next_id: u64,
    next_seq: u64,
    sessions: HashMap<SessionId, Member>,
    names: HashMap<NameKey, SessionId>,
    /// Names in the order they were taken (`GET_NAMES`, packet LIST).
    name_order: BTreeMap<u64, SessionId>,
    rooms: HashMap<NameKey, Room>,
}

/// Events waiting to be handed to the router once the state lock is released.
#[derive(Default)]
struct Outgoing(Vec<(Vec<Arc<Session>>, Arc<Event>)>);

impl Outgoing {
    fn push(&mut self, recipients: Vec<Arc<Session>>, kind: EventKind) {
        if !recipients.is_empty() {
            self.0.push((recipients, Event::new(kind)));
        }
    }
}

pub struct Hub {
    state: Mutex<State>,
    router: Arc<dyn Router>,
    config: HubConfig,
}

impl Hub {
    pub fn new(config: HubConfig) -> Hub {
        Hub::with_router(config, Arc::new(LocalRouter))
    }

    pub fn with_router(config: HubConfig, router: Arc<dyn Router>) -> Hub {
        Hub {
            state: Mutex::new(State::default()),
            router,
            config,
        }
    }

    pub fn config(&self) -> &HubConfig {
        &self.config
    }

    /// Registers a new client that speaks `origin`.
    pub fn attach(&self, origin: &'static str) -> Arc<Session> {
        let mut state = self.lock();
        state.next_id += 1;
        let id = SessionId(state.next_id);
        let session = Arc::new(Session::new(id, origin, self.config.outbox_bytes));
        state.sessions.insert(
            id,
            Member {
                session: session.clone(),
                name: None,
                rooms: Vec::new(),
            },
        );
        session
    }

    /// Removes a client everywhere: its rooms hear `how`, its name becomes free.
    pub fn detach(&self, session: &Session, how: Departure) {
        let mut out = Outgoing::default();
        {
            let mut state = self.lock();
            leave_all_rooms(&mut state, session.id(), &how, &mut out);
            release(&mut state, session.id());
            state.sessions.remove(&session.id());
        }
        self.route(out);
    }

    /// Removes a client everywhere without telling anyone: when the whole server shuts
    /// down, every client hears that instead of a departure per user.
    pub fn detach_quietly(&self, session: &Session) {
        let mut state = self.lock();
        leave_all_rooms(
            &mut state,
            session.id(),
            &Departure::Lost,
            &mut Outgoing::default(),
        );
        release(&mut state, session.id());
        state.sessions.remove(&session.id());
    }

    /// Takes `name` for the session, releasing its old name. Rooms it is in hear of the
    /// change. Returns the name as typed.
    pub fn take_name(&self, session: &Session, name: &str) -> Result<Name, HubError> {
        let name = Name::parse(name, self.config.name_max).map_err(HubError::BadName)?;
        let mut out = Outgoing::default();
        {
            let mut state = self.lock();
            let state = &mut *state;
            if let Some(&holder) = state.names.get(name.folded()) {
                if holder != session.id() {
                    return Err(HubError::NameTaken(name.to_string()));
                }
            }
            let member = state
                .sessions
                .get(&session.id())
                .ok_or(HubError::Detached)?;
            let old = member.name.clone();
            if old.as_ref().is_some_and(|(old_name, _)| old_name == &name) {
                // The very same name, case and all: nothing changes, nobody hears of it.
                return Ok(name);
            }
            if let Some((old_name, seq)) = &old {
                state.names.remove(old_name.folded());
                state.names.insert(name.key(), session.id());
                set_name(state, session.id(), Some((name.clone(), *seq)));
                // Room membership is keyed by session id, so only the name entry changes.
                let peer = peer(&name, session);
                let recipients = room_mates(state, session.id());
                out.push(
                    recipients,
                    EventKind::Renamed {
                        old: old_name.clone(),
                        new: peer,
                    },
                );
            } else {
                state.next_seq += 1;
                let seq = state.next_seq;
                state.names.insert(name.key(), session.id());
                state.name_order.insert(seq, session.id());
                set_name(state, session.id(), Some((name.clone(), seq)));
            }
        }
        self.route(out);
        Ok(name)
    }

    /// Gives up the session's name after leaving every room (packet `logout`).
    pub fn release_name(&self, session: &Session, how: Departure) -> Option<Name> {
        let mut out = Outgoing::default();
        let old = {
            let mut state = self.lock();
            leave_all_rooms(&mut state, session.id(), &how, &mut out);
            release(&mut state, session.id())
        };
        self.route(out);
        old
    }

    pub fn name_of(&self, session: &Session) -> Option<Name> {
        let state = self.lock();
        name_of(&state, session.id())
    }

    /// Every named user, in the order the names were taken.
    pub fn names(&self) -> Vec<Name> {
        let state = self.lock();
        state
            .name_order
            .values()
            .filter_map(|id| name_of(&state, *id))
            .collect()
    }

    /// Finds a user by name, without regard to case.
    pub fn lookup(&self, name: &str) -> Option<Peer> {
        let state = self.lock();
        let id = state.names.get(Folded::new(name))?;
        let member = state.sessions.get(id)?;
        let (name, _) = member.name.as_ref()?;
        Some(peer(name, &member.session))
    }

    /// Joins a room, creating it if it does not exist. The others in it hear of it.
    /// Returns the room's name as it was first typed.
    pub fn join(&self, session: &Session, room: &str) -> Result<Name, HubError> {
        let room = Name::parse(room, ROOM_NAME_MAX).map_err(HubError::BadRoom)?;
        let mut out = Outgoing::default();
        let shown = {
            let mut state = self.lock();
            let state = &mut *state;
            let member = state
                .sessions
                .get(&session.id())
                .ok_or(HubError::Detached)?;
            let (name, _) = member.name.clone().ok_or(HubError::NoName)?;
            let handle = member.session.clone();
            state.next_seq += 1;
            let created = state.next_seq;
            let entry = state.rooms.entry(room.key()).or_insert_with(|| Room {
                name: room.clone(),
                members: IndexMap::new(),
                created,
            });
            if entry.members.contains_key(&session.id()) {
                return Err(HubError::AlreadyMember(entry.name.to_string()));
            }
            let others: Vec<_> = entry.members.values().cloned().collect();
            entry.members.insert(session.id(), handle);
            let shown = entry.name.clone();
            if let Some(member) = state.sessions.get_mut(&session.id()) {
                member.rooms.push(shown.key());
            }
            out.push(
                others,
                EventKind::Joined {
                    room: shown.clone(),
                    who: peer(&name, session),
                },
            );
            shown
        };
        self.route(out);
        Ok(shown)
    }

    /// Leaves a room; the others hear `Parted`. An emptied room disappears.
    pub fn part(
        &self,
        session: &Session,
        room: &str,
        reason: Option<Text>,
    ) -> Result<(), HubError> {
        let mut out = Outgoing::default();
        {
            let mut state = self.lock();
            let key = state
                .rooms
                .get_key_value(Folded::new(room))
                .map(|(k, _)| k.clone())
                .filter(|k| is_member(&state, k, session.id()))
                .ok_or_else(|| HubError::NotMember(room.to_string()))?;
            leave_room(
                &mut state,
                &key,
                session.id(),
                &Departure::Parted { reason },
                &mut out,
            );
            if let Some(member) = state.sessions.get_mut(&session.id()) {
                member.rooms.retain(|k| *k != key);
            }
        }
        self.route(out);
        Ok(())
    }

    /// Says `text` in a room the session is in; everyone else in it hears it.
    pub fn say(&self, session: &Session, room: &str, text: Text) -> Result<(), HubError> {
        let mut out = Outgoing::default();
        {
            let state = self.lock();
            let from = name_of(&state, session.id()).ok_or(HubError::NoName)?;
            let entry = state
                .rooms
                .get(Folded::new(room))
                .filter(|r| r.members.contains_key(&session.id()))
                .ok_or_else(|| HubError::NotMember(room.to_string()))?;
            let recipients = entry
                .members
                .iter()
                .filter(|(id, _)| **id != session.id())
                .map(|(_, s)| s.clone())
                .collect();
            out.push(
                recipients,
                EventKind::Said {
                    room: entry.name.clone(),
                    from: peer(&from, session),
                    text,
                },
            );
        }
        self.route(out);
        Ok(())
    }

    /// Sends `text` to one user by name (themself included).
    pub fn whisper(&self, session: &Session, to: &str, text: Text) -> Result<(), HubError> {
        let mut out = Outgoing::default();
        {
            let state = self.lock();
            let from = name_of(&state, session.id()).ok_or(HubError::NoName)?;
            let target = state
                .names
                .get(Folded::new(to))
                .and_then(|id| state.sessions.get(id))
                .ok_or_else(|| HubError::NoSuchUser(to.to_string()))?;
            let (to_name, _) = target
                .name
                .clone()
                .ok_or(HubError::NoSuchUser(to.to_string()))?;
            out.push(
                vec![target.session.clone()],
                EventKind::Direct {
                    from: peer(&from, session),
                    to: to_name,
                    text,
                },
            );
        }
        self.route(out);
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
                    .filter_map(|id| name_of(&state, *id))
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

    /// How many clients are attached.
    pub fn session_count(&self) -> usize {
        self.lock().sessions.len()
    }

    fn route(&self, out: Outgoing) {
        for (recipients, event) in out.0 {
            self.router.deliver(&recipients, &event);
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Verbs validate before they mutate, so a panic cannot leave half a change behind.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn peer(name: &Name, session: &Session) -> Peer {
    Peer {
        name: name.clone(),
        origin: session.origin(),
    }
}

fn name_of(state: &State, id: SessionId) -> Option<Name> {
    state
        .sessions
        .get(&id)?
        .name
        .as_ref()
        .map(|(n, _)| n.clone())
}

fn set_name(state: &mut State, id: SessionId, name: Option<(Name, u64)>) {
    if let Some(member) = state.sessions.get_mut(&id) {
        member.name = name;
    }
}

fn is_member(state: &State, room: &NameKey, id: SessionId) -> bool {
    state
        .rooms
        .get(room)
        .is_some_and(|r| r.members.contains_key(&id))
}

/// Everyone who shares at least one room with `id`, once each.
fn room_mates(state: &State, id: SessionId) -> Vec<Arc<Session>> {
    let Some(member) = state.sessions.get(&id) else {
        return Vec::new();
    };
    let mut seen: IndexMap<SessionId, Arc<Session>> = IndexMap::new();
    for key in &member.rooms {
        if let Some(room) = state.rooms.get(key) {
            for (other, session) in &room.members {
                if *other != id {
                    seen.entry(*other).or_insert_with(|| session.clone());
                }
            }
        }
    }
    seen.into_values().collect()
}

fn release(state: &mut State, id: SessionId) -> Option<Name> {
    let member = state.sessions.get_mut(&id)?;
    let (name, seq) = member.name.take()?;
    state.names.remove(name.folded());
    state.name_order.remove(&seq);
    Some(name)
}

fn leave_all_rooms(state: &mut State, id: SessionId, how: &Departure, out: &mut Outgoing) {
    let rooms = match state.sessions.get_mut(&id) {
        Some(member) => std::mem::take(&mut member.rooms),
        None => return,
    };
    for key in rooms {
        leave_room(state, &key, id, how, out);
    }
}

fn leave_room(
    state: &mut State,
    key: &NameKey,
    id: SessionId,
    how: &Departure,
    out: &mut Outgoing,
) {
    let Some(name) = name_of(state, id) else {
        return;
    };
    let Some(session) = state.sessions.get(&id).map(|m| m.session.clone()) else {
        return;
    };
    let Some(room) = state.rooms.get_mut(key) else {
        return;
    };
    if room.members.shift_remove(&id).is_none() {
        return;
    }
    let recipients: Vec<_> = room.members.values().cloned().collect();
    let room_name = room.name.clone();
    if room.members.is_empty() {
        state.rooms.remove(key);
    }
    out.push(
        recipients,
        EventKind::Left {
            room: room_name,
            who: peer(&name, &session),
            how: how.clone(),
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outbox::{CloseReason, Delivery};

    fn hub() -> Hub {
        Hub::new(HubConfig::default())
    }

    /// Everything queued for `session`, as event kinds (replies are not used here).
    fn events(session: &Session) -> Vec<EventKind> {
        let mut out = Vec::new();
        session.outbox().drain(&mut out);
        out.into_iter()
            .map(|d| match d {
                Delivery::Event(e) => e.kind().clone(),
                Delivery::Bytes(b) => panic!("unexpected reply {b:?}"),
            })
            .collect()
    }

    fn named(hub: &Hub, origin: &'static str, name: &str) -> Arc<Session> {
        let s = hub.attach(origin);
        hub.take_name(&s, name).unwrap();
        s
    }

    fn n(s: &str) -> Name {
        Name::parse(s, 32).unwrap()
    }

    #[test]
    fn names_are_unique_without_case_and_listed_in_taken_order() {
        let hub = hub();
        let a = named(&hub, "prefixed", "A");
        let _b = named(&hub, "prefixed", "B");
        let other = hub.attach("packet");
        assert_eq!(
            hub.take_name(&other, "a"),
            Err(HubError::NameTaken("a".into()))
        );
        assert_eq!(hub.names(), vec![n("A"), n("B")]);
        hub.detach(&a, Departure::Quit { reason: None });
        assert_eq!(hub.names(), vec![n("B")]);
        hub.take_name(&other, "a").unwrap();
        assert_eq!(hub.names(), vec![n("B"), n("a")]);
    }

    #[test]
    fn bad_names_are_refused() {
        let hub = hub();
        let s = hub.attach("rooms");
        assert_eq!(
            hub.take_name(&s, "1x"),
            Err(HubError::BadName(NameError::BadStart))
        );
        assert_eq!(
            hub.take_name(&s, &"x".repeat(21)),
            Err(HubError::BadName(NameError::TooLong(20)))
        );
    }

    #[test]
    fn rename_keeps_order_and_tells_room_mates_once() {
        let hub = hub();
        let a = named(&hub, "rooms", "alice");
        let b = named(&hub, "rooms", "bob");
        hub.join(&a, "r1").unwrap();
        hub.join(&a, "r2").unwrap();
        hub.join(&b, "r1").unwrap();
        hub.join(&b, "r2").unwrap();
        events(&a);
        hub.take_name(&b, "bert").unwrap();
        assert_eq!(
            events(&a),
            vec![EventKind::Renamed {
                old: n("bob"),
                new: Peer {
                    name: n("bert"),
                    origin: "rooms"
                }
            }]
        );
        assert_eq!(hub.names(), vec![n("alice"), n("bert")]);
        assert!(hub.lookup("bob").is_none());
        assert_eq!(hub.lookup("BERT").unwrap().name, n("bert"));
    }

    #[test]
    fn join_say_part_reach_everyone_else_only() {
        let hub = hub();
        let a = named(&hub, "rooms", "alice");
        let b = named(&hub, "broadcast", "bob");
        assert_eq!(hub.join(&a, "Lobby").unwrap(), n("Lobby"));
        assert_eq!(hub.join(&b, "lobby").unwrap(), n("Lobby"));
        assert_eq!(
            hub.join(&b, "lobby"),
            Err(HubError::AlreadyMember("Lobby".into()))
        );
        let bob = Peer {
            name: n("bob"),
            origin: "broadcast",
        };
        assert_eq!(
            events(&a),
            vec![EventKind::Joined {
                room: n("Lobby"),
                who: bob.clone()
            }]
        );
        assert!(events(&b).is_empty());

        hub.say(&b, "LOBBY", Text::new("hi")).unwrap();
        assert_eq!(
            events(&a),
            vec![EventKind::Said {
                room: n("Lobby"),
                from: bob.clone(),
                text: Text::new("hi")
            }]
        );
        assert!(events(&b).is_empty());

        hub.part(&b, "lobby", None).unwrap();
        assert_eq!(
            events(&a),
            vec![EventKind::Left {
                room: n("Lobby"),
                who: bob,
                how: Departure::Parted { reason: None }
            }]
        );
        assert_eq!(hub.members("lobby"), vec![n("alice")]);
        assert_eq!(
            hub.say(&b, "lobby", Text::new("x")),
            Err(HubError::NotMember("lobby".into()))
        );
    }

    #[test]
    fn rooms_appear_in_creation_order_and_vanish_with_the_last_member() {
        let hub = hub();
        let a = named(&hub, "rooms", "alice");
        hub.join(&a, "zeta").unwrap();
        hub.join(&a, "alpha").unwrap();
        assert_eq!(hub.rooms(), vec![n("zeta"), n("alpha")]);
        assert_eq!(hub.rooms_of(&a), vec![n("zeta"), n("alpha")]);
        hub.detach(&a, Departure::Lost);
        assert!(hub.rooms().is_empty());
        assert_eq!(hub.session_count(), 0);
    }

    #[test]
    fn a_lost_client_is_announced_as_lost() {
        let hub = hub();
        let a = named(&hub, "broadcast", "alice");
        let b = named(&hub, "broadcast", "bob");
        hub.join(&a, "lobby").unwrap();
        hub.join(&b, "lobby").unwrap();
        events(&a);
        hub.detach(&b, Departure::Lost);
        assert_eq!(
            events(&a),
            vec![EventKind::Left {
                room: n("lobby"),
                who: Peer {
                    name: n("bob"),
                    origin: "broadcast"
                },
                how: Departure::Lost
            }]
        );
        assert!(hub.lookup("bob").is_none());
    }

    #[test]
    fn retaking_ones_own_name_is_silent_but_a_case_change_is_heard() {
        let hub = hub();
        let a = named(&hub, "rooms", "bo");
        let b = named(&hub, "rooms", "cy");
        hub.join(&a, "r").unwrap();
        hub.join(&b, "r").unwrap();
        events(&b);
        hub.take_name(&a, "bo").unwrap();
        assert!(events(&b).is_empty());
        hub.take_name(&a, "Bo").unwrap();
        assert_eq!(
            events(&b),
            vec![EventKind::Renamed {
                old: n("bo"),
                new: Peer {
                    name: n("Bo"),
                    origin: "rooms"
                }
            }]
        );
    }

    #[test]
    fn a_quiet_detach_tells_no_one() {
        let hub = hub();
        let a = named(&hub, "rooms", "alice");
        let b = named(&hub, "rooms", "bob");
        hub.join(&a, "r").unwrap();
        hub.join(&b, "r").unwrap();
        events(&a);
        hub.detach_quietly(&b);
        assert!(events(&a).is_empty());
        assert_eq!(hub.members("r"), vec![n("alice")]);
        assert!(hub.lookup("bob").is_none());
    }

    #[test]
    fn whisper_reaches_one_user_even_oneself() {
        let hub = hub();
        let a = named(&hub, "prefixed", "A");
        let b = named(&hub, "packet", "B");
        hub.whisper(&a, "b", Text::new("HELLO")).unwrap();
        assert_eq!(
            events(&b),
            vec![EventKind::Direct {
                from: Peer {
                    name: n("A"),
                    origin: "prefixed"
                },
                to: n("B"),
                text: Text::new("HELLO")
            }]
        );
        hub.whisper(&a, "A", Text::new("me")).unwrap();
        assert_eq!(events(&a).len(), 1);
        assert_eq!(
            hub.whisper(&a, "nobody", Text::new("x")),
            Err(HubError::NoSuchUser("nobody".into()))
        );
        let anon = hub.attach("prefixed");
        assert_eq!(
            hub.whisper(&anon, "A", Text::new("x")),
            Err(HubError::NoName)
        );
    }

    #[test]
    fn joining_needs_a_name_and_a_good_room() {
        let hub = hub();
        let s = hub.attach("rooms");
        assert_eq!(hub.join(&s, "r"), Err(HubError::NoName));
        hub.take_name(&s, "x").unwrap();
        assert_eq!(
            hub.join(&s, "bad room"),
            Err(HubError::BadRoom(NameError::BadCharacter))
        );
    }

    #[test]
    fn a_slow_consumer_is_closed_and_the_sender_goes_on() {
        let hub = Hub::new(HubConfig {
            outbox_bytes: 1000,
            ..HubConfig::default()
        });
        let talker = named(&hub, "rooms", "talker");
        let fast = named(&hub, "rooms", "fast");
        let slow = named(&hub, "rooms", "slow");
        for s in [&talker, &fast, &slow] {
            hub.join(s, "r").unwrap();
        }
        events(&talker);
        events(&fast);
        for i in 0..100 {
            hub.say(&talker, "r", Text::new(&format!("message {i}")))
                .unwrap();
            assert_eq!(events(&fast).len(), 1, "fast reader got message {i}");
        }
        let mut out = Vec::new();
        assert_eq!(slow.outbox().drain(&mut out), Some(CloseReason::Overflow));
    }

    #[test]
    fn release_name_leaves_rooms_and_frees_the_name() {
        let hub = hub();
        let a = named(&hub, "packet", "A");
        hub.join(&a, "r").unwrap();
        assert_eq!(
            hub.release_name(&a, Departure::Quit { reason: None }),
            Some(n("A"))
        );
        assert!(hub.rooms().is_empty());
        assert!(hub.names().is_empty());
        assert_eq!(hub.release_name(&a, Departure::Lost), None);
    }
}
