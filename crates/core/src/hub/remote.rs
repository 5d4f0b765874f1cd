//! Events from another node of a cluster: each one first changes this hub's picture of
//! that node's users (`ghosts.rs`) as it changed there, then reaches this node's sessions
//! in its audience. What they did to this node's own users (a kick, a kill, an op) is
//! done here as it would be for a local operator.
//!
//! What a remote event changes here is never announced to other nodes again: every node
//! hears the origin's event itself. What this node's users go through because of it (a
//! killed user's quit) is an event of this node, sent on like any other.

use std::sync::Arc;

use super::state::{State, Topic};
use super::{Hub, Outgoing};
use crate::event::{Departure, Event, EventKind};
use crate::name::Name;
use crate::router::Routed;
use crate::session::SessionId;
use crate::text::Text;

impl Hub {
    /// Applies events `node` made, in its order, and resolves each against this node's
    /// sessions as they are after it. The caller hands the result on (to the store, then
    /// delivery); their consequences for this node's users go through the hub's stage.
    pub fn apply_remote(&self, node: u16, events: Vec<Arc<Event>>) -> Vec<Routed> {
        let mut state = self.lock();
        let mut routed = Vec::with_capacity(events.len());
        let mut out = Outgoing::default();
        for event in events {
            let mut local = Vec::new();
            let Change { news, victim } = state.apply_remote(node, &event, &mut local);
            // What this hub knew already (from a snapshot) is not told twice.
            let heard_by = if news {
                state.resolve(&event)
            } else {
                Vec::new()
            };
            let mut here = Routed::new(event.clone(), heard_by);
            if let Some(victim) = victim {
                state.put_out_locally(victim, &event, &mut here, &mut out);
            }
            routed.push(here);
            routed.extend(state.resolve_all(local, false));
        }
        state.take_presence(&mut out);
        if !out.0.is_empty() {
            self.send(state, out);
        }
        routed
    }

    /// Forgets every user of `node` (it stopped, or its lease in Redis ran out): their
    /// rooms here hear each one quit with `how`, and their names are free.
    pub fn forget_node(&self, node: u16, how: &Departure) -> Vec<Routed> {
        let mut state = self.lock();
        let mut made = Outgoing::default();
        let mut local = Vec::new();
        for id in state.ghosts_of(node) {
            state.leave_all_rooms(id, how, &mut made);
            state.drop_ghost(id, &mut local);
        }
        made.0.extend(local);
        state.resolve_all(made.0, false)
    }

    /// The nodes this hub knows users of.
    pub fn known_nodes(&self) -> Vec<u16> {
        let state = self.lock();
        let mut nodes: Vec<u16> = state.ghosts.values().copied().collect();
        nodes.sort_unstable();
        nodes.dedup();
        nodes
    }

    /// The rooms at least one of this node's own users is in: the cluster listens to
    /// their channels and to no other room's.
    pub fn local_rooms(&self) -> Vec<Name> {
        let state = self.lock();
        state
            .rooms
            .values()
            .filter(|room| room.members.keys().any(|id| !id.is_remote()))
            .map(|room| room.name.clone())
            .collect()
    }

    /// Whether one of this node's own users is in `room`.
    pub fn is_local_room(&self, room: &Name) -> bool {
        let state = self.lock();
        state
            .rooms
            .get(room.folded())
            .is_some_and(|room| room.members.keys().any(|id| !id.is_remote()))
    }

    /// The names this node's own users hold (the cluster renews their claims).
    pub fn local_names(&self) -> Vec<Name> {
        let state = self.lock();
        state
            .name_order
            .values()
            .filter(|id| !id.is_remote())
            .filter_map(|&id| state.name_of(id))
            .collect()
    }
}

/// What a remote event changed here.
struct Change {
    /// Whether it is news to this hub: a join, part or quit it knew of already (a
    /// snapshot told it first) is not delivered a second time.
    news: bool,
    /// This node's user it puts out of a room or of the server (a kick, a kill), whose
    /// consequences follow once the event is resolved.
    victim: Option<SessionId>,
}

impl Change {
    fn news(news: bool) -> Change {
        Change { news, victim: None }
    }
}

