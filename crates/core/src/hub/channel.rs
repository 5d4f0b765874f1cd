//! Channel rules: the topic, modes (flags, key, limit, operators, voice, bans, ban
//! exceptions), kicks and invitations. Operators are the members the rules name; the first member is one.

use std::time::SystemTime;

use super::state::{Ban, Topic};
use super::{Hub, HubError, Outgoing};
use crate::event::{EventKind, ModeChange};
use crate::mask::Mask;
use crate::msgid::MsgId;
use crate::session::Session;
use crate::text::Text;

/// What a mode request did: the changes applied (announced to the room) and those refused
/// with why (each answered to the requester alone).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ModeOutcome {
    pub applied: Vec<ModeChange>,
    pub refused: Vec<(ModeChange, HubError)>,
}

/// How many bans a room keeps at most, so a list cannot grow without bound; the same bound
/// holds for its ban exceptions.
pub const MAX_BANS: usize = 100;

impl Hub {
    /// Sets or clears a room's topic. Under `+t` only operators may. The others hear it;
    /// the change's id is returned (an IRC echo shows it).
    pub fn set_topic(
        &self,
        session: &Session,
        room: &str,
        topic: Option<Text>,
    ) -> Result<MsgId, HubError> {
        let mut out = Outgoing::default();
        let mut state = self.lock();
        let id = session.id();
        let by = state.peer(id)?;
        let entry = state.joined_room(room, id)?;
        if entry.modes.topic_lock && !state.may_run(entry, id) {
            return Err(HubError::ChanOpNeeded(entry.name.to_string()));
        }
        let name = entry.name.clone();
        let entry = state.room_mut(room)?;
        entry.topic = topic.clone().filter(|t| !t.is_empty()).map(|text| Topic {
            text,
            set_by: format!("{}!{}@{}", by.name, by.user(), by.host),
            set_at: SystemTime::now(),
        });
        let kind = EventKind::TopicChanged {
            room: name,
            by,
            topic,
        };
        let event = state.event(Some(id), kind);
        let msgid = event.msgid();
        out.push(event);
        self.send(state, out);
        Ok(msgid)
    }

    /// Applies mode changes; needs operator status. Changes that do nothing (setting a
    /// flag already set) are dropped silently, as IRC servers do.
    pub fn change_modes(
        &self,
        session: &Session,
        room: &str,
        changes: Vec<ModeChange>,
    ) -> Result<ModeOutcome, HubError> {
        let mut out = Outgoing::default();
        let mut state = self.lock();
        let id = session.id();
        let by = state.peer(id)?;
        let entry = state.joined_room(room, id)?;
        if !state.may_run(entry, id) {
            return Err(HubError::ChanOpNeeded(entry.name.to_string()));
        }
        let room_name = entry.name.clone();
        let mut outcome = ModeOutcome::default();
        for change in changes {
            // Resolve a target name to a member before borrowing the room mutably.
            let target = match &change {
                ModeChange::Op { who, .. } | ModeChange::Voice { who, .. } => {
                    match state.session_named(who.as_str()) {
                        Ok(target) => Some(target),
                        Err(e) => {
                            outcome.refused.push((change, e));
                            continue;
                        }
                    }
                }
                _ => None,
            };
            let entry = state.room_mut(room)?;
            match apply(entry, &change, target, &by.name) {
                Ok(true) => outcome.applied.push(change),
                Ok(false) => {}
                Err(e) => outcome.refused.push((change, e)),
            }
        }
        if !outcome.applied.is_empty() {
            let kind = EventKind::ModesChanged {
                room: room_name,
                by,
                changes: outcome.applied.clone(),
            };
            out.push(state.event(Some(id), kind));
        }
        self.send(state, out);
        Ok(outcome)
    }

    /// Puts `target` out of a room; needs operator status. Every member, the kicked one
    /// included, hears it (the kicker's own echo is its adapter's).
    pub fn kick(
        &self,
        session: &Session,
        room: &str,
        target: &str,
        reason: Option<Text>,
    ) -> Result<(), HubError> {
        let mut state = self.lock();
        let id = session.id();
        let by = state.peer(id)?;
        let entry = state.joined_room(room, id)?;
        let name = entry.name.clone();
        if !state.may_run(entry, id) {
            return Err(HubError::ChanOpNeeded(name.to_string()));
        }
        let target_id = state.session_named(target)?;
        if !state.room(room)?.members.contains_key(&target_id) {
            return Err(HubError::UserNotInRoom {
                user: target.to_string(),
                room: name.to_string(),
            });
        }
        let target = state.peer(target_id)?;
        // The kick itself is the announcement: leave without a second one. Its audience
        // names the kicked user beside the room, since they are out of it by the time
        // it is routed.
        let key = name.key();
        state.remove_from_room(&key, target_id);
        if let Some(member) = state.sessions.get_mut(&target_id) {
            member.left(&key);
        }
        let kind = EventKind::Kicked {
            room: name,
            by,
            target,
            reason,
        };
        let event = state.event(Some(id), kind);
        let mut routed = state.resolve_all(vec![event], self.stage.get().is_some());
        if let Some(kick) = routed.first_mut() {
            state.put_out(target_id, kick);
        }
        self.dispatch(state, routed);
        Ok(())
    }

