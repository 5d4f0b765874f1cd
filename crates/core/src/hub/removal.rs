//! Putting users out of the server on a server operator's word: `KILL` one user, or a
//! server-wide ban (IRC `KLINE`) that refuses a name to whoever would match it and puts
//! out at once everyone it matches. Whoever is put out hears why in their protocol's
//! words (a `Killed` event addressed to them, after which their connection closes); the
//! rooms they were in hear them quit with the reason, which no user's own quit can forge.
//! A user of this node also loses a name when another node of a cluster claimed it first
//! ([`Hub::give_up_name`]).
//!
//! The core keeps the bans only to match them; the server stores them and loads them at
//! start. Bans by address (`DLINE`) are the server's alone: they refuse a connection
//! before it reaches the hub.

use std::sync::Arc;
use std::time::SystemTime;

use super::state::State;
use super::{Hub, HubError, Outgoing};
use crate::event::{Departure, EventKind, Peer};
use crate::mask::mask_matches;
use crate::name::Name;
use crate::outbox::CloseReason;
use crate::router::Routed;
use crate::session::{Session, SessionId};
use crate::text::Text;

/// One server-wide ban: `nick!user@host` with `*` and `?`, compared without regard to
/// ASCII case, or `$a:ACCOUNT` for whoever is logged in to that account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerBan {
    /// As given, lower-cased.
    pub mask: String,
    pub reason: String,
    /// When it lapses; `None` for a ban without end.
    pub expires: Option<SystemTime>,
}

impl ServerBan {
    pub fn new(mask: &str, reason: &str, expires: Option<SystemTime>) -> ServerBan {
        ServerBan {
            mask: mask.to_ascii_lowercase(),
            reason: reason.to_string(),
            expires,
        }
    }

    fn lapsed(&self, now: SystemTime) -> bool {
        self.expires.is_some_and(|at| at <= now)
    }

    /// Whether it matches a user with this (lower-cased) hostmask and account.
    fn matches(&self, hostmask: &str, account: Option<&Name>) -> bool {
        match self.mask.strip_prefix("$a:") {
            Some(banned) => account.is_some_and(|a| a.as_str().eq_ignore_ascii_case(banned)),
            None => mask_matches(&self.mask, hostmask),
        }
    }
}

impl State {
    /// The reason of a ban in force that matches `id` as it would be named `name`.
    pub(crate) fn server_ban_on(&self, id: SessionId, name: &Name) -> Option<String> {
        if self.server_bans.is_empty() {
            return None;
        }
        let now = SystemTime::now();
        self.server_bans
            .iter()
            .find(|ban| !ban.lapsed(now) && self.banned(ban, id, name))
            .map(|ban| ban.reason.clone())
    }

    /// The sessions `ban` matches now among those `considered`, and their names.
    fn matching(
        &self,
        ban: &ServerBan,
        considered: impl Fn(SessionId) -> bool,
    ) -> (Vec<SessionId>, Vec<Name>) {
        self.names
            .values()
            .filter(|&&id| considered(id))
            .filter_map(|&id| Some((id, self.name_of(id)?)))
            .filter(|(id, name)| self.banned(ban, *id, name))
            .unzip()
    }

    /// Drops the server-wide ban with `mask` (in any case); `false` if there was none.
    fn drop_server_ban(&mut self, mask: &str) -> bool {
        let before = self.server_bans.len();
        self.server_bans
            .retain(|b| !b.mask.eq_ignore_ascii_case(mask));
        self.server_bans.len() < before
    }

    /// Whether `ban` matches `id` named `name` (its name now, or the one it asks for).
    fn banned(&self, ban: &ServerBan, id: SessionId, name: &Name) -> bool {
        let Some(member) = self.sessions.get(&id) else {
            return false;
        };
        let user = member.user.as_deref().unwrap_or(name.as_str());
        // Masks match without regard to ASCII case: nothing is lower-cased here.
        let hostmask = format!("{name}!{user}@{}", member.host);
        ban.matches(&hostmask, member.account())
    }

    /// Takes `target` out of every room on the word of `by` (session `author`): the
    /// `Killed` event for them first
    /// (the returned session closes once it is delivered), then the `Quit` their rooms
    /// hear with `quit` as the reason.
    fn put_out_by_oper(
        &mut self,
        (by, author): (&Peer, Option<SessionId>),
        target: SessionId,
        reason: Option<Text>,
        quit: String,
        out: &mut Outgoing,
    ) -> Option<Arc<Session>> {
        let name = self.name_of(target)?;
        let told = EventKind::Killed {
            by: by.clone(),
            target: name,
            reason,
        };
        out.push(self.event(author, told));
        let how = Departure::Removed {
            reason: Text::new(&quit),
        };
        self.leave_all_rooms(target, &how, out);
        Some(self.member(target).ok()?.session.clone())
    }
}

impl Hub {
    /// Disconnects `target` (a server operator's `KILL`): they hear why, and their
    /// connection closes once that is delivered; everyone who shared a room with them
    /// hears them quit `Killed (by (reason))`. Their name is free at once.
    pub fn kill(
        &self,
        session: &Session,
        target: &str,
        reason: Option<Text>,
    ) -> Result<Name, HubError> {
        let state = self.lock();
        let by = self.oper(&state, session)?;
        let target_id = state.session_named(target)?;
        let name = state.named(target_id)?;
        let quit = kill_quit(&by.name, reason.as_ref());
        self.put_out_all(state, (&by, Some(session.id())), &[target_id], reason, quit);
        Ok(name)
    }

