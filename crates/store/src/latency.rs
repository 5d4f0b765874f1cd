//! How long the history writer's commits take, counted in fixed buckets with atomics, so
//! whoever watches the server (`confab_server::metrics`) can show their distribution
//! without the writer thread knowing who reads it.

use std::sync::atomic::{AtomicU64, Ordering};

/// The upper bounds of the buckets, in microseconds; one more bucket counts what is above
/// the last. A group commit with an fsync takes about a millisecond on an SSD, so the
/// buckets are finest there and reach a second for a disk that stalls.
pub const COMMIT_BUCKETS_MICROS: [u64; 12] = [
    250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000,
];

/// Commit times as they are now.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CommitLatency {
    /// Commits per bucket (not cumulative): `counts[i]` took at most
    /// `COMMIT_BUCKETS_MICROS[i]` and more than the bucket before; the last counts the rest.
    pub counts: [u64; COMMIT_BUCKETS_MICROS.len() + 1],
    /// All commits' times added up.
    pub sum_micros: u64,
}

impl CommitLatency {
    pub fn commits(&self) -> u64 {
        self.counts.iter().sum()
    }
}

/// The writer thread's side: two atomic adds per commit.
#[derive(Debug, Default)]
pub(crate) struct CommitTimes {
    counts: [AtomicU64; COMMIT_BUCKETS_MICROS.len() + 1],
    sum_micros: AtomicU64,
}

impl CommitTimes {
    pub(crate) fn record(&self, micros: u64) {
        let bucket = COMMIT_BUCKETS_MICROS.partition_point(|bound| *bound < micros);
        self.counts[bucket].fetch_add(1, Ordering::Relaxed);
        self.sum_micros.fetch_add(micros, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self) -> CommitLatency {
        CommitLatency {
            counts: self.counts.each_ref().map(|n| n.load(Ordering::Relaxed)),
            sum_micros: self.sum_micros.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_commit_lands_in_the_first_bucket_that_holds_it() {
        let times = CommitTimes::default();
        for micros in [0, 250, 251, 1_000, 2_000_000] {
            times.record(micros);
        }
        let latency = times.snapshot();
        assert_eq!(latency.counts[0], 2, "0 and 250 µs: at most 250");
        assert_eq!(latency.counts[1], 1, "251 µs: at most 500");
        assert_eq!(latency.counts[2], 1, "1 ms: at most 1,000");
        assert_eq!(latency.counts[12], 1, "2 s: above the last bound");
        assert_eq!(latency.commits(), 5);
        assert_eq!(latency.sum_micros, 2_001_501);
    }
}
