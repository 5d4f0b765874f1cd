//! The link's listening side: every message on the channel, in Redis's order. This
//! node's own events come back here and are delivered only then, so every node delivers
//! in the same order; other nodes' events change this hub's picture of them and reach
//! this node's users. Gaps in a node's sequence are counted and repaired with snapshots.

use std::sync::Arc;

use confab_core::hub::NodeSnapshot;
use confab_core::Event;

use crate::link::Link;
use crate::stats::ClusterStats;
use crate::wire::{Body, Envelope};

impl Link {
    /// Handles one payload from the channel; a bad one is logged and dropped.
    pub(crate) fn receive(&mut self, payload: &[u8]) {
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
            return self.echo(&envelope);
        }
        self.count_gap(&envelope);
        match envelope.body {
            Body::Events(events) => {
                let events: Vec<Arc<Event>> = events.into_iter().map(|e| e.0).collect();
                if let Some(first) = events.first() {
                    self.stats.note_lag(first.at());
                }
                let routed = self.hub.apply_remote(envelope.node, events);
                self.next.forward(routed);
            }
            Body::Hello => self.owe_snapshot = true,
            Body::Snapshot { last, part } => self.snapshot_part(envelope.node, last, part),
            Body::Goodbye => {
                tracing::info!(node = envelope.node, "a node left the cluster");
                self.forget(envelope.node, "Node stopped");
            }
        }
    }

    /// This node's own message back from Redis: its events, and any sent before them, are
    /// delivered now. One of another run with this number is refused.
    fn echo(&mut self, envelope: &Envelope) {
        if envelope.run != self.run {
            ClusterStats::add(&self.stats.refused, 1);
            tracing::error!(
                node = self.node,
                "a message from another process with this node's number: node numbers must be unique"
            );
            return;
        }
        while self
            .pending
            .front()
            .is_some_and(|(seq, _, _)| *seq <= envelope.seq)
        {
            if let Some((_, _, routed)) = self.pending.pop_front() {
                self.next.forward(routed);
            }
        }
    }

    /// Notes the message's number; numbers skipped are messages Redis dropped, and this
    /// node asks every node for its snapshot to set its picture right.
    fn count_gap(&mut self, envelope: &Envelope) {
        let last = self
            .heard
            .insert(envelope.node, (envelope.run, envelope.seq));
        let Some((run, seq)) = last else {
            return;
        };
        if run == envelope.run && envelope.seq > seq + 1 {
            let missed = envelope.seq - seq - 1;
            ClusterStats::add(&self.stats.missed, missed);
            tracing::warn!(
                node = envelope.node,
                missed,
                "missed messages of a node: asking for snapshots"
            );
            self.owe_hello = true;
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