    /// Sets a server-wide ban (replacing one with the same mask) and puts out everyone
    /// it matches now but the operator: the names put out.
    pub fn ban_server_wide(
        &self,
        session: &Session,
        ban: ServerBan,
    ) -> Result<Vec<Name>, HubError> {
        let state = self.lock();
        let by = self.oper(&state, session)?;
        let matched = state.matching(&ban, |id| id != session.id());
        Ok(self.set_ban_and_put_out(state, (&by, Some(session.id())), ban, matched))
    }

    /// Sets a server-wide ban another node's operator `by` set (a cluster shares its
    /// bans) and puts out this node's users it matches now; the users of other nodes
    /// are put out by their own node. The names put out.
    pub fn impose_server_ban(&self, ban: ServerBan, by: &Peer) -> Vec<Name> {
        let state = self.lock();
        let matched = state.matching(&ban, |id| !id.is_remote());
        self.set_ban_and_put_out(state, (by, None), ban, matched)
    }

    /// Keeps `ban` (in place of one with its mask) and puts out `matched`: their names.
    fn set_ban_and_put_out(
        &self,
        mut state: std::sync::MutexGuard<'_, State>,
        by: (&Peer, Option<SessionId>),
        ban: ServerBan,
        (matched, names): (Vec<SessionId>, Vec<Name>),
    ) -> Vec<Name> {
        let reason = Text::new(&format!("banned: {}", ban.reason));
        let quit = format!("Banned ({} ({}))", by.0.name, ban.reason);
        state.server_bans.retain(|b| b.mask != ban.mask);
        state.server_bans.push(ban);
        self.put_out_all(state, by, &matched, Some(reason), quit);
        names
    }

    /// Lifts a server-wide ban; `false` if there was none with that mask.
    pub fn lift_server_ban(&self, session: &Session, mask: &str) -> Result<bool, HubError> {
        let mut state = self.lock();
        self.oper(&state, session)?;
        Ok(state.drop_server_ban(mask))
    }

    /// Lifts a server-wide ban lifted on another node; `false` if there was none with
    /// that mask.
    pub fn drop_server_ban(&self, mask: &str) -> bool {
        self.lock().drop_server_ban(mask)
    }

    /// Replaces the server-wide bans (the server loads them from its store at start).
    pub fn set_server_bans(&self, bans: Vec<ServerBan>) {
        self.lock().server_bans = bans;
    }

    /// The server-wide bans in force, in the order they were set.
    pub fn server_bans(&self) -> Vec<ServerBan> {
        let now = SystemTime::now();
        let mut state = self.lock();
        state.server_bans.retain(|b| !b.lapsed(now));
        state.server_bans.clone()
    }

    /// Takes `name` back from this node's user who holds it, because another node's
    /// claim to it won: out of their rooms (who hear `reason`), and disconnected.
    pub fn give_up_name(&self, name: &Name, reason: &str) {
        let mut out = Outgoing::default();
        let mut state = self.lock();
        let Some(&id) = state.names.get(name.folded()) else {
            return;
        };
        if id.is_remote() {
            return;
        }
        let how = Departure::Removed {
            reason: Text::new(reason),
        };
        state.leave_all_rooms(id, &how, &mut out);
        state.release(id);
        if let Ok(member) = state.member(id) {
            member.session.outbox().close(CloseReason::Removed);
        }
        self.send(state, out);
    }

    /// The session's peer, if it is a server operator.
    fn oper(&self, state: &State, session: &Session) -> Result<Peer, HubError> {
        let by = state.peer(session.id())?;
        if !state.is_oper(session.id()) {
            return Err(HubError::NotOper);
        }
        Ok(by)
    }

    /// Puts each of `targets` out (see [`State::put_out_by_oper`]), then frees their names once
    /// the events that tell of it are resolved.
    fn put_out_all(
        &self,
        mut state: std::sync::MutexGuard<'_, State>,
        by: (&Peer, Option<SessionId>),
        targets: &[SessionId],
        reason: Option<Text>,
        quit: String,
    ) {
        let mut out = Outgoing::default();
        let mut closes: Vec<(usize, Arc<Session>)> = Vec::new();
        for &target in targets {
            let told_at = out.0.len();
            if let Some(session) =
                state.put_out_by_oper(by, target, reason.clone(), quit.clone(), &mut out)
            {
                closes.push((told_at, session));
            }
        }
        let mut routed: Vec<Routed> = state.resolve_all(out.0, self.stage.get().is_some());
        for (at, session) in closes {
            if let Some(told) = routed.get_mut(at) {
                told.close_after(session);
            }
        }
        for &target in targets {
            state.release(target);
        }
        self.dispatch(state, routed);
    }
}

/// The quit reason a kill's room-mates see: `Killed (by (reason))`.
pub(super) fn kill_quit(by: &Name, reason: Option<&Text>) -> String {
    match reason {
        Some(reason) => format!("Killed ({by} ({reason}))"),
        None => format!("Killed ({by})"),
    }
}
