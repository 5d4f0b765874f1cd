//! `STATUSMSG`: a channel target with a membership prefix (`@#room`, `+#room`) names the
//! room's members of that rank alone. This file owns the prefixes, both ways.

use confab_core::{Name, Rank};

/// Each rank with its prefix, highest first; ISUPPORT's `STATUSMSG` lists them in this order.
const PREFIXES: [(Rank, char); 2] = [(Rank::Op, '@'), (Rank::Voice, '+')];

/// The value of ISUPPORT's `STATUSMSG` token: `@+`.
pub fn token() -> String {
    PREFIXES.iter().map(|(_, prefix)| prefix).collect()
}

/// A message target with its status prefix split off: `@#room` is `(Some(Op), "#room")`,
/// anything else comes back whole.
pub fn split(target: &str) -> (Option<Rank>, &str) {
    let mut chars = target.chars();
    let first = chars.next();
    let rank = PREFIXES.iter().find(|(_, p)| Some(*p) == first);
    match rank {
        Some((rank, _)) if chars.as_str().starts_with('#') => (Some(*rank), chars.as_str()),
        _ => (None, target),
    }
}

/// The channel as a message for `rank` names it: `#room`, `@#room`, `+#room`.
pub fn channel(room: &Name, rank: Option<Rank>) -> String {
    let prefix = PREFIXES.iter().find(|(r, _)| Some(*r) == rank);
    match prefix {
        Some((_, p)) => format!("{p}#{room}"),
        None => format!("#{room}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_split_off_and_come_back() {
        assert_eq!(token(), "@+");
        assert_eq!(split("@#ops"), (Some(Rank::Op), "#ops"));
        assert_eq!(split("+#ops"), (Some(Rank::Voice), "#ops"));
        assert_eq!(split("#ops"), (None, "#ops"));
        assert_eq!(split("@nick"), (None, "@nick"));
        assert_eq!(split("@"), (None, "@"));
        assert_eq!(split("@@#x"), (None, "@@#x"));
        let room = Name::parse("ops", 32).unwrap();
        assert_eq!(channel(&room, Some(Rank::Op)), "@#ops");
        assert_eq!(channel(&room, Some(Rank::Voice)), "+#ops");
        assert_eq!(channel(&room, None), "#ops");
    }
}
