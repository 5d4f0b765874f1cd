//! IRC's notation for the masks of a room's lists: a hostmask completed the usual way
//! (`bob` is `bob!*@*`), or an extban (`EXTBAN=,am`, no prefix): `a:<account>` matches
//! whoever is logged in to that account (`ACCOUNTEXTBAN=a`), and `m:<mask>` in a ban or
//! exception makes it a mute or an exception from mutes.

use confab_core::mask::Mask;

/// The extban letter of a mask naming an account.
pub const ACCOUNT: char = 'a';
/// The extban letter of a mute.
pub const MUTE: char = 'm';
/// `EXTBAN`'s value: no prefix, then the letters.
pub const TOKEN: &str = ",am";

/// Reads a mask of `+b`, `+e`, `+I` or `+q`; `None` for `a:` without an account.
pub fn read(text: &str) -> Option<Mask> {
    match strip(text, ACCOUNT) {
        Some("") => None,
        Some(account) => Some(Mask::Account(account.to_string())),
        None => Some(Mask::Host(complete(text))),
    }
}

/// The text after `<letter>:`, if `text` is that extban.
pub fn strip(text: &str, letter: char) -> Option<&str> {
    text.strip_prefix(letter)?.strip_prefix(':')
}

/// A mask as IRC writes it.
pub fn write(mask: &Mask) -> String {
    match mask {
        Mask::Host(mask) => mask.clone(),
        Mask::Account(account) => format!("{ACCOUNT}:{account}"),
    }
}

/// A mute written as a ban's or an exception's extban: `m:<mask>`.
pub fn write_mute(mask: &Mask) -> String {
    format!("{MUTE}:{}", write(mask))
}

/// Completes a ban mask: `bob` is `bob!*@*`, `u@h` is `*!u@h`, `bob!u` is `bob!u@*`.
fn complete(mask: &str) -> String {
    let star = |s: &str| {
        if s.is_empty() {
            "*".to_string()
        } else {
            s.to_string()
        }
    };
    match mask.split_once('!') {
        Some((nick, rest)) => {
            let (user, host) = rest.split_once('@').unwrap_or((rest, "*"));
            format!("{}!{}@{}", star(nick), star(user), star(host))
        }
        None => match mask.split_once('@') {
            Some((user, host)) => format!("*!{}@{}", star(user), star(host)),
            None => format!("{}!*@*", star(mask)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_are_completed() {
        assert_eq!(complete("bob"), "bob!*@*");
        assert_eq!(complete("bar!*@*"), "bar!*@*");
        assert_eq!(complete("u@h"), "*!u@h");
        assert_eq!(complete("bob!u"), "bob!u@*");
        assert_eq!(complete("!@"), "*!*@*");
    }

    #[test]
    fn account_extbans_read_and_write_back() {
        assert_eq!(read("a:Bob"), Some(Mask::Account("Bob".into())));
        assert_eq!(read("a:"), None);
        assert_eq!(read("bob"), Some(Mask::Host("bob!*@*".into())));
        assert_eq!(write(&Mask::Account("Bob".into())), "a:Bob");
        assert_eq!(write_mute(&Mask::Host("x!*@*".into())), "m:x!*@*");
        assert_eq!(strip("m:a:bob", MUTE), Some("a:bob"));
        assert_eq!(strip("mute", MUTE), None);
    }
}
