//! What one node tells the others of itself when they (re)connect: its users, their
//! seats and metadata, and the rooms they are in with topics, modes and metadata. Another node replaces all it
//! knew of that node with it, so a node that joins late, or missed events while Redis
//! was away, sees the same chat again. Bans and invitations are not in it: they travel
//! only as events.

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::state::{ChannelModes, State, Topic};
use super::{Hub, Outgoing};
use crate::event::{Departure, Event, EventKind, Peer};
use crate::metadata::{Metadata, Pair};
use crate::name::Name;
use crate::router::Routed;
use crate::session::SessionId;
use crate::text::Text;

/// One node's users and rooms.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NodeSnapshot {
    pub users: Vec<UserSnapshot>,
    pub rooms: Vec<RoomSnapshot>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserSnapshot {
    pub peer: Peer,
    pub away: Option<Text>,
    pub seats: Vec<SeatSnapshot>,
    /// The metadata the user set on themself (`draft/metadata`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub metadata: Vec<Pair>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeatSnapshot {
    pub room: Name,
    pub op: bool,
    pub voice: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoomSnapshot {
    pub name: Name,
    /// The topic, who set it and when (Unix microseconds).
    pub topic: Option<(Text, String, u64)>,
    pub modes: ChannelModes,
    /// The metadata its operators set on it (`draft/metadata`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub metadata: Vec<Pair>,
}

impl Hub {
    /// This node's own named users and the rooms they are in.
    pub fn local_snapshot(&self) -> NodeSnapshot {
        let state = self.lock();
        let users = state
            .name_order
            .values()
            .filter(|id| !id.is_remote())
            .filter_map(|&id| state.user_snapshot(id))
            .collect::<Vec<_>>();
        let mut rooms: Vec<RoomSnapshot> = state
            .rooms
            .values()
            .filter(|room| room.members.keys().any(|id| !id.is_remote()))
            .map(|room| RoomSnapshot {
                name: room.name.clone(),
                topic: room.topic.as_ref().map(|t| {
                    let micros = t.set_at.duration_since(UNIX_EPOCH).unwrap_or_default();
                    let micros = u64::try_from(micros.as_micros()).unwrap_or(u64::MAX);
                    (t.text.clone(), t.set_by.clone(), micros)
                }),
                modes: room.modes.clone(),
                metadata: room.metadata.pairs().to_vec(),
            })
            .collect();
        rooms.sort_by(|a, b| a.name.folded().as_str().cmp(b.name.folded().as_str()));
        NodeSnapshot { users, rooms }
    }

    /// Replaces what this hub knew of `node` with its snapshot. Users gone since are
    /// heard to quit (`Lost`), seats gained or lost are heard as joins and parts, so
    /// this node's users see what they missed; rooms take the snapshot's topic and modes.
    pub fn apply_snapshot(&self, node: u16, snapshot: &NodeSnapshot) -> Vec<Routed> {
        let mut state = self.lock();
        let mut made = Outgoing::default();
        let mut local = Vec::new();
        let listed: std::collections::HashSet<_> =
            snapshot.users.iter().map(|u| u.peer.name.key()).collect();
        for id in state.ghosts_of(node) {
            let gone = state.name_of(id).is_none_or(|n| !listed.contains(&n.key()));
            if gone {
                state.leave_all_rooms(id, &Departure::Lost, &mut made);
                state.drop_ghost(id, &mut local);
            }
        }
        for user in &snapshot.users {
            state.restore_user(node, user, &mut made, &mut local);
        }
        for room in &snapshot.rooms {
            state.restore_room(room);
        }
        made.0.extend(local);
        state.resolve_all(made.0, false)
    }
}

impl State {
    fn user_snapshot(&self, id: SessionId) -> Option<UserSnapshot> {
        let member = self.sessions.get(&id)?;
        let peer = self.peer(id).ok()?;
        let seats = member
            .rooms
            .iter()
            .filter_map(|key| {
                let room = self.rooms.get(key)?;
                let seat = room.members.get(&id)?;
                Some(SeatSnapshot {
                    room: room.name.clone(),
                    op: seat.op,
                    voice: seat.voice,
                })
            })
            .collect();
        Some(UserSnapshot {
            peer,
            away: member.away().cloned(),
            seats,
            metadata: member
                .metadata()
                .map(|m| m.pairs().to_vec())
                .unwrap_or_default(),
        })
    }

    /// Brings one user of `node` in line with its snapshot: joins and parts heard by
    /// this node's users through `made`.
    fn restore_user(
        &mut self,
        node: u16,
        user: &UserSnapshot,
        made: &mut Outgoing,
        local: &mut Vec<Arc<Event>>,
    ) {
        let Some(id) = self.ghost_for(node, &user.peer, local) else {
            return;
        };
        if let Some(member) = self.sessions.get_mut(&id) {
            member.set_away(user.away.clone());
            member.change_metadata(|m| *m = Metadata::from_pairs(&user.metadata));
        }
        let now_in = self.rooms_named(id);
        for room in now_in.iter() {
            if !user.seats.iter().any(|s| s.room.key() == room.key()) {
                let how = Departure::Parted { reason: None };
                self.leave_room(&room.key(), id, &how, made);
                if let Some(member) = self.sessions.get_mut(&id) {
                    member.left(&room.key());
                }
            }
        }
        for seat in &user.seats {
            if !now_in.iter().any(|r| r.key() == seat.room.key()) {
                let kind = EventKind::Joined {
                    room: seat.room.clone(),
                    who: user.peer.clone(),
                    op: seat.op,
                };
                let event = self.event(Some(id), kind);
                self.seat_ghost(id, &seat.room, seat.op, event.msgid());
                made.push(event);
            }
            if let Some(place) = self
                .rooms
                .get_mut(seat.room.folded())
                .and_then(|r| r.members.get_mut(&id))
            {
                (place.op, place.voice) = (seat.op, seat.voice);
            }
        }
    }

    fn restore_room(&mut self, room: &RoomSnapshot) {
        let Some(entry) = self.rooms.get_mut(room.name.folded()) else {
            return;
        };
        entry.modes = room.modes.clone();
        entry.metadata = Metadata::from_pairs(&room.metadata);
        entry.topic = room.topic.as_ref().map(|(text, by, micros)| Topic {
            text: text.clone(),
            set_by: by.clone(),
            set_at: UNIX_EPOCH + Duration::from_micros(*micros),
        });
    }
}
