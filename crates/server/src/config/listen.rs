//! Listeners as the flags and the file write them: `PROTOCOL=ADDR` or `PROTOCOL+tls=ADDR`,
//! a host name standing for each of its addresses.

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::str::FromStr;

use serde::{Deserialize, Deserializer};

use confab_proto::{Listener, UnknownListener};

/// One listener: a protocol on an address, written `PROTOCOL=ADDR` (e.g. `rooms=127.0.0.1:0`),
/// or `PROTOCOL+tls=ADDR` for the same protocol inside TLS (e.g. `irc+tls=0.0.0.0:6697`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListenSpec {
    pub listener: Listener,
    pub addr: SocketAddr,
    /// Clients must complete a TLS handshake first (the `[tls]` certificate and key).
    pub tls: bool,
}

impl ListenSpec {
    /// The listener's default port on every interface, so a classroom can reach it.
    pub fn default_for(listener: Listener) -> ListenSpec {
        ListenSpec {
            listener,
            addr: SocketAddr::from((Ipv4Addr::UNSPECIFIED, listener.default_port())),
            tls: false,
        }
    }

    /// The listener's kind as written and printed: `irc`, or `irc+tls` under TLS.
    pub fn kind(&self) -> String {
        if self.tls {
            format!("{}+tls", self.listener)
        } else {
            self.listener.to_string()
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ListenSpecError {
    #[error("expected PROTOCOL=ADDR, e.g. rooms=127.0.0.1:5220, got {0:?}")]
    Shape(String),
    #[error(transparent)]
    Protocol(#[from] UnknownListener),
    #[error("unknown transport {0:?} after the protocol (only +tls, e.g. irc+tls=0.0.0.0:6697)")]
    Transport(String),
    #[error(
        "cannot resolve {0:?}: {1} (expected HOST:PORT, e.g. 127.0.0.1:5220, [::1]:5220 or \
         localhost:5220)"
    )]
    Resolve(String, String),
    #[error("{0:?} resolves to no address")]
    NoAddress(String),
}

/// What one `--listen` (or `listen` entry) names: a listener on each address its host
/// resolves to, so `rooms=localhost:5220` serves both 127.0.0.1 and ::1 where `localhost`
/// is both (a client may try either); an IP address is one listener.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenSpecs(pub Vec<ListenSpec>);

impl FromStr for ListenSpecs {
    type Err = ListenSpecError;

    /// Resolves a host name with the system's resolver, which blocks: this runs once at
    /// startup, for the flags and the configuration file.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (protocol, addr) = s
            .split_once('=')
            .ok_or_else(|| ListenSpecError::Shape(s.to_string()))?;
        let (protocol, tls) = match protocol.trim().split_once('+') {
            Some((protocol, "tls" | "TLS")) => (protocol, true),
            Some((_, transport)) => return Err(ListenSpecError::Transport(transport.into())),
            None => (protocol.trim(), false),
        };
        let listener = protocol.parse()?;
        let addr = addr.trim();
        let resolved = std::net::ToSocketAddrs::to_socket_addrs(addr)
            .map_err(|error| ListenSpecError::Resolve(addr.to_string(), error.to_string()))?;
        let mut specs: Vec<ListenSpec> = Vec::new();
        for addr in resolved {
            // A hosts file may name one address twice; it can be bound only once.
            if !specs.iter().any(|spec| spec.addr == addr) {
                specs.push(ListenSpec {
                    listener,
                    addr,
                    tls,
                });
            }
        }
        if specs.is_empty() {
            return Err(ListenSpecError::NoAddress(addr.to_string()));
        }
        Ok(ListenSpecs(specs))
    }
}

impl fmt::Display for ListenSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.kind(), self.addr)
    }
}

/// The `listen` list of a configuration file: every entry's listeners, in order.
pub(super) fn deserialize_listen<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<ListenSpec>, D::Error> {
    let mut specs = Vec::new();
    for text in Vec::<String>::deserialize(deserializer)? {
        let ListenSpecs(more) = text.parse().map_err(serde::de::Error::custom)?;
        specs.extend(more);
    }
    Ok(specs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use confab_proto::Protocol;

    /// The one listener `text` names.
    fn one(text: &str) -> Result<ListenSpec, ListenSpecError> {
        let ListenSpecs(specs) = text.parse()?;
        assert_eq!(specs.len(), 1, "{text} names one listener");
        Ok(specs[0])
    }

    #[test]
    fn parses_listen_specs() {
        let spec = one("rooms=127.0.0.1:0").unwrap();
        assert_eq!(spec.listener, Listener::Chat(Protocol::Rooms));
        assert_eq!(spec.addr, "127.0.0.1:0".parse().unwrap());
        assert!(matches!(one("rooms"), Err(ListenSpecError::Shape(_))));
        assert!(matches!(
            one("smtp=1.2.3.4:5"),
            Err(ListenSpecError::Protocol(_))
        ));
        // A host name needs its port.
        assert!(matches!(
            one("rooms=localhost"),
            Err(ListenSpecError::Resolve(..))
        ));
        assert!(!spec.tls);
        assert_eq!(one("irc=[::1]:6667").unwrap().addr.port(), 6667);
    }

    #[test]
    fn a_host_name_is_a_listener_on_each_of_its_addresses() {
        let ListenSpecs(specs) = "irc+tls=localhost:6697".parse().unwrap();
        let expected: Vec<SocketAddr> = std::net::ToSocketAddrs::to_socket_addrs("localhost:6697")
            .unwrap()
            .fold(Vec::new(), |mut all, addr| {
                if !all.contains(&addr) {
                    all.push(addr);
                }
                all
            });
        assert_eq!(specs.iter().map(|s| s.addr).collect::<Vec<_>>(), expected);
        assert!(specs
            .iter()
            .all(|s| s.tls && s.listener == Listener::Chat(Protocol::Irc)));
        assert!(specs.iter().any(|s| s.addr.ip().is_loopback()));
        // The configuration file takes the same form.
        let config = crate::Config::from_toml("listen = [\"irc+tls=localhost:6697\"]\n").unwrap();
        assert_eq!(config.listen, specs);
    }

    #[test]
    fn a_tls_suffix_makes_a_tls_listener_of_any_protocol() {
        for listener in Listener::SERVED_BY_DEFAULT {
            let text = format!("{listener}+tls=127.0.0.1:0");
            let spec = one(&text).unwrap();
            assert_eq!(spec.listener, listener);
            assert!(spec.tls);
            assert_eq!(spec.kind(), format!("{listener}+tls"));
            assert_eq!(spec.to_string(), text);
        }
        let err = one("irc+ssl=127.0.0.1:6697").unwrap_err();
        assert_eq!(err, ListenSpecError::Transport("ssl".into()));
        assert!(err.to_string().contains("only +tls"), "{err}");
        assert!(matches!(
            one("smtp+tls=127.0.0.1:1"),
            Err(ListenSpecError::Protocol(_))
        ));
    }
}
