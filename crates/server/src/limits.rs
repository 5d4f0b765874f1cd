//! The rate limits: a token bucket (for flood control per connection and the connection
//! rate per IP address) and the admission of new connections (in all, per IP, per second).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arc_swap::ArcSwap;
use tokio::time::Instant;

use crate::config::Limits;

/// A token bucket of `burst` tokens refilled at one per `interval`, kept as one instant
/// (the generic cell rate algorithm): `full_at` is when the bucket will be full again.
/// So a connection pays 16 bytes for it, and no timer.
#[derive(Debug, Clone, Copy)]
pub struct TokenBucket {
    full_at: Instant,
}

/// A bucket's shape: how many tokens at once, and how often one more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub burst: u32,
    pub interval: Duration,
}

impl Rate {
    /// `burst` at once, then `per_sec` a second (both at least 1).
    pub fn new(burst: u32, per_sec: u32) -> Rate {
        Rate {
            burst: burst.max(1),
            interval: Duration::from_secs(1) / per_sec.max(1),
        }
    }

    fn window(self) -> Duration {
        self.interval * self.burst
    }
}

impl TokenBucket {
    /// A full bucket.
    pub fn new(now: Instant) -> TokenBucket {
        TokenBucket { full_at: now }
    }

    /// The tokens there are at `now`.
    pub fn available(&self, rate: Rate, now: Instant) -> u32 {
        let debt = self.full_at.saturating_duration_since(now);
        let missing = debt.as_nanos().div_ceil(rate.interval.as_nanos().max(1));
        rate.burst
            .saturating_sub(u32::try_from(missing).unwrap_or(u32::MAX))
    }

    /// Takes `n` tokens at `now` (the caller checked [`available`](Self::available)).
    pub fn spend(&mut self, rate: Rate, now: Instant, n: u32) {
        if n > 0 {
            self.full_at = self.full_at.max(now) + rate.interval * n;
        }
    }

    /// Takes one token if there is one.
    pub fn try_take(&mut self, rate: Rate, now: Instant) -> bool {
        if self.available(rate, now) == 0 {
            return false;
        }
        self.spend(rate, now, 1);
        true
    }

    /// When the next token is due (`now` or earlier when one is there).
    pub fn next_token(&self, rate: Rate) -> Instant {
        let window = rate.window();
        let start = self.full_at.checked_sub(window).unwrap_or(self.full_at);
        start + rate.interval
    }

    /// True when the bucket is full at `now` (it remembers nothing).
    pub fn is_full(&self, now: Instant) -> bool {
        self.full_at <= now
    }
}

/// Why a new connection is refused; each protocol says it in its own form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// `connections_per_ip` are open from this address.
    PerIp,
    /// `connections_max` are open in all.
    Full,
    /// The address connects faster than `connect_burst`/`connect_per_sec` allow.
    Throttled,
    /// A server operator banned the address (IRC `DLINE`).
    Banned,
}

impl Refusal {
    /// The reason in words, lower case, as the refusal line and the log show it.
    pub fn text(self) -> &'static str {
        match self {
            Refusal::PerIp => "too many connections from your address",
            Refusal::Full => "too many connections",
            Refusal::Throttled => "connecting too fast from your address",
            Refusal::Banned => "your address is banned from this server",
        }
    }
}

/// One address's open connections and connection rate.
struct Address {
    open: usize,
    bucket: TokenBucket,
}

/// Counts open connections, in all and per IP address, and each address's connection
/// rate; hands out a [`Ticket`] per admitted connection that gives its place back on drop.
pub struct Admission {
    /// The limits, replaced whole by a configuration reload ([`Admission::set_limits`]).
    door: ArcSwap<Door>,
    open: AtomicUsize,
    addresses: Mutex<Addresses>,
    /// Addresses a server operator banned (IRC `DLINE`): refused whatever the limits.
    banned: std::sync::RwLock<Vec<crate::bans::AddressBan>>,
}

/// The `[limits]` that admission applies.
#[derive(Debug, Clone, Copy)]
struct Door {
    max: usize,
    per_ip: usize,
    rate: Rate,
    exempt_loopback: bool,
}

impl Door {
    fn new(limits: &Limits) -> Door {
        Door {
            max: limits.connections_max,
            per_ip: limits.connections_per_ip,
            rate: Rate::new(limits.connect_burst, limits.connect_per_sec),
            exempt_loopback: limits.exempt_loopback,
        }
    }
}

#[derive(Default)]
struct Addresses {
    map: HashMap<IpAddr, Address>,
    /// The map's size after the last sweep: sweep again once it doubles.
    swept_at: usize,
}

impl Admission {
    pub fn new(limits: &Limits) -> Arc<Admission> {
        Arc::new(Admission {
            door: ArcSwap::from_pointee(Door::new(limits)),
            open: AtomicUsize::new(0),
            addresses: Mutex::new(Addresses::default()),
            banned: Default::default(),
        })
    }

    /// Applies `limits` to connections admitted from now on; those open stay open even
    /// past a lowered limit.
    pub fn set_limits(&self, limits: &Limits) {
        self.door.store(Arc::new(Door::new(limits)));
    }

