//! A gate for log lines that could otherwise fire thousands of times a second (a full
//! queue, a full disk): open at most once per period, counting what it held back.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

const NEVER: u64 = u64::MAX;

#[derive(Debug)]
pub(crate) struct RateLimit {
    period_ms: u64,
    start: Instant,
    /// Milliseconds after `start` of the last line let through, or `NEVER`.
    last_ms: AtomicU64,
    held_back: AtomicU64,
}

impl RateLimit {
    pub(crate) fn new(period: Duration) -> RateLimit {
        RateLimit {
            period_ms: u64::try_from(period.as_millis()).unwrap_or(u64::MAX),
            start: Instant::now(),
            last_ms: AtomicU64::new(NEVER),
            held_back: AtomicU64::new(0),
        }
    }

    /// `Some(n)` if a line may be logged now, `n` being how many were held back since the
    /// last one; `None` if this one should be held back.
    pub(crate) fn ready(&self) -> Option<u64> {
        let now = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX - 1);
        let last = self.last_ms.load(Ordering::Relaxed);
        let due = last == NEVER || now.saturating_sub(last) >= self.period_ms;
        // Of several threads finding it due, only the one that moves `last_ms` logs.
        if due
            && self
                .last_ms
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            return Some(self.held_back.swap(0, Ordering::Relaxed));
        }
        self.held_back.fetch_add(1, Ordering::Relaxed);
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lets_one_through_per_period_and_counts_the_rest() {
        let gate = RateLimit::new(Duration::from_secs(3600));
        assert_eq!(gate.ready(), Some(0));
        assert_eq!(gate.ready(), None);
        assert_eq!(gate.ready(), None);
        assert_eq!(gate.held_back.load(Ordering::Relaxed), 2);
    }

    #[test]
    fn a_zero_period_lets_everything_through() {
        let gate = RateLimit::new(Duration::ZERO);
        assert_eq!(gate.ready(), Some(0));
        assert_eq!(gate.ready(), Some(0));
    }
}
