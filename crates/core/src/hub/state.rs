//! The hub's state and the small operations every verb shares. Only code holding the
//! hub's lock touches it.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use indexmap::IndexMap;

use super::{HubError, Outgoing, Residence};
use crate::event::{Audience, ChannelFlag, Departure, Event, EventKind, Peer, Rank};
use crate::mask::{Identity, Mask};
use crate::metadata::Metadata;
use crate::msgid::{MsgId, MsgIds};
use crate::name::{Folded, Name, NameKey};
use crate::outbox::CloseReason;
use crate::router::Routed;
use crate::session::{Session, SessionId};
use crate::text::Text;

/// A room's topic and who set it when (serialisable: a rename carries it in its
/// [`crate::roster::Roster`]).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Topic {
    pub text: Text,
    pub set_by: String,
    pub set_at: SystemTime,
}

/// A ban (or ban exception) mask and who set it when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ban {
    pub mask: Mask,
    pub set_by: String,
    pub set_at: SystemTime,
}

/// A room's modes. New rooms are `+nt`, as on most IRC networks.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ChannelModes {
    pub no_external: bool,
    pub topic_lock: bool,
    pub moderated: bool,
    pub secret: bool,
    pub invite_only: bool,
    pub key: Option<String>,
    pub limit: Option<usize>,
    /// Slow mode (`+f N`): a member may say one message per N seconds.
    pub slow: Option<u32>,
    /// No client-to-client queries but actions (`+C`). Defaulted when read from a node
    /// that does not know it.
    #[serde(default)]
    pub no_ctcp: bool,
}

impl Default for ChannelModes {
    fn default() -> Self {
        ChannelModes {
            no_external: true,
            topic_lock: true,
            moderated: false,
            secret: false,
            invite_only: false,
            key: None,
            limit: None,
            slow: None,
            no_ctcp: false,
        }
    }
}

impl ChannelModes {
    pub fn flag(&self, flag: ChannelFlag) -> bool {
        match flag {
            ChannelFlag::NoExternal => self.no_external,
            ChannelFlag::TopicLock => self.topic_lock,
            ChannelFlag::Moderated => self.moderated,
            ChannelFlag::Secret => self.secret,
            ChannelFlag::InviteOnly => self.invite_only,
            ChannelFlag::NoCtcp => self.no_ctcp,
        }
    }

    pub(crate) fn flag_mut(&mut self, flag: ChannelFlag) -> &mut bool {
        match flag {
            ChannelFlag::NoExternal => &mut self.no_external,
            ChannelFlag::TopicLock => &mut self.topic_lock,
            ChannelFlag::Moderated => &mut self.moderated,
            ChannelFlag::Secret => &mut self.secret,
            ChannelFlag::InviteOnly => &mut self.invite_only,
            ChannelFlag::NoCtcp => &mut self.no_ctcp,
        }
    }
}

/// A user's entry: its handle, its name (with the order it was taken in), its rooms and
/// what it told about itself.
pub(crate) struct Member {
    pub session: Arc<Session>,
    pub name: Option<(Name, u64)>,
    /// The rooms joined, in order. A boxed slice, not a `Vec`: joins and parts are rare,
    /// and every connection's entry is smaller by the unused capacity field.
    pub rooms: Box<[NameKey]>,
    /// IRC's user name; `None` until given (then the name stands in).
    pub user: Option<Arc<str>>,
    pub realname: Option<Arc<str>>,
    pub host: Arc<str>,
    /// The away message, the account and bot mode, which few users have: boxed, 8 bytes
    /// in every member's entry rather than 32, which keeps an entry in jemalloc's
    /// 112-byte class.
    seldom: Option<Box<Seldom>>,
    pub oper: bool,
    pub residence: Residence,
    /// Hidden from lists of users to those who share no room with it (IRC user mode `+i`).
    pub invisible: bool,
    /// When the session began, in whole seconds since the Unix epoch (all WHOIS shows):
    /// four bytes that fit beside the flags, where a `SystemTime` took sixteen more.
    signon_secs: u32,
}

impl Member {
    pub fn new(session: Arc<Session>, host: Arc<str>, signon: SystemTime) -> Member {
        let secs = signon.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        Member {
            session,
            name: None,
            rooms: Box::default(),
            user: None,
            realname: None,
            host,
            seldom: None,
            oper: false,
            residence: Residence::Free,
            invisible: false,
            signon_secs: u32::try_from(secs).unwrap_or(u32::MAX),
        }
    }

    /// The away message, if away.
    pub fn away(&self) -> Option<&Text> {
        self.seldom.as_ref()?.away.as_ref()
    }

    /// The account the session is logged in to, which lets it take that account's name.
    pub fn account(&self) -> Option<&Name> {
        self.seldom.as_ref()?.account.as_ref()
    }

    /// Whether the user marked themself a bot (IRC user mode `+B`).
    pub fn bot(&self) -> bool {
        self.seldom.as_ref().is_some_and(|s| s.bot)
    }

    pub fn set_bot(&mut self, bot: bool) {
        self.seldom_mut().bot = bot;
        self.tidy();
    }

