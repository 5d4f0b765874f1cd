//! Validated names for users and rooms, and the one case-folding rule that makes them unique.
//!
//! A name is shown exactly as typed but compared ASCII-case-insensitively, so `Bob` and
//! `bob` are the same user on every protocol (IRC's `CASEMAPPING=ascii`).

use std::borrow::Borrow;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// The default longest user name (docs/protocols/common.md: 1 to 20 characters, configurable up to 32).
pub const DEFAULT_USER_NAME_MAX: usize = 20;
/// The longest room name (docs/protocols/common.md: room names follow the same rules, up to 32).
pub const ROOM_NAME_MAX: usize = 32;
/// The ceiling for a configured user-name limit.
pub const NAME_MAX_CEILING: usize = 32;

/// Why a string is not a valid name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("name is empty")]
    Empty,
    #[error("name is longer than {0} characters")]
    TooLong(usize),
    #[error("name must not start with a digit or '-'")]
    BadStart,
    #[error("name may only hold letters, digits and _-[]\\^{{}}|`")]
    BadCharacter,
}

/// A user or room name that passed the rules: cheap to clone, shown as typed.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Name(Arc<str>);

impl Name {
    /// Checks `text` against the rules with `max` characters at most.
    pub fn parse(text: &str, max: usize) -> Result<Name, NameError> {
        validate(text, max)?;
        Ok(Name(Arc::from(text)))
    }

    /// Checks a room name (the same rules, up to [`ROOM_NAME_MAX`] characters).
    pub fn room(text: &str) -> Result<Name, NameError> {
        Name::parse(text, ROOM_NAME_MAX)
    }

    /// The name as its owner typed it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The folded form used to find this name in a map.
    pub fn folded(&self) -> &Folded {
        Folded::new(&self.0)
    }

    /// A key that compares this name without regard to ASCII case.
    pub fn key(&self) -> NameKey {
        NameKey(self.clone())
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl AsRef<str> for Name {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl serde::Serialize for Name {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// A name read back (from history or another node) passes the rules again, with the
/// longest limit a server may configure.
impl<'de> serde::Deserialize<'de> for Name {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<str>::deserialize(deserializer)?;
        Name::parse(&text, NAME_MAX_CEILING).map_err(serde::de::Error::custom)
    }
}

fn validate(text: &str, max: usize) -> Result<(), NameError> {
    let bytes = text.as_bytes();
    let Some(&first) = bytes.first() else {
        return Err(NameError::Empty);
    };
    // Every allowed character is ASCII, so bytes and characters count alike once checked.
    if !bytes.iter().all(|&b| is_name_byte(b)) {
        return Err(NameError::BadCharacter);
    }
    if first.is_ascii_digit() || first == b'-' {
        return Err(NameError::BadStart);
    }
    if bytes.len() > max {
        return Err(NameError::TooLong(max));
    }
    Ok(())
}

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"_-[]\\^{}|`".contains(&b)
}

/// A string seen through ASCII case folding: the borrowed form of [`NameKey`], so a map of
/// keys can be searched with a plain `&str` without allocating.
#[repr(transparent)]
pub struct Folded(str);

impl Folded {
    pub fn new(text: &str) -> &Folded {
        // SAFETY: `Folded` is `repr(transparent)` over `str`, so the layouts are identical.
        unsafe { &*(text as *const str as *const Folded) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl PartialEq for Folded {
    fn eq(&self, other: &Self) -> bool {
        self.0.eq_ignore_ascii_case(&other.0)
    }
}

impl Eq for Folded {}

impl Hash for Folded {
    fn hash<H: Hasher>(&self, state: &mut H) {
        for b in self.0.bytes() {
            state.write_u8(b.to_ascii_lowercase());
        }
        state.write_u8(0xff);
    }
}

/// A name as a map key: equal and hashed without regard to ASCII case.
#[derive(Clone)]
pub struct NameKey(Name);

impl NameKey {
    pub fn name(&self) -> &Name {
        &self.0
    }
}

impl PartialEq for NameKey {
    fn eq(&self, other: &Self) -> bool {
        self.0.folded() == other.0.folded()
    }
}

impl Eq for NameKey {}

impl Hash for NameKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.folded().hash(state)
    }
}

impl Borrow<Folded> for NameKey {
    fn borrow(&self) -> &Folded {
        self.0.folded()
    }
}

impl fmt::Debug for NameKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn accepts_irc_style_names() {
        for ok in ["A", "bob", "x_1", "[w]", "a-b", "^_^", "`q`", "{a}|\\"] {
            assert_eq!(Name::parse(ok, 20).unwrap().as_str(), ok);
        }
    }

    #[test]
    fn rejects_bad_names_with_the_reason() {
        assert_eq!(Name::parse("", 20), Err(NameError::Empty));
        assert_eq!(Name::parse("1abc", 20), Err(NameError::BadStart));
        assert_eq!(Name::parse("-abc", 20), Err(NameError::BadStart));
        assert_eq!(Name::parse("a b", 20), Err(NameError::BadCharacter));
        assert_eq!(Name::parse("é", 20), Err(NameError::BadCharacter));
        assert_eq!(Name::parse("a!", 20), Err(NameError::BadCharacter));
        assert_eq!(
            Name::parse(&"a".repeat(21), 20),
            Err(NameError::TooLong(20))
        );
        assert!(Name::parse(&"a".repeat(20), 20).is_ok());
    }

    #[test]
    fn keys_fold_ascii_case_and_names_keep_it() {
        let bob = Name::parse("Bob", 20).unwrap();
        let mut map = HashMap::new();
        map.insert(bob.key(), 1);
        assert_eq!(map.get(Folded::new("bOB")), Some(&1));
        assert_eq!(map.get(Folded::new("bo")), None);
        assert_eq!(bob.to_string(), "Bob");
        assert!(Name::parse("bob", 20).unwrap().key() == bob.key());
    }
}
