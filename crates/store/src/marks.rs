//! Read marks (IRC `draft/read-marker`): written by the history writer (`Edit::ReadMark`,
//! only ever forward), read back whole when the server starts.

use crate::db::Database;
use crate::error::StoreError;

/// One account's mark on one target, as stored: keys as the server gives them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadMarkRow {
    pub account: String,
    pub target: String,
    pub at_ms: i64,
}

impl Database {
    /// Every stored read mark, by account and target.
    pub fn read_marks(&self) -> Result<Vec<ReadMarkRow>, StoreError> {
        self.with("read the read marks", |conn| {
            let mut stmt = conn.prepare(
                "SELECT account, target, at_ms FROM read_marks ORDER BY account, target",
            )?;
            let rows = stmt.query_map([], |row| {
                Ok(ReadMarkRow {
                    account: row.get(0)?,
                    target: row.get(1)?,
                    at_ms: row.get(2)?,
                })
            })?;
            rows.collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::fixtures::{record, write_each};

    /// Every stored mark as (account, target, at_ms).
    fn stored_marks(db: &crate::Database) -> Vec<(String, String, i64)> {
        let marks = db.read_marks().unwrap().into_iter();
        marks.map(|r| (r.account, r.target, r.at_ms)).collect()
    }

    use crate::{DataDir, Edit, Keep, Record};

    /// An item with rows and edits, as the server's history stage submits.
    struct Item(Vec<Record>, Vec<Edit>);

    impl Keep for Item {
        fn take_rows(&mut self, into: &mut Vec<Record>) {
            into.append(&mut self.0);
        }
        fn take_edits(&mut self, into: &mut Vec<Edit>) {
            into.append(&mut self.1);
        }
    }

    /// Message `n` in `#a`, kept for bob, who is away.
    fn said(n: u8) -> Record {
        Record {
            pending_for: Some("bob".into()),
            ..record(n, "ann")
        }
    }

    fn mark(account: &str, target: &str, at_ms: i64) -> Edit {
        Edit::ReadMark {
            account: account.into(),
            target: target.into(),
            at_ms,
        }
    }

    #[test]
    fn an_erased_event_is_gone_and_read_marks_only_move_forward() {
        let tmp = tempfile::tempdir().unwrap();
        let db = DataDir::open(tmp.path()).unwrap().database().unwrap();
        let items = vec![
            Item(vec![said(1), said(2)], vec![mark("amy", "#a", 50)]),
            Item(vec![], vec![Edit::Erase([1; 16]), mark("amy", "#a", 40)]),
            Item(vec![], vec![mark("amy", "bob", 7), mark("amy", "#a", 60)]),
        ];
        write_each(&db, items);
        assert_eq!(db.event_count().unwrap(), 1);
        assert_eq!(db.reader().unwrap().take_pending("bob").unwrap().len(), 1);
        assert_eq!(
            stored_marks(&db),
            [
                ("amy".into(), "#a".into(), 60),
                ("amy".into(), "bob".into(), 7)
            ]
        );
    }

    /// A row of room `room` (a room key, as the server stores it), or of a direct
    /// conversation with `peer`.
    fn row(n: u8, target: &str, peer: Option<&str>) -> Record {
        Record {
            target: target.into(),
            peer: peer.map(Into::into),
            pending_for: None,
            ..said(n)
        }
    }

    #[test]
    fn a_moved_room_keeps_its_history_and_read_marks_under_the_new_key() {
        use crate::{Bound, Conversation};
        let tmp = tempfile::tempdir().unwrap();
        let db = DataDir::open(tmp.path()).unwrap().database().unwrap();
        let rows = vec![
            row(1, "old", None),
            // The same event (a quit) in both rooms, and a direct conversation with a
            // user whose key is the room's: neither is lost nor moved.
            row(2, "old", None),
            row(2, "new", None),
            row(3, "old", Some("amy")),
        ];
        let marks = vec![
            mark("amy", "#old", 50),
            mark("amy", "#new", 70),
            mark("bob", "#old", 9),
        ];
        let moved = Edit::MoveRoom {
            from: "old".into(),
            to: "new".into(),
        };
        write_each(&db, vec![Item(rows, marks), Item(vec![], vec![moved])]);
        let reader = db.reader().unwrap();
        let ids = |conv: Conversation| -> Vec<u8> {
            let rows = reader.before(&conv, Bound::Time(i64::MAX), 10).unwrap();
            rows.iter().map(|r| r.msgid[0]).collect()
        };
        assert_eq!(ids(Conversation::Room("new".into())), [1, 2]);
        assert!(ids(Conversation::Room("old".into())).is_empty());
        assert_eq!(ids(Conversation::direct("old", "amy")), [3]);
        assert_eq!(
            stored_marks(&db),
            [
                ("amy".into(), "#new".into(), 70),
                ("bob".into(), "#new".into(), 9)
            ]
        );
    }
}
