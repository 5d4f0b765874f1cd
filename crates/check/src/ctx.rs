//! What every scenario is given: the address, this run's name suffix (so the checker's
//! users never take a real user's name or room), the rules that apply (all of the
//! protocol's, or one seed's) and where a scenario writes its notes.

use crate::Seed;
use std::hash::{BuildHasher, Hasher};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

/// Characters of the suffix: lower-case letters and digits are valid in a name on every
/// protocol and under every seed ("one word, in English, without special characters").
const SUFFIX_CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// Three characters: 46,656 runs' worth of distinct names, and short enough that the
/// longest name a scenario takes (20 characters, the common `name_max`) still fits.
pub const SUFFIX_LEN: usize = 3;

/// One run's context, cloned into each scenario.
#[derive(Clone, Debug)]
pub struct Ctx {
    pub addr: SocketAddr,
    suffix: String,
    seed: Option<Seed>,
    notes: Arc<Mutex<Vec<String>>>,
}

impl Ctx {
    /// A context with a fresh random suffix; `seed` None means every rule of the protocol.
    pub fn new(addr: SocketAddr, seed: Option<Seed>) -> Ctx {
        Ctx::with_suffix(addr, seed, &random_suffix())
    }

    /// A context with a chosen suffix (tests that want reproducible names).
    pub fn with_suffix(addr: SocketAddr, seed: Option<Seed>, suffix: &str) -> Ctx {
        Ctx {
            addr,
            suffix: suffix.to_owned(),
            seed,
            notes: Arc::default(),
        }
    }

    /// The same run against another address (another protocol's listener).
    pub fn at(&self, addr: SocketAddr) -> Ctx {
        Ctx {
            addr,
            ..self.clone()
        }
    }

    /// A user or room name of this run: `base` with the run's suffix, e.g. `Ritaq7z`.
    pub fn name(&self, base: &str) -> String {
        format!("{base}{}", self.suffix)
    }

    /// The suffix every name of this run ends with.
    pub fn suffix(&self) -> &str {
        &self.suffix
    }

    /// The seed being graded against, or None for every rule of the protocol.
    pub fn seed(&self) -> Option<Seed> {
        self.seed
    }

    /// True when every rule applies (no `--seed`): confab's own replies are exact.
    pub fn all_rules(&self) -> bool {
        self.seed.is_none()
    }

    /// Records a note: something only confab asks for that this server does otherwise.
    pub fn note(&self, text: String) {
        if let Ok(mut notes) = self.notes.lock() {
            notes.push(text);
        }
    }

    /// Takes the notes written so far (by the scenario that just ran).
    pub fn take_notes(&self) -> Vec<String> {
        self.notes
            .lock()
            .map(|mut notes| std::mem::take(&mut *notes))
            .unwrap_or_default()
    }
}

/// A suffix from the process's random hasher keys and the clock: no dependency, and
/// two runs in the same second still differ.
fn random_suffix() -> String {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    hasher.write_u128(nanos);
    hasher.write_u32(std::process::id());
    let mut bits = hasher.finish();
    (0..SUFFIX_LEN)
        .map(|_| {
            let i = (bits % SUFFIX_CHARS.len() as u64) as usize;
            bits /= SUFFIX_CHARS.len() as u64;
            char::from(SUFFIX_CHARS[i])
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_carry_the_suffix() {
        let addr = SocketAddr::from(([127, 0, 0, 1], 1));
        let ctx = Ctx::with_suffix(addr, None, "q7z");
        assert_eq!(ctx.name("Rita"), "Ritaq7z");
        let fresh = Ctx::new(addr, None);
        assert_eq!(fresh.suffix().len(), SUFFIX_LEN);
        assert!(fresh.suffix().bytes().all(|b| SUFFIX_CHARS.contains(&b)));
    }

    #[test]
    fn notes_are_taken_once() {
        let ctx = Ctx::new(SocketAddr::from(([127, 0, 0, 1], 1)), None);
        ctx.clone().note("one".into());
        assert_eq!(ctx.take_notes(), ["one"]);
        assert!(ctx.take_notes().is_empty());
    }
}
