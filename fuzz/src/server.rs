//! Fuzz target bodies for each protocol adapter's command handling: arbitrary bytes go to
//! one adapter's `on_input`, in chunks, against a real hub that already holds two users
//! in two rooms. Nothing may panic, and the hub must stay consistent: names unique, every
//! room non-empty, and nothing left of the fuzzed client once it is detached.
//!
//! Shared by the AFL binaries of `fuzz/` and, through `#[path]`, by the corpus replay in
//! `crates/server/tests/fuzz_corpus.rs`.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

use bytes::BytesMut;
use confab_core::{Delivery, Hub, HubConfig, Session};
use confab_server::adapter::broadcast::BroadcastAdapter;
use confab_server::adapter::irc::{IrcAdapter, Settings};
use confab_server::adapter::packet::PacketAdapter;
use confab_server::adapter::prefixed::PrefixedAdapter;
use confab_server::adapter::rooms::RoomsAdapter;
use confab_server::adapter::{Adapter, Context, Flow};
use confab_server::alarms::Alarms;
use confab_server::limits::Admission;
use confab_server::shared::Shared;
use confab_server::{IrcConfig, Limits, Oper};

/// A fuzz target: arbitrary bytes in, a panic for a finding.
pub type Target = fn(&[u8]);

/// Every target, by the name of its AFL binary and its corpus directory.
pub const TARGETS: &[(&str, Target)] = &[
    ("adapter_prefixed", adapter_prefixed),
    ("adapter_packet", adapter_packet),
    ("adapter_rooms", adapter_rooms),
    ("adapter_broadcast", adapter_broadcast),
    ("adapter_irc", adapter_irc),
];

pub fn adapter_prefixed(data: &[u8]) {
    run(data, |_| PrefixedAdapter::new());
}

pub fn adapter_packet(data: &[u8]) {
    run(data, |limits| PacketAdapter::new(limits.packet_body_max));
}

pub fn adapter_rooms(data: &[u8]) {
    run(data, |limits| RoomsAdapter::new(limits.rooms_line_max));
}

pub fn adapter_broadcast(data: &[u8]) {
    run(data, |limits| {
        BroadcastAdapter::new(limits.broadcast_line_max)
    });
}

pub fn adapter_irc(data: &[u8]) {
    run(data, |_| IrcAdapter::new(irc_settings(), peer()));
}

/// The IRC settings, built once: an operator account so OPER and what it unlocks are
/// reachable, and a MOTD.
fn irc_settings() -> Arc<Settings> {
    static SETTINGS: OnceLock<Arc<Settings>> = OnceLock::new();
    SETTINGS
        .get_or_init(|| {
            let config = IrcConfig {
                motd: vec!["fuzz".into()],
                opers: vec![Oper {
                    name: "admin".into(),
                    password: "secret".into(),
                }],
                ..IrcConfig::default()
            };
            Arc::new(Settings::new(&config, Limits::default().name_max))
        })
        .clone()
}

fn peer() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 40000))
}

/// What a server's connections share, with the default limits and settings, and a hub
/// holding two users already chatting (`crate::people`), whose sessions come along.
pub fn populated_server() -> (Shared, Vec<Arc<Session>>) {
    let limits = Limits::default();
    let hub = Hub::new(HubConfig {
        name_max: limits.name_max,
        outbox_bytes: limits.outbox_bytes,
        ..HubConfig::default()
    });
    let people = crate::people::bob_and_carol(&hub);
    let shared = Shared {
        hub: Arc::new(hub),
        irc: Arc::new(Settings::with_limits(&IrcConfig::default(), &limits)),
        http: Default::default(),
        admission: Admission::new(&limits),
        alarms: Arc::new(Alarms::new()),
        history: None,
        accounts: Default::default(),
        metrics: Default::default(),
        limits,
    };
    (shared, people)
}

/// Feeds `data` to a fresh adapter. The first byte steers the run: its low 6 bits are
/// the chunk size minus one, bit 6 fires the adapter's timer after every chunk (the
/// 500 ms rules, IRC's PING), bit 7 ends with EOF rather than leaving the rest buffered.
fn run<A: Adapter>(data: &[u8], make: impl FnOnce(&Limits) -> A) {
    // Some commands hand work to the runtime (a login checked on the accounts pool, a
    // history query): they need one to spawn into, as under the server. The tasks are
    // never run here, and go with the runtime at the end of the run; what the adapter
    // does synchronously is what is fuzzed.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    let _inside = runtime.enter();
    let (&ctl, rest) = data.split_first().unwrap_or((&0, &[]));
    let chunk = usize::from(ctl & 0x3f) + 1;
    let fire_timer = ctl & 0x40 != 0;
    let eof = ctl & 0x80 != 0;

    let (shared, peers) = populated_server();
    let hub = &shared.hub;
    let mut adapter = make(&shared.limits);
    let session = adapter.attach(hub, peer());
    let peer = peer();
    let cx = Context::new(&shared, &session, &peer);
    let mut input = BytesMut::new();
    let mut closed = false;
    for piece in rest.chunks(chunk) {
        input.extend_from_slice(piece);
        let mut flow = adapter.on_input(&mut input, &cx);
        if flow == Flow::Continue && fire_timer && adapter.deadline().is_some() {
            flow = adapter.on_deadline(&mut input, &cx);
        }
        drain(&adapter, &session, &peers);
        check_hub(hub, &session);
        if flow == Flow::Close {
            closed = true;
            break;
        }
    }
    if !closed && eof {
        adapter.on_eof(&mut input, &cx);
        drain(&adapter, &session, &peers);
        check_hub(hub, &session);
    }

    hub.detach(&session, adapter.departure());
    drain(&adapter, &session, &peers);
    check_hub(hub, &session);
    assert_eq!(
        hub.name_of(&session),
        None,
        "a detached client keeps its name"
    );
    assert!(
        hub.rooms_of(&session).is_empty(),
        "a detached client keeps rooms"
    );
    let names = hub.names();
    assert!(names.len() <= peers.len(), "names left behind: {names:?}");
}

/// Writes out every queued delivery the way the driver would, rendering events in the
/// adapter's protocol; the peers' outboxes are emptied so they never overflow.
fn drain<A: Adapter>(adapter: &A, session: &Session, peers: &[Arc<Session>]) {
    let mut deliveries = Vec::new();
    session.outbox().drain(&mut deliveries);
    let mut out = BytesMut::new();
    for delivery in &deliveries {
        match delivery {
            Delivery::Event(event) => adapter.render(event, &mut out),
            Delivery::Bytes(bytes) => out.extend_from_slice(bytes),
        }
    }
    for peer in peers {
        deliveries.clear();
        peer.outbox().drain(&mut deliveries);
    }
}

/// What must hold after every step, whatever the client sent.
fn check_hub(hub: &Hub, session: &Session) {
    let names = hub.names();
    let mut keys = HashSet::new();
    for name in &names {
        assert!(keys.insert(name.key()), "name {name} held twice");
        assert!(hub.lookup(name.as_str()).is_some(), "{name} not found");
    }
    if let Some(mine) = hub.name_of(session) {
        assert!(names.contains(&mine), "own name {mine} not listed");
    }
    for room in hub.rooms() {
        assert!(
            !hub.members(room.as_str()).is_empty(),
            "room {room} lingers without members"
        );
    }
    for room in hub.rooms_of(session) {
        assert!(hub.is_member(session, room.as_str()));
    }
}
