//! Who did something, as others see them ([`Peer`]), and how a peer is read back from a
//! stored or remote event (its protocol name interned, bounded).

use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use crate::name::Name;

/// Who did something, as others see them: the name, the protocol they came with, and the
/// `user@host` IRC shows (classroom users appear as `name!name@<origin>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Peer {
    pub name: Name,
    pub origin: &'static str,
    /// The IRC user name; `None` means the same as the name.
    pub user: Option<Arc<str>>,
    pub host: Arc<str>,
    /// The IRC real name (USER's last parameter); `None` for classroom users. IRC's
    /// extended-join shows it on every JOIN.
    pub realname: Option<Arc<str>>,
    /// The account the user was logged in to when the event was made (IRC's
    /// `account-tag` and `extended-join` show it); `None` when not logged in.
    pub account: Option<Name>,
    /// Whether the user had marked themself a bot (IRC user mode `+B`; IRC's `bot` tag
    /// shows it). Left out of what is stored when false, as most are.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub bot: bool,
}

impl Peer {
    /// A classroom user: `name!name@origin`.
    pub fn classroom(name: Name, origin: &'static str) -> Peer {
        Peer {
            name,
            origin,
            user: None,
            host: Arc::from(origin),
            realname: None,
            account: None,
            bot: false,
        }
    }

    pub fn user(&self) -> &str {
        self.user.as_deref().unwrap_or(self.name.as_str())
    }

    /// The real name, or the name when none was given.
    pub fn realname(&self) -> &str {
        self.realname.as_deref().unwrap_or(self.name.as_str())
    }
}

/// A [`Peer`] as it is read back: its protocol's name owned, until [`intern`] gives the
/// `&'static str` that a peer carries.
#[derive(Deserialize)]
struct PeerWire {
    name: Name,
    origin: String,
    user: Option<Arc<str>>,
    host: Arc<str>,
    realname: Option<Arc<str>>,
    /// Absent from events stored before accounts existed.
    #[serde(default)]
    account: Option<Name>,
    /// Absent from events stored before bot mode existed, and from every non-bot's.
    #[serde(default)]
    bot: bool,
}

impl<'de> Deserialize<'de> for Peer {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Peer, D::Error> {
        let wire = PeerWire::deserialize(deserializer)?;
        Ok(Peer {
            name: wire.name,
            origin: intern(&wire.origin),
            user: wire.user,
            host: wire.host,
            realname: wire.realname,
            account: wire.account,
            bot: wire.bot,
        })
    }
}

/// A protocol's name as a `&'static str`. A stored or remote event names few (one per
/// protocol), so each distinct one is kept once for the life of the process; past a small
/// bound an unknown one reads as `"unknown"`, so a hostile peer cannot make it keep more.
fn intern(text: &str) -> &'static str {
    const KEPT_MAX: usize = 64;
    static KEPT: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());
    let mut kept = KEPT.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(&known) = kept.iter().find(|&&k| k == text) {
        return known;
    }
    if kept.len() >= KEPT_MAX {
        return "unknown";
    }
    let leaked: &'static str = Box::leak(text.to_owned().into_boxed_str());
    kept.push(leaked);
    leaked
}
