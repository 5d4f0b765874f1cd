//! Flood control and the registration deadline of one connection: the token bucket that
//! meters the adapter's input, and the next instant the driver must wake for.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::BytesMut;
use tokio::time::Instant;

use crate::adapter::{Context, Flow};
use crate::limits::{Rate, TokenBucket};
use crate::metrics::ProtocolCounts;
use crate::shared::Shared;

/// Flood control and the registration timeout of one connection: a few bytes, and no
/// timer of its own (one alarm wakes the driver for the earliest of what is due).
pub(super) struct Pace {
    /// `None` for an exempt (loopback) address.
    bucket: Option<TokenBucket>,
    /// Input is waiting for a token: the adapter is not called until one is due.
    pub(super) held: bool,
    /// The client closed its side while input was held: end once that is handled.
    pub(super) eof: bool,
    /// When an unnamed connection is closed; `None` once it has a name.
    pub(super) registration: Option<Instant>,
}

impl Pace {
    pub(super) fn new(shared: &Shared, peer: SocketAddr) -> Pace {
        let limits = &shared.limits;
        let now = Instant::now();
        Pace {
            bucket: (!shared.admission.exempt(peer.ip())).then(|| TokenBucket::new(now)),
            held: false,
            eof: false,
            registration: Some(now + Duration::from_secs(limits.registration_timeout_secs)),
        }
    }

    /// Calls the adapter with a budget of what the bucket holds now, and charges what it
    /// decoded (and counts it in `counts`). No token, no call: the input waits.
    pub(super) fn metered(
        &mut self,
        input: &mut BytesMut,
        cx: &Context<'_>,
        counts: &ProtocolCounts,
        call: impl FnOnce(&mut BytesMut, &Context<'_>) -> Flow,
    ) -> Flow {
        let now = Instant::now();
        let rate = flood_rate(cx);
        let granted = self
            .bucket
            .map_or(u32::MAX, |bucket| bucket.available(rate, now));
        if granted == 0 {
            self.hold(!input.is_empty(), counts);
            return Flow::Continue;
        }
        cx.set_budget(granted);
        let flow = call(input, cx);
        let decoded = granted - cx.budget();
        if let Some(bucket) = &mut self.bucket {
            bucket.spend(rate, now, decoded);
        }
        if decoded > 0 {
            counts.messages_in.inc_by(u64::from(decoded));
        }
        self.hold(decoded == granted && !input.is_empty(), counts);
        flow
    }

    /// Notes whether input waits for a token; each time it starts to is a flood delay.
    fn hold(&mut self, held: bool, counts: &ProtocolCounts) {
        if held && !self.held {
            counts.flood_delays.inc();
        }
        self.held = held;
    }

    /// The next instant the driver must wake for: a token for held input, the
    /// registration deadline, the adapter's own.
    pub(super) fn wake(&self, adapter: Option<Instant>, cx: &Context<'_>) -> Option<Instant> {
        let token = match (self.held, &self.bucket) {
            (true, Some(bucket)) => Some(bucket.next_token(flood_rate(cx))),
            _ => None,
        };
        [adapter, self.registration, token]
            .into_iter()
            .flatten()
            .min()
    }
}

/// The flood bucket's shape, from the limits (not kept per connection).
fn flood_rate(cx: &Context<'_>) -> Rate {
    Rate::new(cx.limits().flood_burst, cx.limits().flood_per_sec)
}
