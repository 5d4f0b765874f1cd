//! A traffic run's clock: what every client task shares (the epoch, counters and the
//! latency histograms), when sending starts, measuring starts and sending stops, the
//! wait through the run and its drain with the progress bar kept up to date, and the
//! server's CPU time over the measured window.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Mutex;
use std::time::Duration;

use hdrhistogram::Histogram;
use indicatif::ProgressBar;
use tokio::task::JoinHandle;
use tokio::time::{sleep_until, Instant};

use crate::report::histogram;
use crate::{TrafficArgs, Wire};

/// Latency histograms shared by the receivers (each locks one per read, not per message).
pub(super) const SHARDS: usize = 16;

/// When sending starts, measuring starts and sending stops, in ns since the epoch.
#[derive(Debug, Clone, Copy)]
pub(super) struct Schedule {
    pub(super) start_ns: u64,
    pub(super) warm_end_ns: u64,
    pub(super) send_end_ns: u64,
}

impl Schedule {
    /// Sending starts 20 ms from now, after `--warmup` measuring, for `--duration`.
    pub(super) fn starting_soon(shared: &Shared, args: &TrafficArgs) -> Schedule {
        let start_ns = shared.now_ns() + 20_000_000;
        Schedule {
            start_ns,
            warm_end_ns: start_ns + secs_ns(args.warmup),
            send_end_ns: start_ns + secs_ns(args.warmup) + secs_ns(args.duration),
        }
    }
}

/// What every client task shares.
pub(super) struct Shared {
    pub(super) epoch: std::time::Instant,
    pub(super) wire: Wire,
    pub(super) size: usize,
    /// Messages sent so far, per sender id.
    pub(super) sent: Vec<AtomicU64>,
    /// Stamped arrivals from expected senders (for progress and the drain).
    pub(super) arrivals: AtomicU64,
    pub(super) latency: Vec<Mutex<Histogram<u64>>>,
}

impl Shared {
    pub(super) fn new(args: &TrafficArgs, senders: usize) -> Shared {
        Shared {
            epoch: std::time::Instant::now(),
            wire: args.common.protocol,
            size: args.size,
            sent: (0..senders).map(|_| AtomicU64::new(0)).collect(),
            arrivals: AtomicU64::new(0),
            latency: (0..SHARDS).map(|_| Mutex::new(histogram())).collect(),
        }
    }

    pub(super) fn now_ns(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    pub(super) fn instant(&self, ns: u64) -> Instant {
        Instant::from_std(self.epoch + Duration::from_nanos(ns))
    }

    /// Messages sent so far by all senders.
    fn sent_total(&self) -> u64 {
        self.sent.iter().map(|s| s.load(Relaxed)).sum()
    }
}

/// Waits out the run, showing progress every 100 ms, then until every message sent has
/// made its `per_message` deliveries or `--drain` has passed: true if all arrived.
pub(super) async fn watch(
    shared: &Shared,
    schedule: Schedule,
    args: &TrafficArgs,
    per_message: usize,
    bar: &ProgressBar,
) -> bool {
    let run_ms = (args.warmup + args.duration) * 1000.0;
    bar.set_length(run_ms as u64);
    bar.set_position(0);
    let drain_end = shared.instant(schedule.send_end_ns) + Duration::from_secs_f64(args.drain);
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let now = shared.now_ns();
        let sent = shared.sent_total();
        let arrivals = shared.arrivals.load(Relaxed);
        bar.set_position((now.saturating_sub(schedule.start_ns) / 1_000_000).min(run_ms as u64));
        bar.set_message(format!("sent {sent} delivered {arrivals}"));
        if now >= schedule.send_end_ns {
            // Senders stop on their own; wait for what is still in flight.
            let senders_done = now >= schedule.send_end_ns + 50_000_000;
            if senders_done && arrivals >= sent * per_message as u64 {
                return true;
            }
            if Instant::now() >= drain_end {
                return false;
            }
        }
    }
}

/// With `--server-pid`, a task that reads the server's CPU seconds when measuring starts
/// and when sending stops and yields the difference: what serving the window cost.
pub(super) fn server_cpu(
    shared: &Shared,
    schedule: Schedule,
    pid: Option<u32>,
) -> Option<JoinHandle<Option<f64>>> {
    let pid = pid?;
    let from = shared.instant(schedule.warm_end_ns);
    let to = shared.instant(schedule.send_end_ns);
    Some(tokio::spawn(async move {
        sleep_until(from).await;
        let before = crate::resources::cpu_seconds(pid)?;
        sleep_until(to).await;
        Some(crate::resources::cpu_seconds(pid)? - before)
    }))
}

pub(super) fn secs_ns(secs: f64) -> u64 {
    (secs.max(0.0) * 1e9) as u64
}
