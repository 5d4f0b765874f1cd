//! Test fixtures shared by the store's unit tests: a stored message row, and a writer run
//! to the end over a list of items.

use std::sync::mpsc;

use crate::{Database, Keep, Record, Writer, WriterConfig};

/// A room message `n` (msgid `[n; 16]`, at `n` ms) in `#a` by `author`.
pub(crate) fn record(n: u8, author: &str) -> Record {
    Record {
        msgid: [n; 16],
        at_ms: i64::from(n),
        target: "#a".into(),
        peer: None,
        kind: "privmsg".into(),
        author: author.into(),
        account: None,
        text: Some("hi".into()),
        body: Vec::new(),
        pending_for: None,
    }
}

/// Writes `items` with a default writer, one batch each (each waited for, so they commit
/// in order), then shuts the writer down.
pub(crate) fn write_each<T: Keep + Send + 'static>(db: &Database, items: Vec<T>) {
    let (tx, rx) = mpsc::channel();
    let writer = Writer::spawn(db, WriterConfig::default(), move |batch: Vec<T>| {
        tx.send(batch.len()).unwrap();
    })
    .unwrap();
    for item in items {
        writer.submit(item);
        rx.recv().unwrap();
    }
    writer.shutdown();
}
