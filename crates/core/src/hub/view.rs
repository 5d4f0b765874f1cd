//! Read-only snapshots of the hub for queries (NAMES, WHO, WHOIS, LIST, LUSERS): copied
//! out under the lock so the caller renders them without holding it.

use std::sync::Arc;
use std::time::SystemTime;

use super::state::{Ban, ChannelModes, Member, State, Topic};
use super::Hub;
use crate::name::{Folded, Name};
use crate::session::{Session, SessionId};
use crate::text::Text;

/// A member of a room as queries show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberView {
    pub name: Name,
    pub user: Arc<str>,
    pub host: Arc<str>,
    pub realname: Arc<str>,
    pub origin: &'static str,
    pub away: bool,
    pub oper: bool,
    pub invisible: bool,
    pub op: bool,
    pub voice: bool,
    /// The account the member is logged in to (WHOX's `a` field).
    pub account: Option<Name>,
    /// Marked a bot (IRC user mode `+B`, WHO's `B` flag).
    pub bot: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomView {
    pub name: Name,
    pub topic: Option<Topic>,
    pub modes: ChannelModes,
    /// In the order they joined.
    pub members: Vec<MemberView>,
    pub created_at: SystemTime,
    pub bans: Vec<Ban>,
    /// Ban exceptions (`+e`), in the order they were set.
    pub exceptions: Vec<Ban>,
    /// Mutes (`+q`), in the order they were set.
    pub quiets: Vec<Ban>,
    /// Exceptions from mutes, in the order they were set.
    pub quiet_exceptions: Vec<Ban>,
    /// Invite exceptions (`+I`), in the order they were set.
    pub invite_exceptions: Vec<Ban>,
}

/// A user as WHOIS shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserView {
    pub name: Name,
    pub user: Arc<str>,
    pub host: Arc<str>,
    pub realname: Arc<str>,
    pub origin: &'static str,
    pub away: Option<Text>,
    pub oper: bool,
    pub invisible: bool,
    pub signon: SystemTime,
    /// Each room with the user's status in it and whether the room is secret.
    pub rooms: Vec<(Name, bool, bool, bool)>,
    /// The account the user is logged in to (WHOIS `330`).
    pub account: Option<Name>,
    /// Marked a bot (IRC user mode `+B`, WHOIS `335`).
    pub bot: bool,
}

/// One line of a room list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomSummary {
    pub name: Name,
    pub members: usize,
    pub topic: Option<Text>,
    pub secret: bool,
    pub created_at: SystemTime,
    /// When the topic was set, if there is one.
    pub topic_set_at: Option<SystemTime>,
}

/// Totals for LUSERS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub sessions: usize,
    pub named: usize,
    /// Named users who are invisible (counted in `named` too).
    pub invisible: usize,
    pub opers: usize,
    pub rooms: usize,
    /// The most users ever named at once.
    pub peak_named: usize,
    /// Named users connected to this node (all of them, without a cluster).
    pub local_named: usize,
    /// The other nodes of the cluster this hub knows users of.
    pub other_nodes: usize,
}

fn member_view(member: &Member, name: Name, op: bool, voice: bool) -> MemberView {
    MemberView {
        user: member
            .user
            .clone()
            .unwrap_or_else(|| Arc::from(name.as_str())),
        realname: member
            .realname
            .clone()
            .unwrap_or_else(|| Arc::from(name.as_str())),
        name,
        host: member.host.clone(),
        origin: member.session.origin(),
        away: member.away().is_some(),
        oper: member.oper,
        invisible: member.invisible,
        op,
        voice,
        account: member.account().cloned(),
        bot: member.bot(),
    }
}

fn user_view(state: &State, id: SessionId) -> Option<UserView> {
    let member = state.sessions.get(&id)?;
    let name = member.name.as_ref()?.0.clone();
    let base = member_view(member, name, false, false);
    let rooms = member
        .rooms
        .iter()
        .filter_map(|key| {
            let room = state.rooms.get(key)?;
            let seat = room.members.get(&id)?;
            Some((room.name.clone(), seat.op, seat.voice, room.modes.secret))
        })
        .collect();
    Some(UserView {
        name: base.name,
        user: base.user,
        host: base.host,
        realname: base.realname,
        origin: base.origin,
        away: member.away().cloned(),
        oper: member.oper,
        invisible: member.invisible,
        signon: member.signon(),
        rooms,
        account: member.account().cloned(),
        bot: member.bot(),
    })
}

