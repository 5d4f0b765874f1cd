//! One clock for every connection's deadlines: IRC's ping, the registration timeout,
//! flood control's next token, the prefixed protocol's 500 ms rule.
//!
//! A connection files the instant it must next look at its timers; one task sleeps until
//! the earliest instant filed and wakes the connections that are due through their
//! outboxes ([`Outbox::wake`](confab_core::Outbox::wake)). A tokio timer in every
//! connection would cost each about 130 bytes, idle or not, and nearly every IRC
//! connection always has a deadline (the next ping); an alarm here costs a map entry.
//!
//! A connection keeps at most one alarm filed, in its [`Armed`]: a deadline that moved
//! later leaves the alarm as it is (the connection finds nothing due when it rings and
//! files the next), one that moved earlier replaces it, and a connection that ends takes
//! its alarm back, so a closed connection leaves nothing behind. Alarms ring to the
//! millisecond, never early.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use confab_core::Session;
use tokio::sync::Notify;
use tokio::time::{sleep_until, Instant};
use tokio_util::sync::CancellationToken;

/// One filed alarm, as its owner knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Alarm {
    tick: u64,
    seq: u64,
}

/// The alarm one connection has filed, if any.
#[derive(Debug, Default)]
pub struct Armed(Option<Alarm>);

impl Armed {
    /// Makes sure `session` is woken by `at`: files an alarm unless the one filed rings
    /// no later, and takes back one that would ring later.
    pub fn arm(&mut self, alarms: &Alarms, at: Instant, session: &Arc<Session>) {
        if let Some(filed) = self.0 {
            if filed.tick <= alarms.tick_at_or_after(at) {
                return;
            }
            alarms.cancel(filed);
        }
        self.0 = Some(alarms.set(at, session));
    }

    /// Forgets the alarm once its time has passed (it rang, or is about to).
    pub fn forget_if_rung(&mut self, alarms: &Alarms, now: Instant) {
        if self
            .0
            .is_some_and(|filed| filed.tick <= alarms.tick_at_or_before(now))
        {
            self.0 = None;
        }
    }

    /// Takes the alarm back, if one is filed: for a connection that ends.
    pub fn disarm(&mut self, alarms: &Alarms) {
        if let Some(filed) = self.0.take() {
            alarms.cancel(filed);
        }
    }
}

pub struct Alarms {
    /// Alarms by (millisecond since `epoch`, filing order), each to wake one session.
    filed: Mutex<Filed>,
    /// Tells the ringing task an alarm earlier than all others was filed.
    earlier: Notify,
    epoch: Instant,
}

#[derive(Default)]
struct Filed {
    due: BTreeMap<(u64, u64), Weak<Session>>,
    count: u64,
}

impl Default for Alarms {
    fn default() -> Self {
        Alarms::new()
    }
}

impl Alarms {
    pub fn new() -> Alarms {
        Alarms {
            filed: Mutex::new(Filed::default()),
            earlier: Notify::new(),
            epoch: Instant::now(),
        }
    }

    /// Wakes `session`'s writer at `at` or within a millisecond after it. The alarm holds
    /// no strong reference: a session gone by then is skipped.
    fn set(&self, at: Instant, session: &Arc<Session>) -> Alarm {
        let tick = self.tick_at_or_after(at);
        let mut filed = self.lock();
        let first = filed.due.first_key_value().map(|(&(tick, _), _)| tick);
        filed.count += 1;
        let alarm = Alarm {
            tick,
            seq: filed.count,
        };
        filed
            .due
            .insert((alarm.tick, alarm.seq), Arc::downgrade(session));
        drop(filed);
        if first.is_none_or(|first| tick < first) {
            self.earlier.notify_one();
        }
        alarm
    }

    /// Takes an alarm back; nothing happens if it rang already.
    fn cancel(&self, alarm: Alarm) {
        self.lock().due.remove(&(alarm.tick, alarm.seq));
    }

