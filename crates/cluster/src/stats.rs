//! What the cluster link counts, for logs and the metrics listener: whether it is up, what
//! crossed, and what went wrong (gaps Redis pub/sub left, payloads refused, nodes lost).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::SystemTime;

#[derive(Debug, Default)]
pub struct ClusterStats {
    pub(crate) up: AtomicBool,
    pub(crate) published: AtomicU64,
    pub(crate) received: AtomicU64,
    /// Messages of other nodes that never arrived (a gap in their sequence).
    pub(crate) missed: AtomicU64,
    /// Payloads refused: malformed, oversized, or of another run of this node's number.
    pub(crate) refused: AtomicU64,
    pub(crate) reconnects: AtomicU64,
    pub(crate) nodes_lost: AtomicU64,
    /// Batches delivered here without crossing (the link was down or its queue full).
    pub(crate) local_only: AtomicU64,
    /// How long the last event of another node took from being made there to reaching
    /// this node, in microseconds (the nodes' clocks must agree for it to mean that).
    pub(crate) lag_micros: AtomicU64,
    /// Room channels this node listens to: the rooms its users are in.
    pub(crate) rooms: AtomicU64,
    /// Events read from rooms' streams into this node's history.
    pub(crate) filled: AtomicU64,
}

/// The counters at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct StatsNow {
    pub up: bool,
    pub published: u64,
    pub received: u64,
    pub missed: u64,
    pub refused: u64,
    pub reconnects: u64,
    pub nodes_lost: u64,
    pub local_only: u64,
    /// Seconds from the last remote event's making to its arrival here.
    pub lag_seconds: f64,
    pub rooms: u64,
    pub filled: u64,
}

impl ClusterStats {
    pub fn now(&self) -> StatsNow {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        StatsNow {
            up: self.up.load(Ordering::Acquire),
            published: get(&self.published),
            received: get(&self.received),
            missed: get(&self.missed),
            refused: get(&self.refused),
            reconnects: get(&self.reconnects),
            nodes_lost: get(&self.nodes_lost),
            local_only: get(&self.local_only),
            lag_seconds: get(&self.lag_micros) as f64 / 1e6,
            rooms: get(&self.rooms),
            filled: get(&self.filled),
        }
    }

    pub(crate) fn set_rooms(&self, rooms: usize) {
        self.rooms.store(rooms as u64, Ordering::Relaxed);
    }

    /// Notes how old an event of another node, made at `made`, is on arrival (0 if the
    /// clocks put it in the future).
    pub(crate) fn note_lag(&self, made: SystemTime) {
        let lag = SystemTime::now().duration_since(made).unwrap_or_default();
        let micros = u64::try_from(lag.as_micros()).unwrap_or(u64::MAX);
        self.lag_micros.store(micros, Ordering::Relaxed);
    }

    pub(crate) fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }
}