    /// True when `ip` skips the per-IP limits and flood control.
    pub fn exempt(&self, ip: IpAddr) -> bool {
        self.door.load().exempt_loopback && ip.to_canonical().is_loopback()
    }

    /// Whether a ban in force covers `ip`.
    pub fn is_banned(&self, ip: IpAddr) -> bool {
        let banned = self.banned.read().unwrap_or_else(|p| p.into_inner());
        let now = std::time::SystemTime::now();
        banned.iter().any(|ban| ban.covers(ip, now))
    }

    /// The address bans, for the operator's `STATS D` and the changes below: lapsed ones
    /// are dropped on the way.
    pub fn address_bans(&self) -> std::sync::RwLockWriteGuard<'_, Vec<crate::bans::AddressBan>> {
        let mut banned = self.banned.write().unwrap_or_else(|p| p.into_inner());
        let now = std::time::SystemTime::now();
        banned.retain(|ban| !ban.lapsed(now));
        banned
    }

    /// Puts `ban` in force, in place of any ban of the same network (a local `DLINE`, or
    /// one another node set).
    pub fn put_address_ban(&self, ban: crate::bans::AddressBan) {
        let mut banned = self.address_bans();
        banned.retain(|b| b.net != ban.net);
        banned.push(ban);
    }

    /// Lifts the ban of `net`; `false` if there was none.
    pub fn lift_address_ban(&self, net: ipnet::IpNet) -> bool {
        let mut banned = self.address_bans();
        let before = banned.len();
        banned.retain(|b| b.net != net);
        banned.len() < before
    }

    /// Connections open now.
    pub fn open(&self) -> usize {
        self.open.load(Ordering::Relaxed)
    }

    /// Admits a connection from `peer` at `now`, or says why not.
    pub fn admit(self: &Arc<Self>, peer: SocketAddr, now: Instant) -> Result<Ticket, Refusal> {
        let ip = peer.ip().to_canonical();
        let door = **self.door.load();
        if self.open.load(Ordering::Relaxed) >= door.max {
            return Err(Refusal::Full);
        }
        if self.is_banned(ip) {
            return Err(Refusal::Banned);
        }
        let per_ip = !self.exempt(ip);
        if per_ip {
            let mut addresses = self.addresses.lock().unwrap_or_else(|p| p.into_inner());
            addresses.sweep(now);
            let entry = addresses.map.entry(ip).or_insert(Address {
                open: 0,
                bucket: TokenBucket::new(now),
            });
            if entry.open >= door.per_ip {
                return Err(Refusal::PerIp);
            }
            if !entry.bucket.try_take(door.rate, now) {
                return Err(Refusal::Throttled);
            }
            entry.open += 1;
        }
        self.open.fetch_add(1, Ordering::Relaxed);
        Ok(Ticket {
            admission: self.clone(),
            peer,
            per_ip,
        })
    }

    fn release(&self, peer: SocketAddr, per_ip: bool) {
        self.open.fetch_sub(1, Ordering::Relaxed);
        if per_ip {
            let ip = peer.ip().to_canonical();
            let mut addresses = self.addresses.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(entry) = addresses.map.get_mut(&ip) {
                entry.open = entry.open.saturating_sub(1);
            }
        }
    }
}

impl Addresses {
    /// Forgets addresses with nothing open and a full bucket, once the map has doubled
    /// since the last sweep (so the cost is amortised over the inserts).
    fn sweep(&mut self, now: Instant) {
        if self.map.len() < 64.max(self.swept_at * 2) {
            return;
        }
        self.map.retain(|_, a| a.open > 0 || !a.bucket.is_full(now));
        self.swept_at = self.map.len();
    }
}

/// An admitted connection's place, and its address; dropping it frees the place. The
/// connection keeps its address only here, not twice.
pub struct Ticket {
    admission: Arc<Admission>,
    peer: SocketAddr,
    /// The address counts against the per-IP limit (it is not exempt).
    per_ip: bool,
}

