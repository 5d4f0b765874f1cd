//! Replays the cluster fuzz corpus (`fuzz/corpus/cluster/`) through the same target body
//! AFL runs (`fuzz/src/cluster.rs`, included here), so every `cargo test` checks the seeds
//! and every crash ever found, without AFL. The seeds are envelopes this crate writes:
//! `cargo test -p confab-cluster --test fuzz_corpus -- --ignored` writes them again.

#[path = "../../../fuzz/src/cluster.rs"]
mod targets;

#[path = "../../../fuzz/src/people.rs"]
mod people;

#[path = "../../../fuzz/replay.rs"]
mod replay;

use std::sync::Arc;

use confab_cluster::wire::{Body, Envelope, WireEvent};
use confab_core::hub::{NodeSnapshot, SeatSnapshot, UserSnapshot};
use confab_core::{Departure, Event, EventKind, ModeChange, MsgId, Name, Peer, Text, Tone};

#[test]
fn the_cluster_corpus_replays_without_a_crash() {
    for (name, target) in targets::TARGETS {
        assert!(
            replay::replay(env!("CARGO_MANIFEST_DIR"), name, *target) > 0,
            "corpus of {name} is empty"
        );
    }
}

fn n(text: &str) -> Name {
    Name::room(text).expect("a valid name")
}

fn event(counter: u64, kind: EventKind) -> WireEvent {
    WireEvent(Event::new(
        MsgId::new(1_700_000_000_000, 2, counter),
        None,
        kind,
    ))
}

/// One envelope per kind of message a node sends, with events that touch this node's
/// users (a kick, a kill, an op) as well as node 2's own.
#[allow(
    clippy::too_many_lines,
    reason = "table: one seed envelope per kind of message a node sends"
)]
fn seeds() -> Vec<(&'static str, Envelope)> {
    let amy = Peer::classroom(n("amy"), "irc");
    let carol = Peer::classroom(n("carol"), "irc");
    let events = vec![
        event(
            1,
            EventKind::Presence {
                name: n("amy"),
                online: Some(amy.clone()),
            },
        ),
        event(
            2,
            EventKind::Joined {
                room: n("lobby"),
                who: amy.clone(),
                op: true,
            },
        ),
        event(
            3,
            EventKind::Said {
                room: n("lobby"),
                from: amy.clone(),
                text: Text::new("hi"),
                tone: Tone::Chat,
                client_tags: None,
                lines: None,
                rank: None,
            },
        ),
        event(
            4,
            EventKind::ModesChanged {
                room: n("lobby"),
                by: amy.clone(),
                changes: vec![ModeChange::Op {
                    on: true,
                    who: n("carol"),
                }],
            },
        ),
        event(
            5,
            EventKind::Kicked {
                room: n("chat"),
                by: amy.clone(),
                target: carol,
                reason: None,
            },
        ),
        event(
            6,
            EventKind::Killed {
                by: amy.clone(),
                target: n("bob"),
                reason: None,
            },
        ),
        event(
            7,
            EventKind::Quit {
                who: amy.clone(),
                how: Departure::Lost,
                rooms: Arc::from([n("lobby")]),
            },
        ),
    ];
    let snapshot = NodeSnapshot {
        users: vec![UserSnapshot {
            peer: amy,
            away: None,
            seats: vec![SeatSnapshot {
                room: n("lobby"),
                op: false,
                voice: true,
            }],
            metadata: vec![(Arc::from("display-name"), Arc::from("Amy"))],
        }],
        rooms: Vec::new(),
    };
    let envelope = |seq, body| Envelope {
        node: 2,
        run: 9,
        seq,
        body,
    };
    vec![
        ("events", envelope(1, Body::Events(events))),
        (
            "snapshot",
            envelope(
                2,
                Body::Snapshot {
                    last: true,
                    part: snapshot,
                },
            ),
        ),
        ("hello", envelope(3, Body::Hello)),
        ("goodbye", envelope(4, Body::Goodbye)),
    ]
}

#[test]
#[ignore = "writes fuzz/corpus/cluster/: run by hand when the wire format changes"]
fn regenerate_seeds() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/cluster");
    std::fs::create_dir_all(&dir).expect("the corpus directory");
    for (name, envelope) in seeds() {
        std::fs::write(dir.join(format!("seed-{name}")), envelope.encode()).expect("a seed");
    }
}

#[test]
fn every_seed_decodes_and_applies() {
    for (name, envelope) in seeds() {
        let bytes = envelope.encode();
        assert!(Envelope::decode(&bytes).is_ok(), "{name}");
        targets::cluster(&bytes);
    }
}
