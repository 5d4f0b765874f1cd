//! A traffic run's accounting at the end: every client task's result joined and summed
//! into one tally of deliveries (against what each sender sent), the latency and send
//! lag histograms, and the counts of errors and disconnections.

use std::sync::atomic::Ordering::Relaxed;

use hdrhistogram::Histogram;
use tokio::task::JoinHandle;

use super::client::ClientResult;
use super::plan::Plan;
use super::schedule::Shared;
use crate::accounting::Tally;
use crate::report::histogram;

/// What all the clients of a run counted.
pub(super) struct Totals {
    /// Messages sent, per sender id.
    pub(super) sent: Vec<u64>,
    pub(super) tally: Tally,
    pub(super) latency: Histogram<u64>,
    pub(super) lag: Histogram<u64>,
    pub(super) in_window: u64,
    pub(super) sent_in_window: u64,
    pub(super) errors: u64,
    pub(super) disconnected: u64,
    pub(super) stalled_disconnected: u64,
}

/// Joins every client task (they have been cancelled) and sums what they counted.
pub(super) async fn collect(
    clients: Vec<JoinHandle<ClientResult>>,
    stalled: Vec<JoinHandle<bool>>,
    plan: &Plan,
    shared: &Shared,
) -> Totals {
    let mut totals = Totals {
        sent: shared.sent.iter().map(|s| s.load(Relaxed)).collect(),
        tally: Tally::default(),
        latency: histogram(),
        lag: histogram(),
        in_window: 0,
        sent_in_window: 0,
        errors: 0,
        disconnected: 0,
        stalled_disconnected: 0,
    };
    for (i, task) in clients.into_iter().enumerate() {
        totals.add(&task.await.unwrap_or_default(), plan, i);
    }
    for task in stalled {
        totals.stalled_disconnected += u64::from(task.await.unwrap_or(false));
    }
    for shard in &shared.latency {
        if let Ok(h) = shard.lock() {
            let _ = totals.latency.add(&*h);
        }
    }
    totals
}

impl Totals {
    /// Adds client `i`'s result: for each sender it should hear, what arrived of what
    /// that sender sent (all of it lost if nothing did).
    fn add(&mut self, result: &ClientResult, plan: &Plan, i: usize) {
        for id in plan.hears(i).senders(self.sent.len()) {
            let count = self.sent[id as usize];
            match result.streams.get(&id) {
                Some(stream) => self.tally.add_stream(stream, count),
                None => self.tally.add_silent(count),
            }
        }
        self.tally.unexpected += result.unexpected;
        self.in_window += result.in_window;
        self.sent_in_window += result.sent_in_window;
        self.errors += result.errors;
        self.disconnected += u64::from(result.disconnected);
        if let Some(h) = &result.lag {
            let _ = self.lag.add(h);
        }
    }
}
