//! A user as the hub keeps them: their session, name, rooms and what they told about
//! themself.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::Residence;
use crate::metadata::Metadata;
use crate::name::{Name, NameKey};
use crate::session::Session;
use crate::text::Text;

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