impl State {
    /// Changes this hub's picture as `event` of `node` says.
    fn apply_remote(&mut self, node: u16, event: &Event, local: &mut Vec<Arc<Event>>) -> Change {
        match event.kind() {
            EventKind::Presence {
                online: Some(peer), ..
            } => {
                self.ghost_for(node, peer, local);
            }
            EventKind::Presence { name, online: None } => {
                if let Some(id) = self.ghost_named(node, name) {
                    self.drop_ghost(id, local);
                }
            }
            EventKind::Joined { room, who, op } => {
                let id = self.ghost_for(node, who, local);
                let news = id.is_some_and(|id| self.seat_ghost(id, room, *op, event.msgid()));
                return Change::news(news);
            }
            EventKind::Left { room, who, .. } => {
                let id = self.ghost_named(node, &who.name);
                return Change::news(id.is_some_and(|id| self.unseat(id, &room.key())));
            }
            EventKind::Quit { who, .. } => {
                let id = self.ghost_named(node, &who.name);
                return Change::news(id.is_some_and(|id| self.unseat_all(id)));
            }
            EventKind::Renamed { old, new, .. } => {
                if let Some(id) = self.ghost_named(node, old) {
                    self.rename_ghost(id, new, local);
                }
            }
            // The origin checked the rules; here the room follows (see `move_room` for
            // a name taken here meanwhile).
            EventKind::RoomRenamed { old, new, .. } => self.move_room(old, new),
            EventKind::Kicked { room, target, .. } => {
                let Some(id) = self.names.get(target.name.folded()).copied() else {
                    return Change::news(true);
                };
                self.remove_from_room(&room.key(), id);
                if let Some(member) = self.sessions.get_mut(&id) {
                    member.left(&room.key());
                }
                let victim = (!id.is_remote()).then_some(id);
                return Change { news: true, victim };
            }
            EventKind::Killed { target, .. } => {
                let id = self.names.get(target.folded()).copied();
                let victim = id.filter(|id| !id.is_remote());
                return Change { news: true, victim };
            }
            _ => self.apply_remote_detail(node, event),
        }
        Change::news(true)
    }

    /// The changes that touch no membership: topics, modes, invitations, profiles.
    fn apply_remote_detail(&mut self, node: u16, event: &Event) {
        match event.kind() {
            EventKind::TopicChanged { room, by, topic } => {
                if let Ok(room) = self.room_mut(room.as_str()) {
                    room.topic = topic.clone().map(|text| Topic {
                        text,
                        set_by: by.name.to_string(),
                        set_at: event.at(),
                    });
                }
            }
            EventKind::ModesChanged { room, by, changes } => {
                for change in changes {
                    let target = match change {
                        crate::event::ModeChange::Op { who, .. }
                        | crate::event::ModeChange::Voice { who, .. } => {
                            self.names.get(who.folded()).copied()
                        }
                        _ => None,
                    };
                    if let Ok(entry) = self.room_mut(room.as_str()) {
                        // Refused here means already so: the origin checked the rules.
                        let _ = super::channel::apply(entry, change, target, &by.name);
                    }
                }
            }
            EventKind::Invited { room, target, .. } => {
                let id = self.names.get(target.folded()).copied();
                if let (Some(id), Ok(room)) = (id, self.room_mut(room.as_str())) {
                    room.invited.insert(id);
                }
            }
            EventKind::AwayChanged { who, away, .. } => {
                if let Some(member) = self.ghost_member(node, &who.name) {
                    member.set_away(away.clone());
                }
            }
            EventKind::AccountChanged { who, .. } => {
                if let Some(member) = self.ghost_member(node, &who.name) {
                    member.set_account(who.account.clone());
                }
            }
            EventKind::RealnameChanged { who, .. } => {
                if let Some(member) = self.ghost_member(node, &who.name) {
                    member.realname = who.realname.clone();
                }
            }
            EventKind::MetadataChanged { .. } => self.apply_remote_metadata(node, event.kind()),
            // An account's sessions on this node ask this hub for its marks.
            EventKind::ReadMarked {
                account,
                target,
                at_ms,
            } => {
                self.read_marks.advance(account, target, *at_ms);
            }
            _ => {}
        }
    }

    /// A metadata change made on another node, kept on the ghost or the room here.
    fn apply_remote_metadata(&mut self, node: u16, kind: &EventKind) {
        let EventKind::MetadataChanged {
            target,
            of_room,
            key,
            value,
            ..
        } = kind
        else {
            return;
        };
        // Refused here means full: the origin checked the bound.
        if *of_room {
            if let Ok(room) = self.room_mut(target.as_str()) {
                let _ = room.metadata.set(key, value.clone());
            }
        } else if let Some(member) = self.ghost_member(node, target) {
            let _ = member.change_metadata(|m| m.set(key, value.clone()));
        }
    }

    fn ghost_member(
        &mut self,
        node: u16,
        name: &crate::name::Name,
    ) -> Option<&mut super::state::Member> {
        let id = self.ghost_named(node, name)?;
        self.sessions.get_mut(&id).map(|m| &mut **m)
    }

    /// What a kick or kill from another node does to this node's user `id`: put out of
    /// the room by residence (a kick), or out of the server (a kill: their connection
    /// closes once they read why, their rooms hear them quit, their name is free).
    fn put_out_locally(
        &mut self,
        id: SessionId,
        event: &Event,
        here: &mut Routed,
        out: &mut Outgoing,
    ) {
        match event.kind() {
            EventKind::Killed { by, reason, .. } => {
                if let Ok(member) = self.member(id) {
                    here.close_after(member.session.clone());
                }
                let how = Departure::Removed {
                    reason: Text::new(&super::removal::kill_quit(&by.name, reason.as_ref())),
                };
                self.leave_all_rooms(id, &how, out);
                self.release(id);
            }
            _ => self.put_out(id, here),
        }
    }
}
