//! What the server counts for the people who run it, served as Prometheus text by the
//! `metrics` listener (`serve`) beside `/healthz` and `/readyz`.
//!
//! Counting costs the chat next to nothing: every series a connection touches is an atomic
//! made once per protocol at start ([`ProtocolCounts`]), reached by indexing, never by a
//! label lookup or a lock; the driver counts once per read or write batch, not per message.
//! What the hub, the history writer and the kernel already know (rooms, the writer's queue
//! and commit times, memory, open files) is read only when scraped (`observed`).

mod cluster;
mod observed;
mod process;
mod serve;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use confab_core::Hub;
use prometheus_client::encoding::prometheus_text;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use crate::history::History;
use crate::limits::Refusal;
use confab_proto::{Listener, Protocol};

pub use crate::ending::Ending;
pub use serve::serve;

/// Every series's name starts with this.
const PREFIX: &str = "confab";

type Labels = Vec<(&'static str, &'static str)>;

/// Why a connection was refused at the door: an admission limit, or `None` for a server
/// shutting down.
pub type Refused = Option<Refusal>;

const REFUSALS: [Refused; 5] = [
    Some(Refusal::PerIp),
    Some(Refusal::Full),
    Some(Refusal::Throttled),
    Some(Refusal::Banned),
    None,
];

fn refused_label(refused: Refused) -> &'static str {
    match refused {
        Some(Refusal::PerIp) => "per_ip",
        Some(Refusal::Full) => "full",
        Some(Refusal::Throttled) => "throttled",
        Some(Refusal::Banned) => "banned",
        None => "shutdown",
    }
}

/// One listener kind's series, made once: counting is an atomic add on one of these.
#[derive(Debug)]
pub struct ProtocolCounts {
    pub open: Gauge,
    pub accepted: Counter,
    refused: [Counter; REFUSALS.len()],
    pub registrations: Counter,
    pub messages_in: Counter,
    pub deliveries: Counter,
    pub outbox_bytes: Counter,
    pub flood_delays: Counter,
    disconnects: [Counter; Ending::ALL.len()],
}

impl ProtocolCounts {
    pub fn refused(&self, why: Refused) -> &Counter {
        let at = REFUSALS
            .iter()
            .position(|r| *r == why)
            .expect("every refusal");
        &self.refused[at]
    }

    pub fn disconnected(&self, why: Ending) -> &Counter {
        let at = Ending::ALL
            .iter()
            .position(|e| *e == why)
            .expect("every ending");
        &self.disconnects[at]
    }
}

/// The server's series and whether it is ready to serve.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    by_listener: [ProtocolCounts; Listener::EVERY.len()],
    ready: AtomicBool,
}

impl Metrics {
    /// Registers every series; `hub`, `history` and `cluster` are read at each scrape.
    pub fn new(
        hub: &Arc<Hub>,
        history: Option<Arc<History>>,
        cluster: Option<Arc<confab_cluster::ClusterStats>>,
    ) -> Metrics {
        let mut registry = Registry::with_prefix(PREFIX);
        let families = Families::register(&mut registry);
        let by_listener = Listener::EVERY.map(|listener| families.counts(listener));
        registry.register_collector(Box::new(observed::Observed::new(hub.clone(), history)));
        if let Some(stats) = cluster {
            registry.register_collector(Box::new(cluster::ClusterSeries(stats)));
        }
        Metrics {
            registry,
            by_listener,
            ready: AtomicBool::new(false),
        }
    }

    /// The series of the connections `listener` accepted.
    pub fn listener(&self, listener: Listener) -> &ProtocolCounts {
        &self.by_listener[listener.index()]
    }

    /// The series of the chat connections of `protocol` (over WebSocket too).
    pub fn protocol(&self, protocol: Protocol) -> &ProtocolCounts {
        self.listener(Listener::Chat(protocol))
    }

    /// `/readyz` answers 200 from now on (`true`: every listener bound, the data directory
    /// open, the accept loops running) or 503 (`false`: shutting down).
    pub fn set_ready(&self, ready: bool) {
        self.ready.store(ready, Ordering::Relaxed);
    }

    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Relaxed)
    }

    /// Every series in the Prometheus text format, version 0.0.4.
    pub fn render(&self) -> String {
        let mut text = String::new();
        prometheus_text::encode(&mut text, &self.registry).expect("writing to a String");
        text
    }
}