    /// How many alarms are filed.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().due.len()
    }

    #[cfg(test)]
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Rings alarms as they fall due, until `stop`.
    pub async fn run(&self, stop: CancellationToken) {
        let mut due = Vec::new();
        loop {
            let next = self.take_due(&mut due);
            for session in due.drain(..) {
                if let Some(session) = session.upgrade() {
                    session.outbox().wake();
                }
            }
            let next = next.map(|tick| self.epoch + Duration::from_millis(tick));
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = self.earlier.notified() => {}
                _ = sleep_until(next.unwrap_or_else(Instant::now)), if next.is_some() => {}
            }
        }
    }

    /// Moves every alarm due by now into `into`; returns the tick of the next one.
    fn take_due(&self, into: &mut Vec<Weak<Session>>) -> Option<u64> {
        let now = self.tick_at_or_before(Instant::now());
        let mut filed = self.lock();
        while let Some(entry) = filed.due.first_entry() {
            if entry.key().0 > now {
                return Some(entry.key().0);
            }
            into.push(entry.remove());
        }
        None
    }

    fn tick_at_or_after(&self, at: Instant) -> u64 {
        let since = at.saturating_duration_since(self.epoch);
        u64::try_from(since.as_nanos().div_ceil(1_000_000)).unwrap_or(u64::MAX)
    }

    fn tick_at_or_before(&self, at: Instant) -> u64 {
        let since = at.saturating_duration_since(self.epoch);
        u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
    }

    fn lock(&self) -> MutexGuard<'_, Filed> {
        // Every change is one insert or one removal: a panic cannot leave it half done.
        self.filed
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use confab_core::{Hub, HubConfig};

    /// Alarms with their ringing task running until the token is cancelled.
    fn ringing() -> (Arc<Alarms>, CancellationToken, tokio::task::JoinHandle<()>) {
        let alarms = Arc::new(Alarms::new());
        let stop = CancellationToken::new();
        let ringer = tokio::spawn({
            let (alarms, stop) = (alarms.clone(), stop.clone());
            async move { alarms.run(stop).await }
        });
        (alarms, stop, ringer)
    }

    fn session() -> (Hub, Arc<Session>) {
        let hub = Hub::new(HubConfig::default());
        let session = hub.attach("test");
        (hub, session)
    }

    /// Waits for `session`'s writer to be woken, which must be `ms` after `start` or
    /// within the millisecond after: never early.
    async fn assert_wakes_at(session: &Session, start: Instant, ms: u64) {
        session.outbox().ready().await;
        let woke = start.elapsed();
        let due = Duration::from_millis(ms);
        assert!(
            (due..=due + Duration::from_millis(1)).contains(&woke),
            "woke after {woke:?}, due at {due:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_alarm_wakes_its_session_at_its_time_and_not_before() {
        let (_hub, session) = session();
        let (alarms, stop, ringer) = ringing();
        let start = Instant::now();
        let mut armed = Armed::default();
        armed.arm(&alarms, start + Duration::from_secs(90), &session);
        // A later deadline leaves the earlier alarm filed; an earlier one replaces it.
        armed.arm(&alarms, start + Duration::from_secs(120), &session);
        armed.arm(&alarms, start + Duration::from_millis(300), &session);
        assert_eq!(alarms.len(), 1, "one alarm per connection");
        assert_wakes_at(&session, start, 300).await;
        assert!(alarms.is_empty(), "it rang and is gone");
        armed.forget_if_rung(&alarms, Instant::now());
        armed.arm(&alarms, start + Duration::from_secs(90), &session);
        assert_eq!(alarms.len(), 1);
        armed.disarm(&alarms);
        assert!(
            alarms.is_empty(),
            "a connection that ends takes its alarm back"
        );
        stop.cancel();
        ringer.await.unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn an_earlier_alarm_filed_later_rings_first() {
        let (_hub, session) = session();
        let (alarms, stop, ringer) = ringing();
        let (_hub2, other) = self::session();
        let start = Instant::now();
        Armed::default().arm(&alarms, start + Duration::from_secs(60), &other);
        // Let the ringer go to sleep until the 60 s alarm first.
        tokio::time::sleep(Duration::from_millis(10)).await;
        Armed::default().arm(&alarms, start + Duration::from_millis(500), &session);
        assert_wakes_at(&session, start, 500).await;
        stop.cancel();
        ringer.await.unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn an_alarm_for_a_session_gone_is_dropped_quietly() {
        let (hub, session) = session();
        let (alarms, stop, ringer) = ringing();
        Armed::default().arm(&alarms, Instant::now() + Duration::from_millis(5), &session);
        hub.detach_quietly(&session);
        drop(session);
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(alarms.is_empty());
        stop.cancel();
        ringer.await.unwrap();
    }
}
