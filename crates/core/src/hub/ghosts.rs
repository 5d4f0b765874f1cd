//! Users of other nodes, as this hub keeps them ("ghosts"): a member entry like any
//! other (so names, rooms, NAMES, WHO and WHOIS show them without a second code path),
//! with an id whose top bit is set and an outbox closed from the start, since their own
//! node delivers to them. Only events from their node (see `remote.rs`) change them.

use std::sync::Arc;
use std::time::SystemTime;

use super::state::{Member, Seat, State};
use super::whowas::WasView;
use crate::event::{Event, Peer};
use crate::msgid::MsgId;
use crate::name::{Name, NameKey};
use crate::outbox::CloseReason;
use crate::session::{Session, SessionId};

impl State {
    /// The user of `node` called `peer.name`, brought up to date with `peer`, made if this
    /// hub did not know them. `None` when one of this node's own users holds the name:
    /// the claims in Redis decide between the two (the cluster stage), not the hub.
    /// A presence event for watchers here joins `local`.
    pub(crate) fn ghost_for(
        &mut self,
        node: u16,
        peer: &Peer,
        local: &mut Vec<Arc<Event>>,
    ) -> Option<SessionId> {
        match self.names.get(peer.name.folded()).copied() {
            // Held by a user of a third node as far as this hub knows: a claim cannot pass
            // from one live node to another, so this hub missed an event; the snapshots
            // a gap asks for set it right.
            Some(id) if id.is_remote() && self.ghosts.get(&id) != Some(&node) => None,
            Some(id) if id.is_remote() => {
                let member = self.sessions.get_mut(&id)?;
                member.user = peer.user.clone();
                member.realname = peer.realname.clone();
                member.host = peer.host.clone();
                member.set_account(peer.account.clone());
                Some(id)
            }
            Some(_) => None,
            None => {
                let id = self.add_ghost(node, peer);
                local.extend(self.presence_here(&peer.name, Some(peer.clone())));
                Some(id)
            }
        }
    }

    fn add_ghost(&mut self, node: u16, peer: &Peer) -> SessionId {
        self.next_ghost += 1;
        let id = SessionId(SessionId::REMOTE | self.next_ghost);
        let session = Arc::new(Session::new(id, peer.origin, 0));
        session.outbox().close(CloseReason::Removed);
        let mut member = Member::new(session, peer.host.clone(), SystemTime::now());
        member.user = peer.user.clone();
        member.realname = peer.realname.clone();
        member.set_account(peer.account.clone());
        self.next_seq += 1;
        member.name = Some((peer.name.clone(), self.next_seq));
        self.names.insert(peer.name.key(), id);
        self.name_order.insert(self.next_seq, id);
        self.sessions.insert(id, Box::new(member));
        self.ghosts.insert(id, node);
        self.peak_named = self.peak_named.max(self.names.len());
        id
    }

    /// The user of `node` holding `name`, if one does: a node's events change only its
    /// own users.
    pub(crate) fn ghost_named(&self, node: u16, name: &Name) -> Option<SessionId> {
        self.names
            .get(name.folded())
            .copied()
            .filter(|id| self.ghosts.get(id) == Some(&node))
    }

    /// Every user of `node` this hub knows.
    pub(crate) fn ghosts_of(&self, node: u16) -> Vec<SessionId> {
        let mut ids: Vec<SessionId> = self
            .ghosts
            .iter()
            .filter(|(_, &n)| n == node)
            .map(|(&id, _)| id)
            .collect();
        ids.sort();
        ids
    }

    /// Seats a user of another node in `room` (made if new), as its node did; `false` if
    /// they were seated already (a snapshot told of it first).
    pub(crate) fn seat_ghost(
        &mut self,
        id: SessionId,
        room: &Name,
        op: bool,
        since: MsgId,
    ) -> bool {
        let Some(session) = self.sessions.get(&id).map(|m| m.session.clone()) else {
            return false;
        };
        self.next_seq += 1;
        let created = self.next_seq;
        let entry = self
            .rooms
            .entry(room.key())
            .or_insert_with(|| super::state::Room::new(room.clone(), created));
        if entry.members.contains_key(&id) {
            return false;
        }
        let seat = Seat {
            session,
            op,
            voice: false,
            since,
        };
        entry.members.insert(id, seat);
        if let Some(member) = self.sessions.get_mut(&id) {
            member.joined(room.key());
        }
        true
    }

    /// Takes a user of another node out of one room, without a word (their node's event
    /// is the announcement); `false` if they were not in it.
    pub(crate) fn unseat(&mut self, id: SessionId, key: &NameKey) -> bool {
        let was_in = self.remove_from_room(key, id).is_some();
        if let Some(member) = self.sessions.get_mut(&id) {
            member.left(key);
        }
        was_in
    }

    /// Takes a user of another node out of every room, without a word; `false` if they
    /// were in none.
    pub(crate) fn unseat_all(&mut self, id: SessionId) -> bool {
        let rooms = self
            .sessions
            .get_mut(&id)
            .map(|m| std::mem::take(&mut m.rooms))
            .unwrap_or_default();
        for key in rooms.iter() {
            self.remove_from_room(key, id);
        }
        !rooms.is_empty()
    }

    /// Forgets a user of another node: out of every room, its name free. Watchers here
    /// hear of it through `local`.
    pub(crate) fn drop_ghost(&mut self, id: SessionId, local: &mut Vec<Arc<Event>>) {
        self.unseat_all(id);
        self.ghosts.remove(&id);
        let Some(member) = self.sessions.remove(&id) else {
            return;
        };
        if let Some((name, seq)) = &member.name {
            self.names.remove(name.folded());
            self.name_order.remove(seq);
            self.remember(WasView::of(&member, name.clone()));
            local.extend(self.presence_here(name, None));
        }
        for room in self.rooms.values_mut() {
            room.invited.remove(&id);
        }
    }

    /// Renames a user of another node (their node announced it to their rooms); watchers
    /// here hear of both names through `local`. A name held by someone else here is left
    /// alone: the claims in Redis keep that from happening.
    pub(crate) fn rename_ghost(&mut self, id: SessionId, new: &Peer, local: &mut Vec<Arc<Event>>) {
        if self
            .names
            .get(new.name.folded())
            .is_some_and(|&holder| holder != id)
        {
            return;
        }
        let Some(member) = self.sessions.get_mut(&id) else {
            return;
        };
        let Some((old, seq)) = member.name.take() else {
            return;
        };
        member.name = Some((new.name.clone(), seq));
        self.names.remove(old.folded());
        self.names.insert(new.name.key(), id);
        if old.key() != new.name.key() {
            local.extend(self.presence_here(&old, None));
            local.extend(self.presence_here(&new.name, Some(new.clone())));
        }
    }
}
