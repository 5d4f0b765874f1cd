//! The hub's state and the small operations every verb shares. Only code holding the
//! hub's lock touches it.

pub(crate) use super::member::Member;
pub(crate) use super::room::{listed, Room, Seat};
pub use super::room::{Ban, ChannelModes, Topic};

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use super::{HubError, Outgoing, Residence};
use crate::event::{Audience, Departure, Event, EventKind, Peer, Rank};
use crate::mask::Identity;
use crate::msgid::{MsgId, MsgIds};
use crate::name::{Folded, Name, NameKey};
use crate::outbox::CloseReason;
use crate::router::Routed;
use crate::session::{Session, SessionId};

#[derive(Default)]
pub(crate) struct State {
    pub next_id: u64,
    pub next_seq: u64,
    /// Boxed, so the map's spare capacity (up to half of it at times) costs a pointer per
    /// slot rather than a whole member.
    pub sessions: HashMap<SessionId, Box<Member>>,
    pub names: HashMap<NameKey, SessionId>,
    /// Names in the order they were taken (`GET_NAMES`, packet LIST).
    pub name_order: BTreeMap<u64, SessionId>,
    pub rooms: HashMap<NameKey, Room>,
    /// The most users ever named at once (IRC LUSERS shows it).
    pub peak_named: usize,
    /// Gives every event its id.
    pub msgids: MsgIds,
    /// Set by [`super::Hub::close_all`]: sessions attached after it are closed at once.
    pub closing: Option<CloseReason>,
    /// The registered accounts' names: only a session logged in to one may take it. The
    /// server loads them from its store; the core only keeps the set.
    pub accounts: HashSet<NameKey>,
    /// Names nobody may take (the services' `NickServ`).
    pub reserved: HashSet<NameKey>,
    /// Server-wide bans by mask or account (IRC `KLINE`): see `removal.rs`.
    pub server_bans: Vec<super::ServerBan>,
    /// Names given up, newest first (IRC `WHOWAS`): see `whowas.rs`.
    pub whowas: super::whowas::WhoWas,
    /// Who watches which names (IRC `MONITOR`): see `monitor.rs`.
    pub watches: super::monitor::Watches,
    /// Whether every name taken or given up makes a `Presence` event, watched or not
    /// ([`super::HubConfig::announce_names`]).
    pub announce_names: bool,
    /// The users of other nodes, by the id this hub gave them, with their node: see
    /// `ghosts.rs`.
    pub ghosts: HashMap<SessionId, u16>,
    /// The last number given to a user of another node.
    pub next_ghost: u64,
    /// Who said the latest messages, for `REDACT`: see `redaction.rs`.
    pub recent: super::redaction::Recent,
    /// Each account's read marks (IRC `MARKREAD`): see `marks.rs`.
    pub read_marks: super::marks::ReadMarks,
}

impl State {
    /// A new event made now by `author`, with the next id.
    pub fn event(&mut self, author: Option<SessionId>, kind: EventKind) -> Arc<Event> {
        let now = crate::event::now();
        let msgid = self.msgids.next_at(now);
        Event::at_time(msgid, now, author, kind)
    }

    pub fn member(&self, id: SessionId) -> Result<&Member, HubError> {
        self.sessions
            .get(&id)
            .map(|m| &**m)
            .ok_or(HubError::Detached)
    }

    pub fn name_of(&self, id: SessionId) -> Option<Name> {
        self.sessions
            .get(&id)?
            .name
            .as_ref()
            .map(|(n, _)| n.clone())
    }

    /// The session's name, or `NoName` if it has none yet.
    pub fn named(&self, id: SessionId) -> Result<Name, HubError> {
        self.name_of(id).ok_or(HubError::NoName)
    }

    pub fn set_name(&mut self, id: SessionId, name: Option<(Name, u64)>) {
        if let Some(member) = self.sessions.get_mut(&id) {
            member.name = name;
        }
    }

    /// How others see the session; it must have a name.
    pub fn peer(&self, id: SessionId) -> Result<Peer, HubError> {
        let member = self.member(id)?;
        let (name, _) = member.name.clone().ok_or(HubError::NoName)?;
        Ok(Peer {
            name,
            origin: member.session.origin(),
            user: member.user.clone(),
            host: member.host.clone(),
            realname: member.realname.clone(),
            account: member.account().cloned(),
            bot: member.bot(),
        })
    }

    /// `nick!user@host`, for ban matching.
    pub fn hostmask(&self, id: SessionId) -> Option<String> {
        let peer = self.peer(id).ok()?;
        Some(format!("{}!{}@{}", peer.name, peer.user(), peer.host))
    }

    /// What the masks of a room's lists are matched against (empty for a session
    /// without a name, whom only `*` matches).
    pub fn identity(&self, id: SessionId) -> Identity {
        Identity {
            hostmask: self.hostmask(id).unwrap_or_default(),
            account: self.sessions.get(&id).and_then(|m| m.account().cloned()),
        }
    }

