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
mod sessions;
mod snapshot;
mod state;
mod view;
mod whowas;

use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use arc_swap::ArcSwap;

use crate::event::Event;
use crate::msgid::{MsgId, MsgIds};
use crate::name::{Name, NameError, DEFAULT_USER_NAME_MAX};
use crate::outbox::DEFAULT_OUTBOX_BYTES;
use crate::router::{Routed, Stage};

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

use state::State;

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

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        // Verbs validate before they mutate, so a panic cannot leave half a change behind.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

// What the test modules name through `use super::*`.
#[cfg(test)]
use crate::{
    event::{Departure, EventKind},
    session::Session,
};

#[cfg(test)]
mod tests;

#[cfg(test)]
mod remote_tests;

#[cfg(test)]
mod list_tests;
