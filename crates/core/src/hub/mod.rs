//! The hub: the one place chat state changes. Every verb is synchronous: under the state
//! lock it checks, changes the state and makes addressed events (each with its id), then
//! hands them on in the hub's order: to the [`Stage`] if there is one (the cluster and the
//! store, which deliver them once published and committed), or else straight to routing,
//! whose pushes into outboxes happen after the lock is released, so no sender ever waits
//! on a recipient.
//!
//! Lock order: the hub's state lock may be taken before an outbox lock, never after; a
//! stage's own lock may be taken under the hub's, never the reverse.
//! The verbs live in these files: names and sessions here, rooms and messages in
//! `rooms.rs`, channel rules (topic, modes, kick, invite) in `channel.rs`, what a user
//! tells about themself (profile, away, operator) in `profile.rs`, registered names
//! and logins in `accounts.rs`, and renaming a room in `rename.rs`.

mod accounts;
mod channel;
mod ghosts;
mod marks;
mod member;
mod messages;
mod metadata;
mod moderation;
mod monitor;
mod profile;
mod redaction;
mod remote;
mod removal;
mod rename;
mod residence;
mod room;
mod rooms;
mod snapshot;
mod state;
mod view;
mod whowas;

use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use arc_swap::ArcSwap;
use std::time::SystemTime;

use crate::event::{Departure, Event, EventKind};
use crate::msgid::{MsgId, MsgIds};
use crate::name::{Folded, Name, NameError, DEFAULT_USER_NAME_MAX};
use crate::outbox::{CloseReason, DEFAULT_OUTBOX_BYTES};
use crate::router::{Routed, Stage};
use crate::session::{Session, SessionId};

pub use accounts::Reach;
pub use channel::{ModeOutcome, MAX_BANS};
pub use marks::READ_MARKS_MAX;
pub use metadata::{MetaOf, MetaTarget};
pub use monitor::{Watched, MONITOR_MAX};
pub use redaction::{RedactError, RedactIn, RECENT_MAX};
pub use removal::ServerBan;
pub use rename::RenameError;
pub use residence::Residence;
pub use snapshot::{NodeSnapshot, RoomSnapshot, SeatSnapshot, UserSnapshot};
pub use state::{Ban, ChannelModes, Topic};
pub use view::{Counts, MemberView, RoomSummary, RoomView, UserView};
pub use whowas::{WasView, WHOWAS_MAX};

use state::{Member, State};

/// The hub's settings.
#[derive(Debug, Clone)]
pub struct HubConfig {
    /// Longest user name in characters (docs/protocols/common.md: 20 by default, at most 32).
    pub name_max: usize,
    /// Outbox limit per session, in bytes, at the start ([`Hub::set_rules`] changes it).
    pub outbox_bytes: usize,
    /// Rooms one user may be in at once (IRC's `CHANLIMIT`); a join past it is refused.
    pub rooms_max: usize,
    /// This node's number, part of every message id it makes (0 for a lone server).
    pub node: u16,
    /// Rooms that belong to the server (`lobby`): their first member is not made their
    /// operator, whoever it is.
    pub server_rooms: Vec<Name>,
    /// Words no message may hold (whole words, any case): the sender is told, nothing
    /// is relayed. At the start: [`Hub::set_rules`] changes it.
    pub filtered_words: Vec<String>,
    /// Whether every name taken or given up makes a `Presence` event even when nobody
    /// watches it: a node of a cluster tells the others which names its users hold.
    pub announce_names: bool,
}

impl HubConfig {
    /// Checks a user name against the rules and this hub's longest name. Adapters
    /// validate before calling a verb, so the hub only ever sees valid names and each
    /// protocol answers a bad one in its own form.
    pub fn user_name(&self, text: &str) -> Result<Name, NameError> {
        Name::parse(text, self.name_max)
    }

    /// Whether `room` belongs to the server rather than to its first member.
    pub fn is_server_room(&self, room: &Name) -> bool {
        self.server_rooms.iter().any(|r| r.key() == room.key())
    }
}

/// Rooms one user may be in at once by default.
pub const DEFAULT_ROOMS_MAX: usize = 100;

impl Default for HubConfig {
    fn default() -> Self {
        HubConfig {
            name_max: DEFAULT_USER_NAME_MAX,
            outbox_bytes: DEFAULT_OUTBOX_BYTES,
            rooms_max: DEFAULT_ROOMS_MAX,
            node: 0,
            server_rooms: Vec::new(),
            filtered_words: Vec::new(),
            announce_names: false,
        }
    }
}