impl Ticket {
    /// Where the connection comes from.
    pub fn peer(&self) -> &SocketAddr {
        &self.peer
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.admission.release(self.peer, self.per_ip);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(per_ip: usize, max: usize, burst: u32, per_sec: u32) -> Limits {
        Limits {
            connections_per_ip: per_ip,
            connections_max: max,
            connect_burst: burst,
            connect_per_sec: per_sec,
            exempt_loopback: false,
            ..Limits::default()
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_bucket_gives_its_burst_then_one_per_interval() {
        let rate = Rate::new(3, 2);
        let start = Instant::now();
        let mut bucket = TokenBucket::new(start);
        assert_eq!(bucket.available(rate, start), 3);
        assert!(bucket.try_take(rate, start));
        assert!(bucket.try_take(rate, start));
        assert!(bucket.try_take(rate, start));
        assert!(!bucket.try_take(rate, start));
        assert_eq!(bucket.next_token(rate), start + Duration::from_millis(500));
        tokio::time::advance(Duration::from_millis(499)).await;
        assert!(!bucket.try_take(rate, Instant::now()));
        tokio::time::advance(Duration::from_millis(1)).await;
        assert!(bucket.try_take(rate, Instant::now()));
        assert!(!bucket.try_take(rate, Instant::now()));
        // Idle long enough, the bucket is full again, never fuller.
        tokio::time::advance(Duration::from_secs(10)).await;
        let now = Instant::now();
        assert!(bucket.is_full(now));
        assert_eq!(bucket.available(rate, now), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn spending_several_tokens_at_once_counts_each() {
        let rate = Rate::new(16, 4);
        let now = Instant::now();
        let mut bucket = TokenBucket::new(now);
        bucket.spend(rate, now, 10);
        assert_eq!(bucket.available(rate, now), 6);
        bucket.spend(rate, now, 6);
        assert_eq!(bucket.available(rate, now), 0);
        assert_eq!(bucket.next_token(rate), now + Duration::from_millis(250));
        tokio::time::advance(Duration::from_secs(1)).await;
        assert_eq!(bucket.available(rate, Instant::now()), 4);
    }

    #[tokio::test(start_paused = true)]
    async fn admission_counts_per_address_and_in_all() {
        let admission = Admission::new(&limits(2, 3, 100, 100));
        let a: SocketAddr = "10.0.0.1:6667".parse().unwrap();
        let b: SocketAddr = "10.0.0.2:6667".parse().unwrap();
        let now = Instant::now();
        let t1 = admission.admit(a, now).unwrap();
        let _t2 = admission.admit(a, now).unwrap();
        assert_eq!(admission.admit(a, now).err(), Some(Refusal::PerIp));
        let _t3 = admission.admit(b, now).unwrap();
        assert_eq!(admission.admit(b, now).err(), Some(Refusal::Full));
        assert_eq!(admission.open(), 3);
        drop(t1);
        assert_eq!(admission.open(), 2);
        admission.admit(a, now).unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn new_limits_apply_to_the_next_connection_and_keep_those_open() {
        let admission = Admission::new(&limits(1, 10, 100, 100));
        let a: SocketAddr = "10.0.0.1:6667".parse().unwrap();
        let now = Instant::now();
        let _t1 = admission.admit(a, now).unwrap();
        assert_eq!(admission.admit(a, now).err(), Some(Refusal::PerIp));
        admission.set_limits(&limits(2, 10, 100, 100));
        let _t2 = admission.admit(a, now).unwrap();
        // Lowered below what is open: nobody is put out, the next one is refused.
        admission.set_limits(&limits(2, 1, 100, 100));
        assert_eq!(admission.open(), 2);
        let b: SocketAddr = "10.0.0.2:6667".parse().unwrap();
        assert_eq!(admission.admit(b, now).err(), Some(Refusal::Full));
    }

    #[tokio::test(start_paused = true)]
    async fn admission_throttles_an_address_that_connects_too_fast() {
        let admission = Admission::new(&limits(100, 100, 2, 1));
        let a: SocketAddr = "10.0.0.1:6667".parse().unwrap();
        let now = Instant::now();
        drop(admission.admit(a, now).unwrap());
        drop(admission.admit(a, now).unwrap());
        assert_eq!(admission.admit(a, now).err(), Some(Refusal::Throttled));
        // Another address is not held up.
        admission
            .admit("10.0.0.9:6667".parse().unwrap(), now)
            .unwrap();
        tokio::time::advance(Duration::from_secs(1)).await;
        admission.admit(a, Instant::now()).unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn loopback_is_exempt_unless_told_otherwise() {
        let mut exempt = limits(1, 100, 1, 1);
        exempt.exempt_loopback = true;
        let admission = Admission::new(&exempt);
        let now = Instant::now();
        let tickets: Vec<_> = (0..5)
            .map(|_| {
                admission
                    .admit("127.0.0.1:6667".parse().unwrap(), now)
                    .unwrap()
            })
            .collect();
        assert_eq!(tickets.len(), 5);
        admission.admit("[::1]:6667".parse().unwrap(), now).unwrap();
        let strict = Admission::new(&limits(1, 100, 5, 1));
        let _t = strict
            .admit("127.0.0.1:6667".parse().unwrap(), now)
            .unwrap();
        assert_eq!(
            strict.admit("127.0.0.1:6667".parse().unwrap(), now).err(),
            Some(Refusal::PerIp)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn forgotten_addresses_are_swept() {
        let admission = Admission::new(&limits(10, 100_000, 1, 1));
        let now = Instant::now();
        for i in 0..300u32 {
            drop(
                admission
                    .admit(SocketAddr::new(IpAddr::from(i.to_be_bytes()), 6667), now)
                    .unwrap(),
            );
        }
        tokio::time::advance(Duration::from_secs(2)).await;
        let now = Instant::now();
        for i in 300..600u32 {
            drop(
                admission
                    .admit(SocketAddr::new(IpAddr::from(i.to_be_bytes()), 6667), now)
                    .unwrap(),
            );
        }
        // The first 300 had nothing open and full buckets: gone at the sweep.
        let addresses = admission.addresses.lock().unwrap();
        assert!(!addresses
            .map
            .contains_key(&IpAddr::from(7u32.to_be_bytes())));
        assert!(addresses.map.len() <= 300);
    }
}