    pub fn set_away(&mut self, away: Option<Text>) {
        self.seldom_mut().away = away;
        self.tidy();
    }

    pub fn set_account(&mut self, account: Option<Name>) {
        self.seldom_mut().account = account;
        self.tidy();
    }

    /// The metadata the user set on themself (IRCv3 `draft/metadata`).
    pub fn metadata(&self) -> Option<&Metadata> {
        self.seldom.as_ref().map(|s| &s.metadata)
    }

    /// Changes the user's metadata through `change`, freeing the box if it empties.
    pub fn change_metadata<T>(&mut self, change: impl FnOnce(&mut Metadata) -> T) -> T {
        let outcome = change(&mut self.seldom_mut().metadata);
        self.tidy();
        outcome
    }

    fn seldom_mut(&mut self) -> &mut Seldom {
        self.seldom.get_or_insert_with(Box::default)
    }

    /// Frees the box once it holds nothing.
    fn tidy(&mut self) {
        if self.seldom.as_ref().is_some_and(|s| {
            s.away.is_none() && s.account.is_none() && !s.bot && s.metadata.is_empty()
        }) {
            self.seldom = None;
        }
    }

    pub fn signon(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(self.signon_secs.into())
    }

    /// Notes a room joined, after the others.
    pub fn joined(&mut self, key: NameKey) {
        let mut rooms = std::mem::take(&mut self.rooms).into_vec();
        rooms.push(key);
        self.rooms = rooms.into_boxed_slice();
    }

    /// Notes a room renamed, in its place among the others (once, should the member
    /// be in a room of the new name already).
    pub fn room_renamed(&mut self, old: &NameKey, new: &NameKey) {
        let mut rooms = std::mem::take(&mut self.rooms).into_vec();
        let at = rooms.iter().position(|k| k == old);
        rooms.retain(|k| k != old && k != new);
        if let Some(at) = at {
            rooms.insert(at.min(rooms.len()), new.clone());
        }
        self.rooms = rooms.into_boxed_slice();
    }

    /// Forgets a room left.
    pub fn left(&mut self, key: &NameKey) {
        if self.rooms.contains(key) {
            let mut rooms = std::mem::take(&mut self.rooms).into_vec();
            rooms.retain(|k| k != key);
            self.rooms = rooms.into_boxed_slice();
        }
    }
}

/// What few members have, kept out of line (see [`Member`]).
#[derive(Default)]
struct Seldom {
    away: Option<Text>,
    account: Option<Name>,
    bot: bool,
    metadata: Metadata,
}

/// A member's place in a room.
pub(crate) struct Seat {
    pub session: Arc<Session>,
    pub op: bool,
    pub voice: bool,
    /// The id of the member's join: routing gives them only the room's later events, so
    /// an event made before they joined, but routed after (past the store's commit), is
    /// not theirs.
    pub since: MsgId,
}

pub(crate) struct Room {
    pub name: Name,
    /// Members in the order they joined.
    pub members: IndexMap<SessionId, Seat>,
    /// Creation order, for listing.
    pub created: u64,
    pub created_at: SystemTime,
    pub topic: Option<Topic>,
    pub modes: ChannelModes,
    pub bans: Vec<Ban>,
    /// Ban exceptions (`+e`): a user matching one is not banned.
    pub exceptions: Vec<Ban>,
    /// Mutes (`+q`): a member matching one may not speak, unless voiced or an operator.
    pub quiets: Vec<Ban>,
    /// Exceptions from mutes: a member matching one is not muted.
    pub quiet_exceptions: Vec<Ban>,
    /// Invite exceptions (`+I`): a user matching one needs no invitation.
    pub invite_exceptions: Vec<Ban>,
    /// When each member last spoke, kept only while the room is in slow mode (`+f`): here
    /// rather than in every seat, so rooms without it pay nothing per member.
    pub last_said: HashMap<SessionId, std::time::Instant>,
    pub invited: HashSet<SessionId>,
    /// The room's metadata (IRCv3 `draft/metadata`), set by its operators.
    pub metadata: Metadata,
}

impl Room {
    pub fn new(name: Name, created: u64) -> Room {
        Room {
            name,
            members: IndexMap::new(),
            created,
            created_at: SystemTime::now(),
            topic: None,
            modes: ChannelModes::default(),
            bans: Vec::new(),
            exceptions: Vec::new(),
            quiets: Vec::new(),
            quiet_exceptions: Vec::new(),
            invite_exceptions: Vec::new(),
            last_said: HashMap::new(),
            invited: HashSet::new(),
            metadata: Metadata::default(),
        }
    }

    pub fn is_op(&self, id: SessionId) -> bool {
        self.members.get(&id).is_some_and(|s| s.op)
    }

    pub fn has_bans(&self) -> bool {
        !self.bans.is_empty()
    }

    /// Whether a ban matches `who` and no exception does.
    pub fn is_banned(&self, who: &Identity) -> bool {
        listed(&self.bans, who) && !listed(&self.exceptions, who)
    }
}

/// Whether an entry of `list` matches `who`.
pub(crate) fn listed(list: &[Ban], who: &Identity) -> bool {
    list.iter().any(|entry| entry.mask.matches(who))
}

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