/// Why a verb was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HubError {
    #[error("name {0} is taken")]
    NameTaken(String),
    /// The name belongs to a registered account the session is not logged in to, or is
    /// reserved for the services: each protocol answers it as it answers a taken name.
    #[error("name {0} belongs to an account")]
    NameReserved(String),
    #[error("choose a name first")]
    NoName,
    #[error("no user named {0}")]
    NoSuchUser(String),
    #[error("no room named {0}")]
    NoSuchRoom(String),
    #[error("not in room {0}")]
    NotMember(String),
    #[error("already in room {0}")]
    AlreadyMember(String),
    #[error("{user} is not in room {room}")]
    UserNotInRoom { user: String, room: String },
    #[error("{user} is already in room {room}")]
    UserInRoom { user: String, room: String },
    #[error("only operators of {0} may do that")]
    ChanOpNeeded(String),
    #[error("cannot speak in {0}")]
    CannotSend(String),
    /// A mute (`+q`) in the room matches the speaker.
    #[error("you are muted in {0}")]
    Muted(String),
    /// A client-to-client query (CTCP) said in a room that allows none (`+C`).
    #[error("client queries (CTCP) are not allowed in {0}")]
    NoCtcp(String),
    /// Slow mode: the member spoke less than the room's interval ago.
    #[error("slow mode in {room}: wait {wait} s")]
    SlowMode { room: String, wait: u64 },
    /// The text holds a word of the server's filter (`[moderation] filtered_words`).
    #[error("it contains a word that is not allowed here")]
    Filtered,
    #[error("{0} needs the right key")]
    BadKey(String),
    #[error("{0} is invitation only")]
    InviteOnly(String),
    #[error("banned from {0}")]
    Banned(String),
    #[error("{0} is full")]
    Full(String),
    /// A room's ban or exception list holds [`MAX_BANS`] masks already.
    #[error("the list of {0} is full")]
    ListFull(String),
    /// The user is in as many rooms as [`HubConfig::rooms_max`] allows.
    #[error("too many rooms joined, cannot join {0}")]
    TooManyRooms(String),
    #[error("the session is not attached")]
    Detached,
    /// Only a server operator may do this (IRC `KILL`).
    #[error("permission denied: not a server operator")]
    NotOper,
    /// A server-wide ban (IRC `KLINE`) matches whoever would take the name; its reason.
    #[error("banned from this server: {0}")]
    ServerBanned(String),
    /// The user or room has as many metadata keys as [`crate::metadata::MAX_KEYS`].
    #[error("too many metadata keys")]
    MetadataFull,
}

/// The events one verb made, in order, waiting to be handed on by [`Hub::send`].
#[derive(Default)]
pub(crate) struct Outgoing(Vec<Arc<Event>>);

impl Outgoing {
    pub(crate) fn push(&mut self, event: Arc<Event>) {
        self.0.push(event);
    }
}

pub struct Hub {
    state: Mutex<State>,
    /// Set once, when the server has a store (or a cluster) for events to pass through.
    stage: OnceLock<Arc<dyn Stage>>,
    /// The settings fixed for the hub's life; `filtered_words` and `outbox_bytes` are
    /// read from `live` instead, which a configuration reload replaces.
    config: HubConfig,
    /// What a reload may change, swapped whole and read without a lock.
    live: ArcSwap<LiveRules>,
}

/// The hub's settings that may change while it runs ([`Hub::set_rules`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveRules {
    /// Outbox limit of sessions attached from now on, in bytes.
    pub outbox_bytes: usize,
    /// Words no message may hold (whole words, any case).
    pub filtered_words: Vec<String>,
}

impl Hub {
    pub fn new(config: HubConfig) -> Hub {
        let state = State {
            msgids: MsgIds::new(config.node),
            announce_names: config.announce_names,
            ..State::default()
        };
        let live = ArcSwap::from_pointee(LiveRules {
            outbox_bytes: config.outbox_bytes,
            filtered_words: config.filtered_words.clone(),
        });
        Hub {
            state: Mutex::new(state),
            stage: OnceLock::new(),
            config,
            live,
        }
    }

    /// The settings the hub was made with (for the rules that may change since, see
    /// [`Hub::rules`]).
    pub fn config(&self) -> &HubConfig {
        &self.config
    }

    /// The outbox limit and word filter in force now.
    pub fn rules(&self) -> Arc<LiveRules> {
        self.live.load_full()
    }

    /// Replaces the outbox limit (for sessions attached from now on: an outbox keeps the
    /// limit it was made with) and the word filter (for every message from now on).
    pub fn set_rules(&self, rules: LiveRules) {
        self.live.store(Arc::new(rules));
    }

    /// Sends every event from now on through `stage` before routing. Set once, before
    /// the first client attaches; `Err` gives the stage back if one was set already.
    pub fn set_stage(&self, stage: Arc<dyn Stage>) -> Result<(), Arc<dyn Stage>> {
        self.stage.set(stage)
    }

    /// Makes every later message id greater than `newest` (the newest one stored before a
    /// restart), whatever the clock says.
    pub fn resume_msgids_after(&self, newest: MsgId) {
        self.lock().msgids.resume_after(newest);
    }

    /// Hands one verb's events on, resolved under the lock that made them, so who hears
    /// of each is decided as it happens and their order is the hub's: to the stage, or
    /// pushed at once after the lock is released.
    pub(crate) fn send(&self, mut state: MutexGuard<'_, State>, mut out: Outgoing) {
        state.take_presence(&mut out);
        if out.0.is_empty() {
            return;
        }
        let routed = state.resolve_all(out.0, self.stage.get().is_some());
        self.dispatch(state, routed);
    }

    /// Hands events already resolved under `state`'s lock on: to the stage, or pushed at
    /// once after the lock is released.
    pub(crate) fn dispatch(&self, mut state: MutexGuard<'_, State>, mut routed: Vec<Routed>) {
        // Names given up while these events were resolved (a kill): their watchers hear
        // of it after them.
        let mut late = Outgoing::default();
        state.take_presence(&mut late);
        if !late.0.is_empty() {
            routed.extend(state.resolve_all(late.0, self.stage.get().is_some()));
        }
        match self.stage.get() {
            Some(stage) => stage.submit(routed),
            None => {
                drop(state);
                routed.into_iter().for_each(Routed::deliver);
            }
        }
    }

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

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        // Verbs validate before they mutate, so a panic cannot leave half a change behind.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod remote_tests;

#[cfg(test)]
mod list_tests;
