//! Fuzz target body for what another node may put on the cluster channel: arbitrary bytes
//! are decoded as an envelope, and whatever decodes is applied to a hub that holds two
//! users of its own and a user of another node, as the link would (events applied and
//! delivered, snapshot parts applied, account and ban records checked). Nothing may panic, and the hub must stay
//! consistent: names unique and found, every room listed has members, this node's users
//! keep their names.
//!
//! Shared by the AFL binary of `fuzz/` and, through `#[path]`, by the corpus replay in
//! `crates/cluster/tests/fuzz_corpus.rs`.

use std::collections::HashSet;
use std::sync::Arc;

use confab_cluster::wire::{Body, Envelope};
use confab_core::{Delivery, Event, EventKind, Hub, HubConfig, MsgId, Name, Peer, Routed, Session};

/// A fuzz target: arbitrary bytes in, a panic for a finding.
pub type Target = fn(&[u8]);

/// This target, by the name of its AFL binary and its corpus directory.
pub const TARGETS: &[(&str, Target)] = &[("cluster", cluster)];

/// This hub's node number; an envelope of it is this node's own echo, never applied.
const HERE: u16 = 1;

pub fn cluster(data: &[u8]) {
    let Ok(envelope) = Envelope::decode(data) else {
        return;
    };
    if envelope.node == HERE {
        return;
    }
    let (hub, locals) = populated_hub();
    let routed = match envelope.body {
        Body::Events(events) => {
            let events: Vec<Arc<Event>> = events.into_iter().map(|e| e.0).collect();
            hub.apply_remote(envelope.node, events)
        }
        Body::Snapshot { part, .. } => hub.apply_snapshot(envelope.node, &part),
        Body::Hello => Vec::new(),
        Body::Goodbye => hub.forget_node(envelope.node, &confab_core::Departure::Lost),
        // Checked as the link checks them: an answer, never a panic.
        Body::Records(records) => {
            records.iter().for_each(|r| {
                let _ = r.check();
            });
            Vec::new()
        }
    };
    routed.into_iter().for_each(Routed::deliver);
    drain(&locals);
    check_hub(&hub, &locals);
    hub.forget_node(envelope.node, &confab_core::Departure::Lost)
        .into_iter()
        .for_each(Routed::deliver);
    check_hub(&hub, &locals);
}

/// bob and carol of this node in `lobby` (carol also in `chat`), and zed of node 2 in
/// `lobby`, known from its own events.
fn populated_hub() -> (Hub, Vec<Arc<Session>>) {
    let hub = Hub::new(HubConfig {
        node: HERE,
        announce_names: true,
        ..HubConfig::default()
    });
    let locals = crate::people::bob_and_carol(&hub);
    let name = |text| Name::room(text).expect("a valid name");
    let zed = Peer::classroom(name("zed"), "irc");
    let joined = EventKind::Joined {
        room: name("lobby"),
        who: zed,
        op: false,
    };
    let event = Event::new(MsgId::new(1, 2, 1), None, joined);
    hub.apply_remote(2, vec![event])
        .into_iter()
        .for_each(Routed::deliver);
    (hub, locals)
}

fn drain(sessions: &[Arc<Session>]) {
    let mut deliveries: Vec<Delivery> = Vec::new();
    for session in sessions {
        deliveries.clear();
        session.outbox().drain(&mut deliveries);
    }
}

/// What must hold whatever another node said.
fn check_hub(hub: &Hub, locals: &[Arc<Session>]) {
    let mut keys = HashSet::new();
    for name in hub.names() {
        assert!(keys.insert(name.key()), "name {name} held twice");
        assert!(hub.lookup(name.as_str()).is_some(), "{name} not found");
    }
    for room in hub.rooms() {
        assert!(
            !hub.members(room.as_str()).is_empty(),
            "room {room} is empty"
        );
    }
    for session in locals {
        if session.outbox().closed().is_none() {
            assert!(hub.name_of(session).is_some(), "a local user lost its name");
        }
    }
}
