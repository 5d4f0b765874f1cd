//! What a benchmark client speaks, as `--protocol` names it: one of the registry's chat
//! protocols on its own listener, or `ws`, IRC over WebSocket on the `http` listener's
//! `/irc` (docs/web.md). `ws` is the generator's name for a transport, not a protocol of
//! the registry: inside it every client speaks IRC.

use std::fmt;

use clap::builder::{PossibleValuesParser, TypedValueParser};
use confab_proto::{Listener, Protocol};

/// A `--protocol` choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wire {
    /// The protocol straight on a TCP connection to its listener.
    Plain(Protocol),
    /// IRC over WebSocket (`ws://ADDR/irc`, subprotocol `text.ircv3.net`).
    WebSocket,
}

impl Wire {
    /// Every choice in `--help`'s order: IRC first (the default, and what a load generator
    /// for IRC servers is asked for most), the other protocols, then `ws`.
    pub fn all() -> impl Iterator<Item = Wire> {
        let others = Protocol::ALL.into_iter().filter(|p| *p != Protocol::Irc);
        std::iter::once(Protocol::Irc)
            .chain(others)
            .map(Wire::Plain)
            .chain(std::iter::once(Wire::WebSocket))
    }

    /// The name on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Wire::Plain(protocol) => protocol.name(),
            Wire::WebSocket => "ws",
        }
    }

    /// The chat protocol the client speaks (inside the WebSocket, IRC).
    pub fn protocol(self) -> Protocol {
        match self {
            Wire::Plain(protocol) => protocol,
            Wire::WebSocket => Protocol::Irc,
        }
    }

    /// The port `confab serve` listens on for it by default.
    pub fn default_port(self) -> u16 {
        match self {
            Wire::Plain(protocol) => protocol.default_port(),
            Wire::WebSocket => Listener::Http.default_port(),
        }
    }

    /// `--protocol`'s parser: exactly the names of [`Wire::all`], in that order.
    pub fn parser() -> impl TypedValueParser<Value = Wire> {
        PossibleValuesParser::new(Wire::all().map(Wire::name)).try_map(|name| {
            Wire::all()
                .find(|wire| wire.name() == name)
                .ok_or("not a --protocol choice")
        })
    }
}

impl fmt::Display for Wire {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_are_irc_first_then_the_rest_then_ws() {
        let names: Vec<&str> = Wire::all().map(Wire::name).collect();
        assert_eq!(
            names,
            ["irc", "prefixed", "packet", "rooms", "broadcast", "ws"]
        );
        assert_eq!(Wire::WebSocket.protocol(), Protocol::Irc);
        assert_eq!(Wire::WebSocket.default_port(), 8080);
        assert_eq!(Wire::Plain(Protocol::Rooms).default_port(), 5220);
    }
}