    pub fn session_named(&self, name: &str) -> Result<SessionId, HubError> {
        self.names
            .get(Folded::new(name))
            .copied()
            .ok_or_else(|| HubError::NoSuchUser(name.to_string()))
    }

    pub fn room(&self, name: &str) -> Result<&Room, HubError> {
        self.rooms
            .get(Folded::new(name))
            .ok_or_else(|| HubError::NoSuchRoom(name.to_string()))
    }

    pub fn room_mut(&mut self, name: &str) -> Result<&mut Room, HubError> {
        self.rooms
            .get_mut(Folded::new(name))
            .ok_or_else(|| HubError::NoSuchRoom(name.to_string()))
    }

    /// The room, if `id` is a member of it.
    pub fn joined_room(&self, name: &str, id: SessionId) -> Result<&Room, HubError> {
        self.rooms
            .get(Folded::new(name))
            .filter(|r| r.members.contains_key(&id))
            .ok_or_else(|| HubError::NotMember(name.to_string()))
    }

    /// The names of the rooms `id` is in, in the order it joined them.
    pub fn rooms_named(&self, id: SessionId) -> Arc<[Name]> {
        self.sessions
            .get(&id)
            .map(|m| m.rooms.iter().map(|k| k.name().clone()).collect())
            .unwrap_or_else(|| Arc::from([]))
    }

    /// Each event with the sessions of this process it reaches now; `held` when it will
    /// be delivered later, past a stage.
    pub fn resolve_all(&self, events: Vec<Arc<Event>>, held: bool) -> Vec<Routed> {
        let make = if held { Routed::held } else { Routed::new };
        events
            .into_iter()
            .map(|event| make(event.clone(), self.resolve(&event)))
            .collect()
    }

    /// The sessions an event's audience names, as the rooms and names are now. The author
    /// is left out of room audiences when it is a session of this node. An event of
    /// another node reaches every member seated when it arrives: ids made on two clocks
    /// do not tell which came first, the order of arrival does.
    pub fn resolve(&self, event: &Event) -> Vec<Arc<Session>> {
        let own = event.msgid().node() == self.msgids.node();
        let except = event.author().filter(|_| own);
        let msgid = if own {
            event.msgid()
        } else {
            MsgId::from_bytes([0xFF; 16])
        };
        let by_name = |name: &Name| {
            let id = self.names.get(name.folded()).filter(|id| !id.is_remote())?;
            Some(self.sessions.get(id)?.session.clone())
        };
        match event.kind().audience() {
            Audience::Room(room) => self.members_but(std::slice::from_ref(room), except, msgid),
            Audience::RoomRank(room, rank) => self.ranked_but(room, rank, except, msgid),
            Audience::Rooms(rooms) => self.members_but(rooms, except, msgid),
            Audience::RoomAnd(room, user) => {
                let room = std::slice::from_ref(room);
                let mut recipients = self.members_but(room, except, msgid);
                if let Some(extra) = by_name(user) {
                    if !recipients.iter().any(|s| s.id() == extra.id()) {
                        recipients.push(extra);
                    }
                }
                recipients
            }
            Audience::User(user) => by_name(user).into_iter().collect(),
            Audience::Watchers(name) => self.watchers(name),
            Audience::WatchersApart(name, rooms) => self.watchers_apart(name, rooms, except),
            // Every session, once per read mark: marks are set far more seldom than
            // messages are said, and an index by account would cost every login.
            Audience::Account(account) => self
                .sessions
                .values()
                .filter(|member| member.account() == Some(account))
                .filter(|member| Some(member.session.id()) != except)
                .filter(|member| !member.session.id().is_remote())
                .map(|member| member.session.clone())
                .collect(),
            Audience::Opers => self
                .sessions
                .values()
                .filter(|member| member.oper && member.name.is_some())
                .filter(|member| !member.session.id().is_remote())
                .map(|member| member.session.clone())
                .collect(),
        }
    }

    /// The members of `rooms` but `except` who joined before `msgid`, once each, in the
    /// order they joined.
    fn members_but(
        &self,
        rooms: &[Name],
        except: Option<SessionId>,
        msgid: MsgId,
    ) -> Vec<Arc<Session>> {
        // Users of other nodes have no connection here: their own node delivers to them.
        let hears = |id: &SessionId, seat: &Seat| {
            Some(*id) != except && seat.since < msgid && !id.is_remote()
        };
        let mut rooms = rooms.iter().filter_map(|r| self.rooms.get(r.folded()));
        let Some(first) = rooms.next() else {
            return Vec::new();
        };
        let seats = first.members.iter();
        let mut recipients: Vec<Arc<Session>> = seats
            .filter(|(id, seat)| hears(id, seat))
            .map(|(_, seat)| seat.session.clone())
            .collect();
        let mut more = rooms.peekable();
        if more.peek().is_none() {
            return recipients;
        }
        // Several rooms: one event per person, however many rooms they share.
        let mut seen: HashSet<SessionId> = recipients.iter().map(|s| s.id()).collect();
        for room in more {
            for (id, seat) in &room.members {
                if hears(id, seat) && seen.insert(*id) {
                    recipients.push(seat.session.clone());
                }
            }
        }
        recipients
    }

