//! The five classroom assignments (seeds) a student's server may have been written to,
//! and a [`Quote`]: one seed's own words, which a scenario checks. The seeds' texts are
//! not in this repository; the sentences a scenario checks are quoted here as data.

use crate::Protocol;

/// One of the five classroom assignments, `000` to `004`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Seed {
    /// Barak Gonen's "Advanced Socket Exercise - Multi-User Chat" (prefixed, `GET_NAMES`).
    S000,
    /// Seed 000 copied with a grading rubric (prefixed, `GETNAMES`).
    S001,
    /// CS3560 "Chatroom" (packet).
    S002,
    /// The "Chat Client" with rooms on port 5220 (rooms).
    S003,
    /// "Multi-user chat server", experiment 8 (broadcast).
    S004,
}

impl Seed {
    pub const ALL: [Seed; 5] = [Seed::S000, Seed::S001, Seed::S002, Seed::S003, Seed::S004];

    /// The three-digit name used on the command line (`--seed 001`).
    pub fn name(self) -> &'static str {
        match self {
            Seed::S000 => "000",
            Seed::S001 => "001",
            Seed::S002 => "002",
            Seed::S003 => "003",
            Seed::S004 => "004",
        }
    }

    /// The protocol the seed describes.
    pub fn protocol(self) -> Protocol {
        match self {
            Seed::S000 | Seed::S001 => Protocol::Prefixed,
            Seed::S002 => Protocol::Packet,
            Seed::S003 => Protocol::Rooms,
            Seed::S004 => Protocol::Broadcast,
        }
    }
}

impl std::fmt::Display for Seed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A seed name that is not one of the five.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown seed {0:?}: expected 000, 001, 002, 003 or 004")]
pub struct UnknownSeed(pub String);

impl std::str::FromStr for Seed {
    type Err = UnknownSeed;

    /// `001`, or `1` (leading zeros optional).
    fn from_str(s: &str) -> Result<Seed, UnknownSeed> {
        let n: Option<usize> = s.parse().ok();
        n.and_then(|n| Seed::ALL.get(n).copied())
            .filter(|_| !s.is_empty() && s.len() <= 3)
            .ok_or_else(|| UnknownSeed(s.to_owned()))
    }
}

/// What one seed says, in its own words, about what a scenario checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quote {
    pub seed: Seed,
    pub words: &'static str,
}

/// Builds a `&'static [Quote]`: `quotes![S000: "...", S001: "..."]`.
macro_rules! quotes {
    ($($seed:ident : $words:expr),* $(,)?) => {
        &[$($crate::Quote { seed: $crate::Seed::$seed, words: $words }),*]
    };
}
pub(crate) use quotes;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_parse_with_or_without_zeros() {
        for seed in Seed::ALL {
            assert_eq!(seed.name().parse::<Seed>(), Ok(seed));
        }
        assert_eq!("1".parse::<Seed>(), Ok(Seed::S001));
        for bad in ["5", "", "0001", "x", "-1"] {
            assert!(bad.parse::<Seed>().is_err(), "{bad}");
        }
    }
}
