//! Ban masks: `nick!user@host` patterns with `*` and `?` wildcards, matched without regard
//! to ASCII case (IRC's `+b`), and the [`Mask`] a room's lists hold: such a pattern or an
//! account's. Owned by the core because bans are channel state; how a protocol writes a
//! mask (IRC's `a:` extban) is that protocol's.

use serde::{Deserialize, Serialize};

use crate::name::Name;

/// Whom an entry of a room's lists (bans, exceptions, mutes) matches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Mask {
    /// `nick!user@host` with `*` and `?`.
    Host(String),
    /// Whoever is logged in to an account whose name matches this pattern (`*` and `?`);
    /// never a user logged in to none, whatever their name.
    Account(String),
}

/// What a [`Mask`] is matched against: a user's `nick!user@host` and account.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identity {
    pub hostmask: String,
    pub account: Option<Name>,
}

impl Mask {
    pub fn matches(&self, who: &Identity) -> bool {
        match self {
            Mask::Host(mask) => mask_matches(mask, &who.hostmask),
            Mask::Account(pattern) => who
                .account
                .as_ref()
                .is_some_and(|a| mask_matches(pattern, a.as_str())),
        }
    }

    /// Whether two masks are the same entry, written alike but for ASCII case: a list
    /// holds each once, and removing one removes it however it is cased.
    pub fn same(&self, other: &Mask) -> bool {
        match (self, other) {
            (Mask::Host(a), Mask::Host(b)) | (Mask::Account(a), Mask::Account(b)) => {
                a.eq_ignore_ascii_case(b)
            }
            _ => false,
        }
    }
}

/// A hostmask pattern, the usual kind.
impl From<&str> for Mask {
    fn from(mask: &str) -> Mask {
        Mask::Host(mask.to_string())
    }
}

/// True if `target` (usually `nick!user@host`) matches `mask`, where `*` matches any
/// run of characters (also none) and `?` exactly one, ignoring ASCII case, as for `+b`.
///
/// Greedy with one backtrack point (the last `*`), so it runs in O(mask x target) at
/// worst and never recurses, whatever a client puts in a ban.
pub fn mask_matches(mask: &str, target: &str) -> bool {
    let (mut m, mut t) = (mask, target);
    // Where to resume after the last `*`: the mask after it, the target it must skip.
    let mut star: Option<(&str, &str)> = None;
    loop {
        if let Some(after) = m.strip_prefix('*') {
            m = after;
            star = Some((m, t));
            continue;
        }
        let Some(tc) = t.chars().next() else {
            return m.chars().all(|c| c == '*');
        };
        if let Some(mc) = m.chars().next() {
            if mc == '?' || mc.eq_ignore_ascii_case(&tc) {
                m = &m[mc.len_utf8()..];
                t = &t[tc.len_utf8()..];
                continue;
            }
        }
        // Mismatch: let the last `*` swallow one more character, or give up.
        let Some((star_m, star_t)) = star else {
            return false;
        };
        let Some(skipped) = star_t.chars().next() else {
            return false;
        };
        let star_t = &star_t[skipped.len_utf8()..];
        star = Some((star_m, star_t));
        m = star_m;
        t = star_t;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn masks() {
        assert!(mask_matches("*!*@*", "nick!user@host"));
        assert!(mask_matches("*", ""));
        assert!(mask_matches("nick!*@*", "NICK!u@h"));
        assert!(mask_matches("*!*@*.example.com", "a!b@irc.EXAMPLE.com"));
        assert!(!mask_matches("*!*@*.example.com", "a!b@example.com"));
        assert!(mask_matches("b?b!*@*", "bob!x@y"));
        assert!(!mask_matches("b?b!*@*", "bb!x@y"));
        assert!(
            mask_matches("?!*@*", "é!x@y"),
            "? is one character, not one byte"
        );
        assert!(mask_matches("a*b*c", "aXXbYYbZZc"));
        assert!(!mask_matches("a*b*c", "aXXbYYbZZ"));
        assert!(mask_matches("**a**", "xxa"));
        assert!(!mask_matches("", "x"));
        assert!(mask_matches("", ""));
        assert!(!mask_matches("abc", "ab"));
    }

    #[test]
    fn account_masks_match_accounts_never_names() {
        let bob = Name::parse("Bob", 20).ok();
        let logged_in = Identity {
            hostmask: "carol!c@h".into(),
            account: bob.clone(),
        };
        let named_bob = Identity {
            hostmask: "bob!b@h".into(),
            account: None,
        };
        let mask = Mask::Account("bob".into());
        assert!(mask.matches(&logged_in));
        assert!(!mask.matches(&named_bob));
        assert!(Mask::Account("b*".into()).matches(&logged_in));
        assert!(Mask::from("bob!*@*").matches(&named_bob));
        assert!(!Mask::from("bob!*@*").matches(&logged_in));
        assert!(mask.same(&Mask::Account("BOB".into())));
        assert!(!mask.same(&Mask::from("bob")));
    }

    #[test]
    fn hostile_masks_stay_fast() {
        let mask = "*a".repeat(200) + "b";
        let target = "a".repeat(400);
        assert!(!mask_matches(&mask, &target));
    }

    /// A plain recursive matcher to check the iterative one against.
    fn reference(mask: &[char], target: &[char]) -> bool {
        match (mask.first(), target.first()) {
            (None, None) => true,
            (Some('*'), _) => {
                reference(&mask[1..], target)
                    || (!target.is_empty() && reference(mask, &target[1..]))
            }
            (Some(m), Some(t)) if *m == '?' || m.eq_ignore_ascii_case(t) => {
                reference(&mask[1..], &target[1..])
            }
            _ => false,
        }
    }

    proptest! {
        #[test]
        fn matches_the_reference(mask in "[ab*?é]{0,8}", target in "[aAbé]{0,8}") {
            let (m, t): (Vec<char>, Vec<char>) = (mask.chars().collect(), target.chars().collect());
            prop_assert_eq!(mask_matches(&mask, &target), reference(&m, &t));
        }
    }
}
