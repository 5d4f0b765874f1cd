//! The one registry of what confab speaks: the chat [`Protocol`]s (their names, default
//! ports, one-line summaries and how many renderings of an event each needs) and the
//! [`Listener`]s `confab serve` can open. Every crate that names a protocol (server,
//! client, check, bench) takes it from here; each fact is written once, in
//! [`registry!`]'s list, and the enum, [`Protocol::ALL`] and the lookups are generated
//! from that list.
//!
//! Two types rather than one: a chat protocol is what a connection speaks (the client,
//! the checker and the load generator know nothing else), while `http` and `metrics` are
//! listeners that speak no chat protocol of their own (the web page's WebSocket carries
//! IRC). One flat enum would make every match on a protocol carry two arms that cannot
//! happen; [`Listener::Chat`] wraps a protocol instead. Both live here, not in the server,
//! because the load generator needs the `http` listener's port for IRC over WebSocket, and
//! the core stays free of protocols.

use std::fmt;
use std::str::FromStr;

/// One chat protocol's facts, as the registry lists them.
struct Entry {
    name: &'static str,
    default_port: u16,
    summary: &'static str,
    renderings: usize,
}

/// Generates [`Protocol`], [`Protocol::ALL`] and the table its lookups read, in one order
/// from one list, so a variant and its facts cannot drift apart.
macro_rules! registry {
    ($($variant:ident {
        name: $name:literal,
        default_port: $port:literal,
        summary: $summary:literal,
        renderings: $renderings:literal $(,)?
    })+) => {
        /// A chat protocol confab speaks.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Protocol {
            $(#[doc = $summary] $variant,)+
        }

        impl Protocol {
            /// Every chat protocol, in the registry's order.
            pub const ALL: [Protocol; [$($name),+].len()] = [$(Protocol::$variant),+];
        }

        /// Indexed by `Protocol as usize`: the variants and the entries come from one list.
        const ENTRIES: [Entry; Protocol::ALL.len()] = [$(Entry {
            name: $name,
            default_port: $port,
            summary: $summary,
            renderings: $renderings,
        }),+];
    };
}

// The ports are the ones each seed used (docs/protocols/) and IRC's usual plain-text port.
// `renderings` counts the forms one event takes for this protocol's clients, each cached
// in the event once (`confab_core::RenderSlot`): prefixed has one per length width, IRC
// one per capability set its renderer distinguishes (plain, server-time, extended-join,
// message-tags, message-tags with server-time).
registry! {
    Prefixed {
        name: "prefixed",
        default_port: 8820,
        summary: "Seeds 000/001: length-prefixed commands (NAME, GET_NAMES, MSG, EXIT)",
        renderings: 2,
    }
    Packet {
        name: "packet",
        default_port: 3560,
        summary: "Seed 002: binary packets (login, list, sendto, logout, exit)",
        renderings: 1,
    }
    Rooms {
        name: "rooms",
        default_port: 5220,
        summary: "Seed 003: lobby, rooms and nicknames",
        renderings: 1,
    }
    Broadcast {
        name: "broadcast",
        default_port: 5001,
        summary: "Seed 004: one shared conversation",
        renderings: 1,
    }
    Irc {
        name: "irc",
        default_port: 6667,
        summary: "IRC (RFC 1459/2812): channels, queries, nick lists",
        renderings: 5,
    }
}

impl Protocol {
    /// Render slots of every protocol together: the size an event's render cache must have
    /// (the server checks `confab_core::RENDER_SLOTS` against it at compile time).
    pub const RENDER_SLOTS: usize = {
        let mut total = 0;
        let mut i = 0;
        while i < ENTRIES.len() {
            total += ENTRIES[i].renderings;
            i += 1;
        }
        total
    };