impl Hub {
    pub fn room_view(&self, room: &str) -> Option<RoomView> {
        let state = self.lock();
        let entry = state.rooms.get(Folded::new(room))?;
        let members = entry
            .members
            .iter()
            .filter_map(|(id, seat)| {
                let member = state.sessions.get(id)?;
                let name = member.name.as_ref()?.0.clone();
                Some(member_view(member, name, seat.op, seat.voice))
            })
            .collect();
        Some(RoomView {
            name: entry.name.clone(),
            topic: entry.topic.clone(),
            modes: entry.modes.clone(),
            members,
            created_at: entry.created_at,
            bans: entry.bans.clone(),
            exceptions: entry.exceptions.clone(),
            quiets: entry.quiets.clone(),
            quiet_exceptions: entry.quiet_exceptions.clone(),
            invite_exceptions: entry.invite_exceptions.clone(),
        })
    }

    pub fn user_view(&self, name: &str) -> Option<UserView> {
        let state = self.lock();
        let id = *state.names.get(Folded::new(name))?;
        user_view(&state, id)
    }

    /// Every named user, in the order the names were taken (IRC `WHO *`).
    pub fn user_views(&self) -> Vec<UserView> {
        let state = self.lock();
        state
            .name_order
            .values()
            .filter_map(|id| user_view(&state, *id))
            .collect()
    }

    /// Every room in creation order, with its size and topic.
    pub fn room_summaries(&self) -> Vec<RoomSummary> {
        let state = self.lock();
        let mut rooms: Vec<_> = state
            .rooms
            .values()
            .map(|r| {
                (
                    r.created,
                    RoomSummary {
                        name: r.name.clone(),
                        members: r.members.len(),
                        topic: r.topic.as_ref().map(|t| t.text.clone()),
                        secret: r.modes.secret,
                        created_at: r.created_at,
                        topic_set_at: r.topic.as_ref().map(|t| t.set_at),
                    },
                )
            })
            .collect();
        rooms.sort_unstable_by_key(|(created, _)| *created);
        rooms.into_iter().map(|(_, r)| r).collect()
    }

    pub fn counts(&self) -> Counts {
        let state = self.lock();
        let named = || state.sessions.values().filter(|m| m.name.is_some());
        Counts {
            sessions: state.sessions.len(),
            named: state.names.len(),
            invisible: named().filter(|m| m.invisible).count(),
            opers: named().filter(|m| m.oper).count(),
            rooms: state.rooms.len(),
            peak_named: state.peak_named,
            local_named: named().filter(|m| !m.session.id().is_remote()).count(),
            other_nodes: state
                .ghosts
                .values()
                .collect::<std::collections::HashSet<_>>()
                .len(),
        }
    }

    /// Whether a room of this name exists.
    pub fn room_exists(&self, room: &str) -> bool {
        self.lock().rooms.contains_key(Folded::new(room))
    }

    /// The user's away message, if away.
    pub fn away_of(&self, name: &str) -> Option<Text> {
        let state = self.lock();
        let id = state.names.get(Folded::new(name))?;
        state.sessions.get(id)?.away().cloned()
    }

    /// The rooms the session holds an unused invitation to, in creation order.
    pub fn invitations(&self, session: &Session) -> Vec<Name> {
        let state = self.lock();
        let mut rooms: Vec<_> = state
            .rooms
            .values()
            .filter(|r| r.invited.contains(&session.id()))
            .map(|r| (r.created, r.name.clone()))
            .collect();
        rooms.sort_unstable_by_key(|(created, _)| *created);
        rooms.into_iter().map(|(_, name)| name).collect()
    }

    /// Whether the session shares `room` with the user named `other`.
    pub fn shares_room(&self, session: &Session, other: &str, room: &str) -> bool {
        let state = self.lock();
        let Ok(other) = state.session_named(other) else {
            return false;
        };
        state.rooms.get(Folded::new(room)).is_some_and(|r| {
            r.members.contains_key(&session.id()) && r.members.contains_key(&other)
        })
    }
}