impl Default for Metrics {
    /// Series for a hub of their own, without history: for tests that build a `Shared`.
    fn default() -> Metrics {
        Metrics::new(&Arc::new(Hub::new(Default::default())), None, None)
    }
}

/// The per-protocol series as registered: each protocol's handles are members of these,
/// sharing their atomics.
struct Families {
    open: Family<Labels, Gauge>,
    accepted: Family<Labels, Counter>,
    refused: Family<Labels, Counter>,
    registrations: Family<Labels, Counter>,
    messages_in: Family<Labels, Counter>,
    deliveries: Family<Labels, Counter>,
    outbox_bytes: Family<Labels, Counter>,
    flood_delays: Family<Labels, Counter>,
    disconnects: Family<Labels, Counter>,
}

impl Families {
    fn register(registry: &mut Registry) -> Families {
        let families = Families {
            open: Family::default(),
            accepted: Family::default(),
            refused: Family::default(),
            registrations: Family::default(),
            messages_in: Family::default(),
            deliveries: Family::default(),
            outbox_bytes: Family::default(),
            flood_delays: Family::default(),
            disconnects: Family::default(),
        };
        let f = &families;
        let counters = [
            ("connections_accepted", "Connections admitted, by listener", &f.accepted),
            ("connections_refused", "Connections refused at the door (an admission limit, or the server shutting down), by listener and reason", &f.refused),
            ("registrations", "Names taken (a nick, login or name given and accepted), by protocol", &f.registrations),
            ("messages_in", "Messages (lines, frames, packets, WebSocket messages) read from clients and handled, by protocol", &f.messages_in),
            ("deliveries", "Replies and events taken from clients' outboxes and written to them, by protocol", &f.deliveries),
            ("outbox_bytes", "Bytes taken from clients' outboxes and written to them, by protocol", &f.outbox_bytes),
            ("flood_delays", "Times a client's input was held back by flood control until its next token, by protocol", &f.flood_delays),
            ("disconnects", "Chat connections ended, by protocol and reason (overflow: a slow consumer whose outbox filled up)", &f.disconnects),
        ];
        for (name, help, family) in counters {
            registry.register(name, help, family.clone());
        }
        let help = "Chat connections open now, by protocol (IRC over WebSocket counts as irc)";
        registry.register("connections_open", help, f.open.clone());
        families
    }

    /// `listener`'s handles. Chat series exist only for the chat protocols (a WebSocket's
    /// IRC counts as `irc`); the others get handles nobody scrapes.
    fn counts(&self, listener: Listener) -> ProtocolCounts {
        let chat = listener.protocol().is_some();
        let one = |family: &Family<Labels, Counter>| match chat {
            true => family.get_or_create_owned(&labels(listener, None)),
            false => Counter::default(),
        };
        ProtocolCounts {
            open: match chat {
                true => self.open.get_or_create_owned(&labels(listener, None)),
                false => Gauge::default(),
            },
            accepted: self.accepted.get_or_create_owned(&labels(listener, None)),
            refused: REFUSALS.map(|why| {
                let reason = Some(refused_label(why));
                self.refused.get_or_create_owned(&labels(listener, reason))
            }),
            registrations: one(&self.registrations),
            messages_in: one(&self.messages_in),
            deliveries: one(&self.deliveries),
            outbox_bytes: one(&self.outbox_bytes),
            flood_delays: one(&self.flood_delays),
            disconnects: Ending::ALL.map(|why| match chat {
                true => {
                    let reason = Some(why.label());
                    self.disconnects
                        .get_or_create_owned(&labels(listener, reason))
                }
                false => Counter::default(),
            }),
        }
    }
}

fn labels(listener: Listener, reason: Option<&'static str>) -> Labels {
    let mut labels = vec![("protocol", listener.name())];
    labels.extend(reason.map(|reason| ("reason", reason)));
    labels
}
