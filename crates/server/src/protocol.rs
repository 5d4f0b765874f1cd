//! The protocols a listener can speak, their names on the command line and default ports.
//! `http` is the one listener that is not a chat protocol itself: it serves the web page and
//! carries IRC over WebSocket (see `crate::http`). `metrics` is not one either: it serves
//! Prometheus metrics and the health checks (see `crate::metrics`), and only when asked for.

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Protocol {
    Prefixed,
    Packet,
    Rooms,
    Broadcast,
    Irc,
    /// HTTP/1.1: the web page at `/` and IRC over WebSocket at `/irc`.
    Http,
    /// HTTP/1.1: `/metrics`, `/healthz` and `/readyz` for the people who run the server.
    Metrics,
}

impl Protocol {
    /// The listeners `confab serve` opens by default: every kind but `metrics`, which
    /// tells how the server is used and so is opened only when asked for.
    pub const ALL: [Protocol; 6] = [
        Protocol::Prefixed,
        Protocol::Packet,
        Protocol::Rooms,
        Protocol::Broadcast,
        Protocol::Irc,
        Protocol::Http,
    ];

    /// Every kind of listener there is: [`Protocol::ALL`] and `metrics`.
    pub const EVERY: [Protocol; 7] = [
        Protocol::Prefixed,
        Protocol::Packet,
        Protocol::Rooms,
        Protocol::Broadcast,
        Protocol::Irc,
        Protocol::Http,
        Protocol::Metrics,
    ];

    /// The name used in `--listen`, the `listening` lines and the logs.
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Prefixed => "prefixed",
            Protocol::Packet => "packet",
            Protocol::Rooms => "rooms",
            Protocol::Broadcast => "broadcast",
            Protocol::Irc => "irc",
            Protocol::Http => "http",
            Protocol::Metrics => "metrics",
        }
    }

    /// The port each seed used (docs/protocols/); IRC's usual plain-text port.
    pub fn default_port(self) -> u16 {
        match self {
            Protocol::Prefixed => 8820,
            Protocol::Packet => 3560,
            Protocol::Rooms => 5220,
            Protocol::Broadcast => 5001,
            Protocol::Irc => 6667,
            // The usual alternative HTTP port: serving a class needs no root.
            Protocol::Http => 8080,
            // Never opened by default (`--listen` names its address); the docs' example.
            Protocol::Metrics => 9681,
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown protocol {0:?} (expected one of: prefixed, packet, rooms, broadcast, irc, http, metrics)")]
pub struct UnknownProtocol(pub String);

impl FromStr for Protocol {
    type Err = UnknownProtocol;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Protocol::EVERY
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownProtocol(s.to_string()))
    }
}
