//! confab-check: the conformance scenarios for the four classroom protocols of
//! docs/protocols/ and for IRC (docs/irc.md), written once and run both by `cargo test`
//! and by `confab check` against any server. It speaks only bytes on sockets; of
//! `confab-proto` it takes only the protocol registry (names and default ports).

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::time::Duration;

mod broadcast;
mod ctx;
mod guard;
mod irc;
mod ircmsg;
mod packet;
mod prefixed;
mod report;
mod rooms;
mod seed;
pub mod wire;

pub use ctx::{Ctx, SUFFIX_LEN};
pub use guard::{occupancy, Occupancy};
pub use report::{escape, Failure, Outcome, Report};
pub(crate) use seed::quotes;
pub use seed::{Quote, Seed, UnknownSeed};

/// The longest one scenario may run: every step has its own timeout, this is only the
/// backstop that keeps `confab check` from ever hanging.
const SCENARIO_TIMEOUT: Duration = Duration::from_secs(60);

/// The protocol a scenario speaks: one of the four classroom protocols, or IRC (the
/// registry's names are the checker's command-line names and its docs' page names).
pub use confab_proto::{Protocol, UnknownProtocol};

/// A scenario's body: connects its clients to the context's address and plays its script.
pub type RunFn = fn(Ctx) -> Pin<Box<dyn Future<Output = Result<(), Failure>> + Send>>;

/// One conformance scenario: a script of at least two clients asserting exact bytes.
/// It leaves the server as it found it, so scenarios can run in sequence on one server.
#[derive(Clone, Copy)]
pub struct Scenario {
    pub name: &'static str,
    pub protocol: Protocol,
    /// Where docs/protocols/ (or docs/irc.md) specifies what the scenario checks.
    pub section: &'static str,
    /// The seeds' own words this scenario checks. A seed with no quote here does not
    /// ask for it: graded against that seed, a failure is only a note. Empty for what
    /// only confab adds (and for IRC, which has no seed).
    pub quotes: &'static [Quote],
    run: RunFn,
}

impl std::fmt::Debug for Scenario {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scenario")
            .field("name", &self.name)
            .field("protocol", &self.protocol)
            .field("section", &self.section)
            .field("quotes", &self.quotes)
            .finish()
    }
}

impl Scenario {
    /// Plays the scenario against a server listening for this protocol at `ctx.addr`.
    pub async fn run(&self, ctx: &Ctx) -> Result<(), Failure> {
        match tokio::time::timeout(SCENARIO_TIMEOUT, (self.run)(ctx.clone())).await {
            Ok(result) => result,
            Err(_) => Err(Failure::note(format!(
                "the scenario did not finish within {} s",
                SCENARIO_TIMEOUT.as_secs()
            ))),
        }
    }

    /// Whether a failure counts: always with every rule, and with a seed only when the
    /// seed asks for what the scenario checks (it has that seed's words).
    pub fn counts_for(&self, seed: Option<Seed>) -> bool {
        seed.is_none_or(|seed| self.quotes.iter().any(|q| q.seed == seed))
    }

    /// The seed's words to print under a failure: that seed's, or every seed's.
    pub fn quotes_for(&self, seed: Option<Seed>) -> Vec<Quote> {
        self.quotes
            .iter()
            .filter(|q| seed.is_none_or(|seed| q.seed == seed))
            .copied()
            .collect()
    }
}

/// Builds a [`Scenario`] from an `async fn(Ctx) -> Result<(), Failure>`; the quotes are
/// the seeds' words it checks (`quotes![S000: "..."]`, or `&[]` for confab's own rules).
macro_rules! scenario {
    ($protocol:expr, $name:literal, $section:literal, $quotes:expr, $body:path) => {
        $crate::Scenario {
            name: $name,
            protocol: $protocol,
            section: $section,
            quotes: $quotes,
            run: |ctx| Box::pin($body(ctx)),
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
        Protocol::Irc => irc::scenarios(),
    }
}

/// Runs `scenarios` one after another with `ctx` (its address, suffix and seed) and
/// collects their outcomes.
pub async fn run_all(scenarios: &[Scenario], ctx: &Ctx) -> Report {
    let mut report = Report::default();
    for scenario in scenarios {
        let result = scenario.run(ctx).await;
        report.outcomes.push(Outcome {
            name: scenario.name,
            section: scenario.section,
            counts: scenario.counts_for(ctx.seed()),
            quotes: scenario.quotes_for(ctx.seed()),
            notes: ctx.take_notes(),
            result,
        });
    }
    report
}

/// Runs every scenario of `protocol` against the one server at `addr`, in sequence,
/// with every rule of the protocol and names of a fresh suffix.
pub async fn check(protocol: Protocol, addr: SocketAddr) -> Report {
    run_all(&scenarios(protocol), &Ctx::new(addr, None)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scenario_names_are_unique_and_cited() {
        let mut names = std::collections::HashSet::new();
        for p in Protocol::ALL {
            let list = scenarios(p);
            assert!(!list.is_empty());
            for s in list {
                assert_eq!(s.protocol, p);
                assert!(names.insert(s.name), "duplicate scenario {}", s.name);
                assert!(s.section.starts_with("docs/"), "{}", s.name);
                // A seed's words belong to scenarios of the seed's own protocol.
                assert!(
                    s.quotes.iter().all(|q| q.seed.protocol() == p),
                    "{}",
                    s.name
                );
            }
        }
    }
}
