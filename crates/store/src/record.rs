//! The rows the store writes (`Record`) and hands back (`Stored`). Bodies are opaque: the
//! store never looks inside the serialized event.

use std::borrow::Cow;

use rusqlite::Row;

/// What the writer is handed: each item gives up the rows it is stored as (none for what
/// history does not keep, one per room for an event of several rooms) when its batch is
/// committed, and is then handed on.
pub trait Keep: Send + 'static {
    /// Moves this item's rows into `into`.
    fn take_rows(&mut self, into: &mut Vec<Record>);

    /// Moves this item's changes to what is stored into `into`, committed with the rows
    /// (after them). Most items make none.
    fn take_edits(&mut self, _into: &mut Vec<Edit>) {}
}

/// A change to what is stored, other than a new row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    /// Forgets every row of the event with this msgid (a redacted message), and the
    /// pending delivery of it.
    Erase([u8; 16]),
    /// Moves an account's read mark on a target forward to `at_ms` (never back).
    ReadMark {
        account: String,
        target: String,
        at_ms: i64,
    },
    /// Files a room's conversation, and the read marks on it, under another room key (a
    /// renamed room): `from` and `to` are room keys, read marks' targets `#` and the key.
    /// A conversation already kept under `to` (a room of that name before) and this one
    /// become one.
    MoveRoom { from: String, to: String },
}

/// An item with its row (or none): for tools, tests and benchmarks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WithRecord<P>(pub Option<Record>, pub P);

impl<P: Send + 'static> Keep for WithRecord<P> {
    fn take_rows(&mut self, into: &mut Vec<Record>) {
        into.extend(self.0.take());
    }
}

/// One row of an event to persist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Chronological (byte order is time order) and unique within a conversation: an event
    /// of several rooms (a quit) has one row per room, all with its msgid.
    pub msgid: [u8; 16],
    /// When the event was first made, unix milliseconds.
    pub at_ms: i64,
    /// The room key, or for a direct message one of the two parties' keys.
    pub target: String,
    /// `None` for a room event; the other party for a direct message. The writer stores
    /// the pair smaller key first, whichever way round it is given.
    pub peer: Option<String>,
    /// "privmsg", "notice", "join", ...: opaque to the store.
    pub kind: Cow<'static, str>,
    pub author: String,
    pub account: Option<String>,
    /// The message text, `None` for kinds without one.
    pub text: Option<String>,
    /// The serialized event.
    pub body: Vec<u8>,
    /// An offline account this direct message waits for; stored as a `pending` row in the
    /// same transaction as the event.
    pub pending_for: Option<String>,
}

/// One stored event, as queries return it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub id: i64,
    pub msgid: [u8; 16],
    pub at_ms: i64,
    pub kind: String,
    pub author: String,
    pub account: Option<String>,
    pub text: Option<String>,
    pub body: Vec<u8>,
}

/// The columns `Stored::from_row` reads, in order, for `SELECT {STORED_COLUMNS} FROM events`.
pub(crate) const STORED_COLUMNS: &str = "id, msgid, at_ms, kind, author, account, text, body";

impl Stored {
    pub(crate) fn from_row(row: &Row<'_>) -> rusqlite::Result<Stored> {
        Ok(Stored {
            id: row.get(0)?,
            msgid: row.get(1)?,
            at_ms: row.get(2)?,
            kind: row.get(3)?,
            author: row.get(4)?,
            account: row.get(5)?,
            text: row.get(6)?,
            body: row.get(7)?,
        })
    }
}
