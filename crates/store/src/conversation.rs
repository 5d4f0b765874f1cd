//! What a history query is about (`Conversation`) and where it starts or stops (`Bound`),
//! and how a bound becomes a position in a conversation's `(at_ms, msgid)` order.

/// A room, or a direct conversation between two account or nick keys.
///
/// `Direct` is order-insensitive: `Direct(a, b)` and `Direct(b, a)` are one conversation,
/// stored with the smaller key as `target` and the larger as `peer`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Conversation {
    Room(String),
    Direct(String, String),
}

impl Conversation {
    /// A direct conversation with its keys in stored order (smaller first), so two values
    /// for the same pair compare equal.
    pub fn direct(a: impl Into<String>, b: impl Into<String>) -> Conversation {
        let (a, b) = (a.into(), b.into());
        if b < a {
            Conversation::Direct(b, a)
        } else {
            Conversation::Direct(a, b)
        }
    }

    /// The stored `(target, peer)` columns of this conversation.
    pub(crate) fn columns(&self) -> (&str, Option<&str>) {
        match self {
            Conversation::Room(room) => (room, None),
            Conversation::Direct(a, b) if b < a => (b, Some(a)),
            Conversation::Direct(a, b) => (a, Some(b)),
        }
    }
}

/// One end of a history query: a stored message's id, or a time in unix milliseconds.
/// Bounds are exclusive except where a query says otherwise (`around`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    MsgId([u8; 16]),
    Time(i64),
}

/// A place in a conversation's `(at_ms, msgid)` order, compared the way SQLite compares
/// the row value `(at_ms, msgid)`: integer first, then blob bytes, shorter first on a tie.
pub(crate) type Edge = (i64, Vec<u8>);

/// A bound that was found in the conversation (or is a time).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Resolved {
    Row(i64, [u8; 16]),
    Time(i64),
}

impl Resolved {
    /// Messages after this bound are those greater than this edge. For a time that is
    /// "after every msgid at that millisecond", a blob longer than any 16-byte msgid.
    pub(crate) fn after_edge(&self) -> Edge {
        match self {
            Resolved::Row(at, id) => (*at, id.to_vec()),
            Resolved::Time(t) => (*t, vec![0xff; 17]),
        }
    }

    /// Messages before this bound are those less than this edge; messages at or after it
    /// are the others. For a time that is "before every msgid", the empty blob.
    pub(crate) fn before_edge(&self) -> Edge {
        match self {
            Resolved::Row(at, id) => (*at, id.to_vec()),
            Resolved::Time(t) => (*t, Vec::new()),
        }
    }
}

/// The edge below every message (use with `>=`).
pub(crate) fn first_edge() -> Edge {
    (i64::MIN, Vec::new())
}

/// The edge above every message (use with `<`).
pub(crate) fn last_edge() -> Edge {
    (i64::MAX, vec![0xff; 17])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn direct_is_order_insensitive() {
        assert_eq!(
            Conversation::direct("bob", "alice"),
            Conversation::Direct("alice".into(), "bob".into())
        );
        assert_eq!(
            Conversation::Direct("bob".into(), "alice".into()).columns(),
            ("alice", Some("bob"))
        );
        assert_eq!(Conversation::Room("#a".into()).columns(), ("#a", None));
    }

    #[test]
    fn a_time_edge_brackets_every_msgid_at_that_millisecond() {
        let t = Resolved::Time(5);
        let any = (5, vec![0xff; 16]);
        let zero = (5, vec![0; 16]);
        assert!(t.after_edge() > any && t.before_edge() < zero);
        assert!(first_edge() < (i64::MIN, vec![0; 16]));
        assert!(last_edge() > (i64::MAX, vec![0xff; 16]));
    }
}
