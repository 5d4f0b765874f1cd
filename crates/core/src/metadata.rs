//! Metadata (IRCv3 `draft/metadata`): small key-value pairs a user sets on themself, or a
//! room's operators on the room. Keys are checked and lower-cased here, and every list is
//! bounded in keys and value bytes; the bounds are the ones the IRC cap value announces.

use std::sync::Arc;

/// The most keys one user or one room may have set.
pub const MAX_KEYS: usize = 20;
/// The longest value, in bytes of UTF-8 (a value must also fit a 512-byte IRC line).
pub const MAX_VALUE_BYTES: usize = 300;
/// The longest key, in bytes.
pub const MAX_KEY_BYTES: usize = 64;

/// A key as stored: lower-case, of `a-z 0-9 _ . : -`, not starting with `:`, 1 to
/// [`MAX_KEY_BYTES`] bytes; `None` for anything else (the spec's key names, which are
/// case-insensitive).
pub fn key(raw: &str) -> Option<Arc<str>> {
    let fits = !raw.is_empty() && raw.len() <= MAX_KEY_BYTES && !raw.starts_with(':');
    let charset = raw
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b':' | b'-'));
    (fits && charset).then(|| Arc::from(raw.to_ascii_lowercase()))
}

/// Whether a value may be stored: at most [`MAX_VALUE_BYTES`] (UTF-8 is the caller's
/// to have checked, as for every text).
pub fn value_fits(value: &str) -> bool {
    value.len() <= MAX_VALUE_BYTES
}

/// One key and its value.
pub type Pair = (Arc<str>, Arc<str>);

/// A user's or a room's pairs, in the order first set; at most [`MAX_KEYS`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Metadata(Vec<Pair>);

/// Why a change was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Setting one more key would pass [`MAX_KEYS`].
    Full,
}

impl Metadata {
    pub fn get(&self, key: &str) -> Option<&Arc<str>> {
        self.0.iter().find(|(k, _)| &**k == key).map(|(_, v)| v)
    }

    pub fn pairs(&self) -> &[Pair] {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Sets `key` to `value`, or removes it with `None`: whether anything changed.
    pub fn set(&mut self, key: &Arc<str>, value: Option<Arc<str>>) -> Result<bool, Refused> {
        let at = self.0.iter().position(|(k, _)| k == key);
        match (at, value) {
            (Some(i), Some(v)) => Ok(std::mem::replace(&mut self.0[i].1, v) != self.0[i].1),
            (Some(i), None) => {
                self.0.remove(i);
                Ok(true)
            }
            (None, Some(_)) if self.0.len() >= MAX_KEYS => Err(Refused::Full),
            (None, Some(v)) => {
                self.0.push((key.clone(), v));
                Ok(true)
            }
            (None, None) => Ok(false),
        }
    }

    /// The pairs of another node's snapshot, checked as if each were set here: keys that
    /// would be refused, values too long, and pairs past [`MAX_KEYS`] are left out.
    pub fn from_pairs(pairs: &[Pair]) -> Metadata {
        let mut metadata = Metadata::default();
        for (raw, value) in pairs {
            if let (Some(k), true) = (key(raw), value_fits(value)) {
                let _ = metadata.set(&k, Some(value.clone()));
            }
        }
        metadata
    }

    /// Removes every pair: the keys removed.
    pub fn clear(&mut self) -> Vec<Arc<str>> {
        std::mem::take(&mut self.0)
            .into_iter()
            .map(|(k, _)| k)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_checked_and_folded() {
        assert_eq!(key("Display-Name").as_deref(), Some("display-name"));
        assert_eq!(key("a.b:c_d").as_deref(), Some("a.b:c_d"));
        assert_eq!(key(""), None);
        assert_eq!(key(":x"), None);
        assert_eq!(key("a b"), None);
        assert_eq!(key("é"), None);
        assert_eq!(key(&"k".repeat(MAX_KEY_BYTES + 1)), None);
    }

    #[test]
    fn set_replace_remove_and_bound() {
        let mut m = Metadata::default();
        let k = |s: &str| -> Arc<str> { Arc::from(s) };
        assert_eq!(m.set(&k("a"), Some(k("1"))), Ok(true));
        assert_eq!(m.set(&k("a"), Some(k("1"))), Ok(false));
        assert_eq!(m.set(&k("a"), Some(k("2"))), Ok(true));
        assert_eq!(m.get("a").map(|v| &**v), Some("2"));
        assert_eq!(m.set(&k("a"), None), Ok(true));
        assert_eq!(m.set(&k("a"), None), Ok(false));
        for i in 0..MAX_KEYS {
            assert_eq!(m.set(&k(&i.to_string()), Some(k("v"))), Ok(true));
        }
        assert_eq!(m.set(&k("one-more"), Some(k("v"))), Err(Refused::Full));
        assert_eq!(m.clear().len(), MAX_KEYS);
        assert!(m.is_empty());
    }
}
