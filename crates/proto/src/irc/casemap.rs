//! IRC name rules as the wire sees them: `CASEMAPPING=ascii` folding and channel-name
//! shape. (Which names confab accepts, and ban masks, are `core`'s business; these only
//! answer the protocol's questions.)

use std::borrow::Cow;

/// The `CHANNELLEN` confab advertises unless configured otherwise (ergo's default).
pub const DEFAULT_CHANNEL_LEN: usize = 64;

/// Folds a nick or channel for comparison under `CASEMAPPING=ascii`: `A-Z` become
/// `a-z`, nothing else changes. Borrows when there is nothing to fold.
pub fn fold_ascii(name: &str) -> Cow<'_, str> {
    if name.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(name.to_ascii_lowercase())
    } else {
        Cow::Borrowed(name)
    }
}

/// True if two names are the same under `CASEMAPPING=ascii`.
pub fn eq_fold(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// True if `name` can be a channel on the wire: `#` then at least one more byte, at most
/// `max_len` bytes (`CHANNELLEN`) in all, and no space, comma (the list separator) or BEL
/// (`^G`, refused since RFC 1459). NUL, CR and LF cannot be in a parsed parameter, but
/// are refused too in case the name came from elsewhere.
pub fn is_channel_name(name: &str, max_len: usize) -> bool {
    name.len() > 1
        && name.len() <= max_len
        && name.starts_with('#')
        && !name.contains([' ', ',', '\x07', '\0', '\r', '\n'])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_is_ascii_only() {
        assert_eq!(fold_ascii("Alice[]"), "alice[]");
        assert_eq!(fold_ascii("ÉCOLE"), "École");
        assert!(matches!(fold_ascii("bob"), Cow::Borrowed("bob")));
        assert!(eq_fold("#Chan", "#cHAN"));
        assert!(!eq_fold("[a]", "{a}"));
    }

    #[test]
    fn channel_names() {
        assert!(is_channel_name("#rust", DEFAULT_CHANNEL_LEN));
        assert!(is_channel_name("#ünïcode", DEFAULT_CHANNEL_LEN));
        assert!(!is_channel_name("#", DEFAULT_CHANNEL_LEN));
        assert!(!is_channel_name("rust", DEFAULT_CHANNEL_LEN));
        assert!(!is_channel_name("&local", DEFAULT_CHANNEL_LEN));
        assert!(!is_channel_name("#a b", DEFAULT_CHANNEL_LEN));
        assert!(!is_channel_name("#a,#b", DEFAULT_CHANNEL_LEN));
        assert!(!is_channel_name("#bell\x07", DEFAULT_CHANNEL_LEN));
        assert!(is_channel_name("#abcd", 5));
        assert!(!is_channel_name("#abcde", 5));
    }
}
