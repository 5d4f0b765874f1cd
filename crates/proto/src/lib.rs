//! confab-proto: pure codecs and typed messages for every wire protocol confab speaks.
//!
//! Nothing here touches a socket, a runtime or the hub: each module turns bytes into
//! typed values and typed values back into bytes, so it can be tested and fuzzed alone.
//! The exact bytes of every classroom protocol are fixed in `docs/protocols/`.
//! [`protocol`] is the registry of the protocols themselves (names, ports, render slots)
//! that every other crate names them by.

pub mod broadcast;
#[cfg(test)]
mod chunks;
pub mod irc;
pub mod line;
pub mod packet;
pub mod prefixed;
pub mod protocol;
pub mod rooms;

pub use protocol::{Listener, Protocol, UnknownListener, UnknownProtocol};