    const fn entry(self) -> &'static Entry {
        &ENTRIES[self as usize]
    }

    /// The name used on the command line, in `listening` lines, logs and metrics.
    pub const fn name(self) -> &'static str {
        self.entry().name
    }

    /// The port `confab serve` listens on for it by default.
    pub const fn default_port(self) -> u16 {
        self.entry().default_port
    }

    /// One line on what it is, for help texts.
    pub const fn summary(self) -> &'static str {
        self.entry().summary
    }

    /// How many forms one event can take for this protocol's clients.
    pub const fn renderings(self) -> usize {
        self.entry().renderings
    }

    /// The render-cache slot of this protocol's `rendering`-th form: the protocols' slots
    /// follow one another in the registry's order, so no two share one.
    ///
    /// # Panics
    /// If `rendering` is not below [`Protocol::renderings`]; in a `const` that is a
    /// compile error, which is how the server uses it.
    pub const fn render_slot(self, rendering: usize) -> usize {
        assert!(rendering < self.renderings(), "rendering out of range");
        let mut first = 0;
        let mut i = 0;
        while i < self as usize {
            first += ENTRIES[i].renderings;
            i += 1;
        }
        first + rendering
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is not a chat protocol's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownProtocol(pub String);

impl fmt::Display for UnknownProtocol {
    /// `unknown protocol "x": expected prefixed, packet, rooms, broadcast or irc`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown protocol {:?}: expected ", self.0)?;
        let (last, rest) = Protocol::ALL.split_last().ok_or(fmt::Error)?;
        for (i, protocol) in rest.iter().enumerate() {
            let comma = if i == 0 { "" } else { ", " };
            write!(f, "{comma}{protocol}")?;
        }
        write!(f, " or {last}")
    }
}

impl std::error::Error for UnknownProtocol {}

impl FromStr for Protocol {
    type Err = UnknownProtocol;

    /// A protocol's name, in any case.
    fn from_str(s: &str) -> Result<Protocol, UnknownProtocol> {
        Protocol::ALL
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownProtocol(s.to_owned()))
    }
}

/// A kind of listener `confab serve` opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Listener {
    /// A chat protocol straight on the socket (or inside TLS).
    Chat(Protocol),
    /// HTTP/1.1: the web page at `/` and IRC over WebSocket at `/irc`.
    Http,
    /// HTTP/1.1: `/metrics`, `/healthz` and `/readyz` for the people who run the server.
    Metrics,
}

impl Listener {
    /// Every kind of listener: one per chat protocol, in the registry's order, then `http`
    /// and `metrics`. [`Listener::index`] is the place in this list.
    pub const EVERY: [Listener; Protocol::ALL.len() + 2] = {
        let mut every = [Listener::Http; Protocol::ALL.len() + 2];
        let mut i = 0;
        while i < Protocol::ALL.len() {
            every[i] = Listener::Chat(Protocol::ALL[i]);
            i += 1;
        }
        every[i] = Listener::Http;
        every[i + 1] = Listener::Metrics;
        every
    };

    /// The listeners `confab serve` opens by default: every kind but `metrics`, which
    /// tells how the server is used and so is opened only when asked for.
    pub const SERVED_BY_DEFAULT: [Listener; Listener::EVERY.len() - 1] = {
        // `metrics` is last in EVERY, so the rest is its beginning.
        assert!(matches!(
            Listener::EVERY[Listener::EVERY.len() - 1],
            Listener::Metrics
        ));
        let mut served = [Listener::Http; Listener::EVERY.len() - 1];
        let mut i = 0;
        while i < served.len() {
            served[i] = Listener::EVERY[i];
            i += 1;
        }
        served
    };

