//! confab-check: the conformance scenarios for the four classroom protocols of
//! docs/protocols/, written once and run both by `cargo test` and by `confab check`
//! against any server. It speaks only bytes on sockets.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::time::Duration;

mod broadcast;
mod packet;
mod prefixed;
mod report;
mod rooms;
pub mod wire;

pub use report::{escape, Failure, Outcome, Report};

/// The longest one scenario may run: every step has its own timeout, this is only the
/// backstop that keeps `confab check` from ever hanging.
const SCENARIO_TIMEOUT: Duration = Duration::from_secs(60);

/// One of the four classroom protocols.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Protocol {
    Prefixed,
    Packet,
    Rooms,
    Broadcast,
}

impl Protocol {
    pub const ALL: [Protocol; 4] = [
        Protocol::Prefixed,
        Protocol::Packet,
        Protocol::Rooms,
        Protocol::Broadcast,
    ];

    /// The name used on the command line and in docs/protocols/'s page names.
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Prefixed => "prefixed",
            Protocol::Packet => "packet",
            Protocol::Rooms => "rooms",
            Protocol::Broadcast => "broadcast",
        }
    }
}

impl std::fmt::Display for Protocol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A protocol name that is not one of the four.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown protocol {0:?}: expected prefixed, packet, rooms or broadcast")]
pub struct UnknownProtocol(pub String);

impl std::str::FromStr for Protocol {
    type Err = UnknownProtocol;

    fn from_str(s: &str) -> Result<Protocol, UnknownProtocol> {
        Protocol::ALL
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownProtocol(s.to_owned()))
    }
}

/// A scenario's body: connects its clients to the address and plays its script.
pub type RunFn = fn(SocketAddr) -> Pin<Box<dyn Future<Output = Result<(), Failure>> + Send>>;

/// One conformance scenario: a script of at least two clients asserting exact bytes.
/// It leaves the server as it found it, so scenarios can run in sequence on one server.
#[derive(Clone, Copy)]
pub struct Scenario {
    pub name: &'static str,
    pub protocol: Protocol,
    /// Where docs/protocols/ specifies what the scenario checks.
    pub section: &'static str,
    run: RunFn,
}

impl std::fmt::Debug for Scenario {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scenario")
            .field("name", &self.name)
            .field("protocol", &self.protocol)
            .field("section", &self.section)
            .finish()
    }
}

impl Scenario {
    /// Plays the scenario against a server listening for this protocol on `addr`.
    pub async fn run(&self, addr: SocketAddr) -> Result<(), Failure> {
        match tokio::time::timeout(SCENARIO_TIMEOUT, (self.run)(addr)).await {
            Ok(result) => result,
            Err(_) => Err(Failure::note(format!(
                "the scenario did not finish within {} s",
                SCENARIO_TIMEOUT.as_secs()
            ))),
        }
    }
}

/// Builds a [`Scenario`] from an `async fn(SocketAddr) -> Result<(), Failure>`.
macro_rules! scenario {
    ($protocol:expr, $name:literal, $section:literal, $body:path) => {
        $crate::Scenario {
            name: $name,
            protocol: $protocol,
            section: $section,
            run: |addr| Box::pin($body(addr)),
        }
    };
}
pub(crate) use scenario;

/// Every scenario of `protocol`, in the order `check` runs them.
pub fn scenarios(protocol: Protocol) -> Vec<Scenario> {
    match protocol {
        Protocol::Prefixed => prefixed::scenarios(),
        Protocol::Packet => packet::scenarios(),
        Protocol::Rooms => rooms::scenarios(),
        Protocol::Broadcast => broadcast::scenarios(),
    }
}

/// Runs `scenarios` one after another against `addr` and collects their outcomes.
pub async fn run_all(scenarios: &[Scenario], addr: SocketAddr) -> Report {
    let mut report = Report::default();
    for scenario in scenarios {
        let result = scenario.run(addr).await;
        report.outcomes.push(Outcome {
            name: scenario.name,
            section: scenario.section,
            result,
        });
    }
    report
}

/// Runs every scenario of `protocol` against the one server at `addr`, in sequence.
pub async fn check(protocol: Protocol, addr: SocketAddr) -> Report {
    run_all(&scenarios(protocol), addr).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocols_parse_from_their_names() {
        for p in Protocol::ALL {
            assert_eq!(p.name().parse::<Protocol>(), Ok(p));
        }
        assert!("irc".parse::<Protocol>().is_err());
    }

    #[test]
    fn scenario_names_are_unique_and_cited() {
        let mut names = std::collections::HashSet::new();
        for p in Protocol::ALL {
            let list = scenarios(p);
            assert!(!list.is_empty());
            for s in list {
                assert_eq!(s.protocol, p);
                assert!(names.insert(s.name), "duplicate scenario {}", s.name);
                assert!(s.section.starts_with("docs/protocols/"), "{}", s.name);
            }
        }
    }
}
