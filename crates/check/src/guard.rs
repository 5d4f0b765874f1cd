//! Before any scenario: is anyone else on the server? The scenarios send 4 KB lines,
//! garbage and many joins and leaves, so `confab check` runs only against a server
//! nobody else uses unless told `--force`. Each protocol looks in its own way (its
//! function `occupancy` beside its scenarios); this file says what the answer means.

use crate::{broadcast, irc, packet, prefixed, rooms, Ctx, Protocol};
use std::time::Duration;

/// The longest the look may take, whatever the server does.
const LOOK_TIMEOUT: Duration = Duration::from_secs(15);

/// What the look found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Occupancy {
    /// Nobody but the checker's own probe.
    Quiet,
    /// Someone else is there: what showed it (names, rooms, a count, a line).
    InUse(String),
    /// The server's answer could not be read as a list: what came instead.
    Unknown(String),
}

/// Looks at the server behind `ctx` with `protocol`'s own means, within [`LOOK_TIMEOUT`].
pub async fn occupancy(protocol: Protocol, ctx: &Ctx) -> Occupancy {
    let look = async {
        match protocol {
            Protocol::Prefixed => prefixed::occupancy(ctx).await,
            Protocol::Packet => packet::occupancy(ctx).await,
            Protocol::Rooms => rooms::occupancy(ctx).await,
            Protocol::Broadcast => broadcast::occupancy(ctx).await,
            Protocol::Irc => irc::occupancy(ctx).await,
        }
    };
    match tokio::time::timeout(LOOK_TIMEOUT, look).await {
        Ok(Ok(found)) => found,
        Ok(Err(failure)) => Occupancy::Unknown(failure.step),
        Err(_) => Occupancy::Unknown(format!("no answer within {} s", LOOK_TIMEOUT.as_secs())),
    }
}
