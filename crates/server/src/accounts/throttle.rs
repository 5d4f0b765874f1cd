//! Failed logins per address: past `FAILURES_MAX` in a window, that address's logins are
//! refused without a password check until the window ends. The map is bounded: when
//! full, expired entries go; an address that still finds it full is not counted.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

pub const FAILURES_MAX: u32 = 5;
pub const WINDOW: Duration = Duration::from_secs(60);
const ADDRESSES_MAX: usize = 4096;

#[derive(Default)]
pub struct Throttle {
    failures: Mutex<HashMap<IpAddr, (u32, Instant)>>,
}

impl Throttle {
    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, (u32, Instant)>> {
        self.failures.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether `ip` has failed too often lately to be heard now.
    pub fn blocked(&self, ip: IpAddr) -> bool {
        let now = Instant::now();
        self.map()
            .get(&ip)
            .is_some_and(|&(count, since)| count >= FAILURES_MAX && now - since < WINDOW)
    }

    /// Counts a failed login from `ip`.
    pub fn failed(&self, ip: IpAddr) {
        let now = Instant::now();
        let mut map = self.map();
        if map.len() >= ADDRESSES_MAX && !map.contains_key(&ip) {
            map.retain(|_, &mut (_, since)| now - since < WINDOW);
            if map.len() >= ADDRESSES_MAX {
                return;
            }
        }
        let entry = map.entry(ip).or_insert((0, now));
        if now - entry.1 >= WINDOW {
            *entry = (0, now);
        }
        entry.0 += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn an_address_is_blocked_after_five_failures_for_a_minute() {
        let throttle = Throttle::default();
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let other: IpAddr = "192.0.2.2".parse().unwrap();
        for _ in 0..FAILURES_MAX - 1 {
            throttle.failed(ip);
        }
        assert!(!throttle.blocked(ip));
        throttle.failed(ip);
        assert!(throttle.blocked(ip) && !throttle.blocked(other));
        tokio::time::advance(WINDOW).await;
        assert!(!throttle.blocked(ip));
    }
}