    /// The members of `room` of `rank` but `except` who joined before `msgid` (IRC
    /// `STATUSMSG`).
    fn ranked_but(
        &self,
        room: &Name,
        rank: Rank,
        except: Option<SessionId>,
        msgid: MsgId,
    ) -> Vec<Arc<Session>> {
        let Some(room) = self.rooms.get(room.folded()) else {
            return Vec::new();
        };
        room.members
            .iter()
            .filter(|(id, seat)| Some(**id) != except && seat.since < msgid)
            .filter(|(id, seat)| !id.is_remote() && rank.admits(seat.op, seat.voice))
            .map(|(_, seat)| seat.session.clone())
            .collect()
    }

    /// What becomes of a user someone else put out of a room, by its residence, once
    /// the event that says so is resolved (so that they hear it): nothing while it is in
    /// another room; otherwise a `Lobby` user's name is free at once, and a `Fixed` user's
    /// connection closes once the event is in its outbox.
    pub fn put_out(&mut self, id: SessionId, event: &mut Routed) {
        let Some(member) = self.sessions.get(&id) else {
            return;
        };
        if !member.rooms.is_empty() {
            return;
        }
        match member.residence {
            Residence::Free => {}
            Residence::Lobby => {
                self.release(id);
            }
            Residence::Fixed => event.close_after(member.session.clone()),
        }
    }

    /// Whether `id` may run `room`: its operator, or a server operator, who runs every
    /// room.
    pub fn may_run(&self, room: &Room, id: SessionId) -> bool {
        room.is_op(id) || self.is_oper(id)
    }

    pub fn is_oper(&self, id: SessionId) -> bool {
        self.sessions.get(&id).is_some_and(|member| member.oper)
    }

    pub fn release(&mut self, id: SessionId) -> Option<Name> {
        let member = self.sessions.get_mut(&id)?;
        let (name, seq) = member.name.take()?;
        let was = super::whowas::WasView::of(member, name.clone());
        self.names.remove(name.folded());
        self.name_order.remove(&seq);
        self.remember(was);
        self.presence(&name, None);
        Some(name)
    }

    /// Drops the session and every invitation it holds.
    pub fn forget(&mut self, id: SessionId) {
        self.sessions.remove(&id);
        self.unwatch_all(id);
        for room in self.rooms.values_mut() {
            room.invited.remove(&id);
        }
    }

    /// Takes `id` out of every room; everyone who shared one hears one `Quit`.
    pub fn leave_all_rooms(&mut self, id: SessionId, how: &Departure, out: &mut Outgoing) {
        let Ok(who) = self.peer(id) else {
            return;
        };
        let rooms = self.rooms_named(id);
        if let Some(member) = self.sessions.get_mut(&id) {
            member.rooms = Box::default();
        }
        if rooms.is_empty() {
            return;
        }
        for room in rooms.iter() {
            // Each room's own announcement is replaced by the one Quit below.
            self.remove_from_room(&room.key(), id);
        }
        let how = how.clone();
        out.push(self.event(Some(id), EventKind::Quit { who, how, rooms }));
    }

    /// Takes `id` out of one room; the others hear `how`; an emptied room disappears.
    /// The member's own list of rooms is the caller's to update.
    pub fn leave_room(
        &mut self,
        key: &NameKey,
        id: SessionId,
        how: &Departure,
        out: &mut Outgoing,
    ) {
        let Ok(who) = self.peer(id) else {
            return;
        };
        if let Some(room) = self.remove_from_room(key, id) {
            let how = how.clone();
            out.push(self.event(Some(id), EventKind::Left { room, who, how }));
        }
    }

    /// Takes `id` out of one room without a word; an emptied room disappears. Returns the
    /// room's name if `id` was in it.
    pub fn remove_from_room(&mut self, key: &NameKey, id: SessionId) -> Option<Name> {
        let room = self.rooms.get_mut(key)?;
        room.members.shift_remove(&id)?;
        room.last_said.remove(&id);
        let name = room.name.clone();
        if room.members.is_empty() {
            self.rooms.remove(key);
        }
        Some(name)
    }
}

#[cfg(test)]
mod sizes {
    /// Every connection has a member, and every membership a seat: what they weigh is
    /// most of what an idle user costs (docs/benchmarks.md, idle memory). A field that
    /// makes them bigger must earn it; moderation state lives in the rooms instead.
    #[test]
    fn members_and_seats_stay_small() {
        assert_eq!(std::mem::size_of::<super::Member>(), 112);
        assert_eq!(std::mem::size_of::<super::Seat>(), 32);
    }
}