    /// Invites `target` into a room the inviter is in (under `+i`, only operators may).
    /// The invitation lets the target past `+i`, `+l` and bans once; only the target hears.
    pub fn invite(&self, session: &Session, target: &str, room: &str) -> Result<(), HubError> {
        let mut out = Outgoing::default();
        let mut state = self.lock();
        let id = session.id();
        let by = state.peer(id)?;
        let target_id = state.session_named(target)?;
        let target_name = state.named(target_id)?;
        let entry = state.joined_room(room, id)?;
        let name = entry.name.clone();
        if entry.modes.invite_only && !state.may_run(entry, id) {
            return Err(HubError::ChanOpNeeded(name.to_string()));
        }
        if entry.members.contains_key(&target_id) {
            return Err(HubError::UserInRoom {
                user: target_name.to_string(),
                room: name.to_string(),
            });
        }
        state.room_mut(room)?.invited.insert(target_id);
        let kind = EventKind::Invited {
            room: name,
            by,
            target: target_name,
        };
        out.push(state.event(Some(id), kind));
        self.send(state, out);
        Ok(())
    }
}

/// Applies one change to a room; `Ok(false)` when it changes nothing.
pub(super) fn apply(
    room: &mut super::state::Room,
    change: &ModeChange,
    target: Option<crate::session::SessionId>,
    by: &crate::name::Name,
) -> Result<bool, HubError> {
    let not_in_room = |who: &crate::name::Name| HubError::UserNotInRoom {
        user: who.to_string(),
        room: room.name.to_string(),
    };
    Ok(match change {
        ModeChange::Flag { flag, on } => {
            let slot = room.modes.flag_mut(*flag);
            std::mem::replace(slot, *on) != *on
        }
        ModeChange::Key(key) => std::mem::replace(&mut room.modes.key, key.clone()) != *key,
        ModeChange::Limit(limit) => std::mem::replace(&mut room.modes.limit, *limit) != *limit,
        ModeChange::Op { on, who } | ModeChange::Voice { on, who } => {
            let err = not_in_room(who);
            let seat = target.and_then(|t| room.members.get_mut(&t)).ok_or(err)?;
            let slot = if matches!(change, ModeChange::Op { .. }) {
                &mut seat.op
            } else {
                &mut seat.voice
            };
            std::mem::replace(slot, *on) != *on
        }
        ModeChange::Ban { on, mask } => edit_list(&mut room.bans, *on, mask, by)
            .ok_or_else(|| HubError::ListFull(room.name.to_string()))?,
        ModeChange::Except { on, mask } => edit_list(&mut room.exceptions, *on, mask, by)
            .ok_or_else(|| HubError::ListFull(room.name.to_string()))?,
        ModeChange::Quiet { on, mask } => edit_list(&mut room.quiets, *on, mask, by)
            .ok_or_else(|| HubError::ListFull(room.name.to_string()))?,
        ModeChange::QuietExcept { on, mask } => {
            edit_list(&mut room.quiet_exceptions, *on, mask, by)
                .ok_or_else(|| HubError::ListFull(room.name.to_string()))?
        }
        ModeChange::InviteExcept { on, mask } => {
            edit_list(&mut room.invite_exceptions, *on, mask, by)
                .ok_or_else(|| HubError::ListFull(room.name.to_string()))?
        }
        ModeChange::Slow(seconds) => {
            if seconds.is_none() {
                room.last_said = Default::default();
            }
            std::mem::replace(&mut room.modes.slow, *seconds) != *seconds
        }
    })
}

/// Adds or removes a mask on a ban or exception list (masks compare without ASCII case);
/// `Some(false)` when nothing changes, `None` when a new mask finds the list full (the
/// requester is told, unlike a change that changes nothing).
fn edit_list(list: &mut Vec<Ban>, on: bool, mask: &Mask, by: &crate::name::Name) -> Option<bool> {
    let known = list.iter().any(|b| b.mask.same(mask));
    if on {
        if known {
            return Some(false);
        }
        if list.len() >= MAX_BANS {
            return None;
        }
        list.push(Ban {
            mask: mask.clone(),
            set_by: by.to_string(),
            set_at: SystemTime::now(),
        });
        Some(true)
    } else {
        list.retain(|b| !b.mask.same(mask));
        Some(known)
    }
}
