//! The link's listening side: every message on the control channel and on the room
//! channels this node listens to, in Redis's order. This node's own events come back
//! here and are delivered only then, so every node delivers a channel's events in the
//! same order; other nodes' events change this hub's picture of them and reach this
//! node's users. Gaps in a node's sequence on a channel are counted and repaired: with
//! snapshots on the control channel, from the room's stream on a room's.

use std::sync::Arc;

use confab_core::hub::NodeSnapshot;
use confab_core::{Event, EventKind};

use crate::link::Link;
use crate::stats::ClusterStats;
use crate::wire::{Body, Envelope};

impl Link {
    /// Handles one payload from the channel; a bad one is logged and dropped.
    pub(crate) fn receive(&mut self, channel: &str, payload: &[u8]) {
        ClusterStats::add(&self.stats.received, 1);
        let envelope = match Envelope::decode(payload) {
            Ok(envelope) => envelope,
            Err(error) => {
                ClusterStats::add(&self.stats.refused, 1);
                tracing::warn!(%error, "dropped a message from the cluster channel");
                return;
            }
        };
        if envelope.node == self.node {
            return self.echo(channel, &envelope);
        }
        if !self.count_gap(channel, &envelope) {
            return;
        }
        match envelope.body {
            Body::Events(events) => {
                let events: Vec<Arc<Event>> = events.into_iter().map(|e| e.0).collect();
                if let Some(first) = events.first() {
                    self.stats.note_lag(first.at());
                }
                self.note_renames(&events);
                let routed = self.hub.apply_remote(envelope.node, events);
                self.next.forward(routed);
            }
            Body::Hello => self.owe_snapshot = true,
            Body::Snapshot { last, part } => self.snapshot_part(envelope.node, last, part),
            Body::Goodbye => {
                tracing::info!(node = envelope.node, "a node left the cluster");
                self.forget(envelope.node, "Node stopped");
            }
            Body::Records(records) => self.receive_records(records),
        }
    }

    /// This node's own message back from Redis: its events, and any sent before them, are
    /// delivered now. One of another run with this number is refused.
    fn echo(&mut self, channel: &str, envelope: &Envelope) {
        if envelope.run != self.run {
            ClusterStats::add(&self.stats.refused, 1);
            tracing::error!(
                node = self.node,
                "a message from another process with this node's number: node numbers must be unique"
            );
            return;
        }
        let Some(pending) = self.pending.get_mut(channel) else {
            return;
        };
        while pending
            .front()
            .is_some_and(|(seq, _, _)| *seq <= envelope.seq)
        {
            if let Some((_, _, routed)) = pending.pop_front() {
                self.next.forward(routed);
            }
        }
    }

    /// Notes the message's number on its channel: `false` for one heard already (a
    /// catch-up from a room's stream delivered it). Numbers skipped are messages Redis
    /// dropped. On the control channel this node asks every node for its snapshot to set
    /// its picture right; on a room's, it fills the room's history again from its stream
    /// (its users missed the messages live, but history has them).
    pub(crate) fn count_gap(&mut self, channel: &str, envelope: &Envelope) -> bool {
        let heard = match self.heard.get_mut(channel) {
            Some(heard) => heard,
            None => self.heard.entry(channel.to_owned()).or_default(),
        };
        let last = heard.get(&envelope.node).copied();
        if let Some((run, seq)) = last {
            if run == envelope.run && envelope.seq <= seq {
                return false;
            }
        }
        heard.insert(envelope.node, (envelope.run, envelope.seq));
        let Some((run, seq)) = last else {
            return true;
        };
        if run != envelope.run || envelope.seq == seq + 1 {
            return true;
        }
        let missed = envelope.seq - seq - 1;
        ClusterStats::add(&self.stats.missed, missed);
        match self.listening.get(channel) {
            Some(room) => {
                tracing::warn!(node = envelope.node, missed, %room, "missed messages in a room: filling its history again");
                self.owe_history.push(room.clone());
            }
            None => {
                tracing::warn!(
                    node = envelope.node,
                    missed,
                    "missed messages of a node: asking for snapshots"
                );
                self.owe_hello = true;
            }
        }
        true
    }

    /// A room renamed on another node under this node's users: this node listens to its
    /// new channel at once and delivers what was said there before it listened.
    fn note_renames(&mut self, events: &[Arc<Event>]) {
        for event in events {
            // Asked before the rename is applied: the room still has its old name here.
            if let EventKind::RoomRenamed { old, new, .. } = event.kind() {
                if self.hub.is_local_room(old) {
                    self.owe_catch_up.push((new.clone(), event.msgid()));
                }
            }
        }
    }

    fn snapshot_part(&mut self, node: u16, last: bool, part: NodeSnapshot) {
        let whole = self.partial.entry(node).or_default();
        whole.users.extend(part.users);
        whole.rooms.extend(part.rooms);
        if last {
            if let Some(snapshot) = self.partial.remove(&node) {
                let routed = self.hub.apply_snapshot(node, &snapshot);
                self.next.forward(routed);
                self.heard_snapshot(Some(node));
            }
        }
    }
}