    /// The name used in `--listen`, the `listening` lines, the logs and the metrics.
    pub const fn name(self) -> &'static str {
        match self {
            Listener::Chat(protocol) => protocol.name(),
            Listener::Http => "http",
            Listener::Metrics => "metrics",
        }
    }

    /// The port it listens on by default.
    pub const fn default_port(self) -> u16 {
        match self {
            Listener::Chat(protocol) => protocol.default_port(),
            // The usual alternative HTTP port: serving a class needs no root.
            Listener::Http => 8080,
            // Never opened by default (`--listen` names its address); the docs' example.
            Listener::Metrics => 9681,
        }
    }

    /// Its place in [`Listener::EVERY`], for tables with one entry per listener.
    pub const fn index(self) -> usize {
        match self {
            Listener::Chat(protocol) => protocol as usize,
            Listener::Http => Protocol::ALL.len(),
            Listener::Metrics => Protocol::ALL.len() + 1,
        }
    }

    /// The chat protocol it speaks on the socket, if any.
    pub const fn protocol(self) -> Option<Protocol> {
        match self {
            Listener::Chat(protocol) => Some(protocol),
            Listener::Http | Listener::Metrics => None,
        }
    }
}

impl fmt::Display for Listener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is no listener's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownListener(pub String);

impl fmt::Display for UnknownListener {
    /// `unknown protocol "x" (expected one of: prefixed, ..., http, metrics)`: on the
    /// command line every listener is a "protocol" (`--listen PROTOCOL=ADDR`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown protocol {:?} (expected one of: ", self.0)?;
        for (i, listener) in Listener::EVERY.into_iter().enumerate() {
            let comma = if i == 0 { "" } else { ", " };
            write!(f, "{comma}{listener}")?;
        }
        f.write_str(")")
    }
}

impl std::error::Error for UnknownListener {}

impl FromStr for Listener {
    type Err = UnknownListener;

    /// A listener's name, in any case.
    fn from_str(s: &str) -> Result<Listener, UnknownListener> {
        Listener::EVERY
            .into_iter()
            .find(|l| l.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownListener(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_ports_are_the_documented_ones() {
        let listed: Vec<(&str, u16)> = Listener::EVERY
            .into_iter()
            .map(|l| (l.name(), l.default_port()))
            .collect();
        assert_eq!(
            listed,
            [
                ("prefixed", 8820),
                ("packet", 3560),
                ("rooms", 5220),
                ("broadcast", 5001),
                ("irc", 6667),
                ("http", 8080),
                ("metrics", 9681),
            ]
        );
        let served: Vec<&str> = Listener::SERVED_BY_DEFAULT.map(Listener::name).into();
        assert_eq!(
            served,
            ["prefixed", "packet", "rooms", "broadcast", "irc", "http"]
        );
    }

    #[test]
    fn every_name_parses_in_any_case_and_only_as_its_kind() {
        for protocol in Protocol::ALL {
            assert_eq!(protocol.name().parse(), Ok(protocol));
            assert_eq!(protocol.name().to_uppercase().parse(), Ok(protocol));
        }
        for (i, listener) in Listener::EVERY.into_iter().enumerate() {
            assert_eq!(listener.name().parse(), Ok(listener));
            assert_eq!(listener.index(), i);
        }
        assert_eq!(
            "http".parse::<Protocol>(),
            Err(UnknownProtocol("http".into()))
        );
        assert_eq!(
            "ircv3".parse::<Listener>(),
            Err(UnknownListener("ircv3".into()))
        );
    }

    #[test]
    fn unknown_names_list_the_choices() {
        assert_eq!(
            UnknownProtocol("ws".into()).to_string(),
            "unknown protocol \"ws\": expected prefixed, packet, rooms, broadcast or irc"
        );
        assert_eq!(
            UnknownListener("ws".into()).to_string(),
            "unknown protocol \"ws\" (expected one of: prefixed, packet, rooms, broadcast, \
             irc, http, metrics)"
        );
    }

    #[test]
    fn render_slots_follow_one_another_without_gaps() {
        let slots: Vec<usize> = Protocol::ALL
            .into_iter()
            .flat_map(|p| (0..p.renderings()).map(move |r| p.render_slot(r)))
            .collect();
        assert_eq!(slots, (0..Protocol::RENDER_SLOTS).collect::<Vec<_>>());
    }

    #[test]
    #[should_panic(expected = "rendering out of range")]
    fn a_rendering_past_the_count_is_refused() {
        Protocol::Packet.render_slot(1);
    }
}
