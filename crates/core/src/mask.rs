//! Ban masks: `nick!user@host` patterns with `*` and `?` wildcards, matched without regard
//! to ASCII case (IRC's `+b`). Owned by the core because bans are channel state.

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
