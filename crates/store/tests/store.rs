//! confab-store as the server uses it: a temp data directory, records through the writer,
//! every history query on a known data set, pending messages, retention and accounts.
//!
//! Message numbers: a msgid is the event's time (8 bytes, big-endian) then zeros, then the
//! message's number in its last byte, so results are compared as lists of numbers.

use std::collections::HashSet;
use std::fs;
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use confab_store::{
    Bound, Conversation, DataDir, Database, Record, Retention, StoreError, Stored, WithRecord,
    Writer, WriterConfig, WriterHandle, SCHEMA_VERSION,
};
use tempfile::TempDir;

fn msgid(n: u8, at_ms: i64) -> [u8; 16] {
    let mut id = [0; 16];
    id[..8].copy_from_slice(&at_ms.to_be_bytes());
    id[15] = n;
    id
}

fn room_msg(n: u8, at_ms: i64, room: &str) -> Record {
    Record {
        msgid: msgid(n, at_ms),
        at_ms,
        target: room.into(),
        peer: None,
        kind: "privmsg".into(),
        author: "alice".into(),
        account: Some("alice".into()),
        text: Some(format!("message {n}")),
        body: vec![n; 3],
        pending_for: None,
    }
}

/// A direct message from `from` to `to`, given in that order (the writer sorts the pair).
fn dm(n: u8, at_ms: i64, from: &str, to: &str) -> Record {
    Record {
        target: from.into(),
        peer: Some(to.into()),
        author: from.into(),
        ..room_msg(n, at_ms, "unused")
    }
}

fn numbers(stored: &[Stored]) -> Vec<u8> {
    stored.iter().map(|s| s.msgid[15]).collect()
}

fn room(name: &str) -> Conversation {
    Conversation::Room(name.into())
}

fn keep_everything() -> WriterConfig {
    WriterConfig {
        retention: Retention::KEEP_EVERYTHING,
        ..WriterConfig::default()
    }
}

/// A writer whose callback sends each committed batch's payloads, in order, to the
/// returned receiver; the sender goes when the writer's thread ends.
fn forwarding_writer<P: Send + 'static>(
    db: &Database,
    config: WriterConfig,
) -> (WriterHandle<WithRecord<P>>, mpsc::Receiver<Vec<P>>) {
    let (tx, rx) = mpsc::channel();
    let writer = Writer::spawn(db, config, move |batch: Vec<WithRecord<P>>| {
        tx.send(batch.into_iter().map(|row| row.1).collect())
            .unwrap();
    })
    .unwrap();
    (writer, rx)
}

fn open() -> (TempDir, Database) {
    let tmp = tempfile::tempdir().unwrap();
    let db = DataDir::open(tmp.path()).unwrap().database().unwrap();
    (tmp, db)
}

/// Stores `records` through a writer and waits until they are committed.
fn store(db: &Database, records: Vec<Record>) {
    let writer = Writer::spawn(db, keep_everything(), |_: Vec<WithRecord<()>>| {}).unwrap();
    for record in records {
        writer.submit(WithRecord(Some(record), ()));
    }
    writer.shutdown();
}

fn now_ms() -> i64 {
    let since = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    i64::try_from(since.as_millis()).unwrap()
}

// ---------------------------------------------------------------------------------------
// Opening

#[test]
fn a_new_database_is_migrated_and_reopens_with_its_data() {
    let tmp = tempfile::tempdir().unwrap();
    {
        let db = DataDir::open(tmp.path()).unwrap().database().unwrap();
        assert_eq!(db.path(), tmp.path().join("confab.db"));
        assert_eq!(db.schema_version().unwrap(), SCHEMA_VERSION);
        assert!(db
            .create_account("ann", "Ann", "$argon2id$x", false)
            .unwrap());
        store(&db, vec![room_msg(1, 1000, "#a")]);
    }
    let db = DataDir::open(tmp.path()).unwrap().database().unwrap();
    assert_eq!(db.schema_version().unwrap(), SCHEMA_VERSION);
    assert_eq!(db.account("ann").unwrap().unwrap().name, "Ann");
    assert_eq!(db.event_count().unwrap(), 1);
    assert_eq!(db.max_msgid().unwrap(), Some(msgid(1, 1000)));
}

#[test]
fn a_file_that_is_not_sqlite_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("confab.db");
    fs::write(
        &file,
        "this is a shopping list, not a database\n".repeat(100),
    )
    .unwrap();
    let err = DataDir::open(tmp.path()).unwrap().database().unwrap_err();
    assert!(
        matches!(&err, StoreError::NotADatabase { path } if *path == file),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        format!(
            "{} is not a confab database (file is not a database); move it away or use \
             another data directory",
            file.display()
        )
    );
}

#[test]
fn a_database_path_that_cannot_be_opened_names_the_path_and_reason() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("confab.db");
    fs::create_dir(&file).unwrap();
    let err = DataDir::open(tmp.path()).unwrap().database().unwrap_err();
    assert!(matches!(err, StoreError::Sqlite { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!(
            "{0}: could not open the database: unable to open database file: {0}",
            file.display()
        )
    );
}

#[test]
fn the_handles_can_be_shared_between_threads() {
    fn shared<T: Send + Sync>() {}
    shared::<DataDir>();
    shared::<Database>();
    shared::<confab_store::Reader>();
    shared::<confab_store::WriterHandle<Vec<u8>>>();
}

#[test]
fn an_empty_database_has_no_max_msgid() {
    let (_tmp, db) = open();
    assert_eq!(db.max_msgid().unwrap(), None);
    assert_eq!(db.event_count().unwrap(), 0);
}

// ---------------------------------------------------------------------------------------
// The writer

#[test]
fn payloads_are_handed_on_in_order_only_after_their_records_are_committed() {
    let (_tmp, db) = open();
    let reader = db.reader().unwrap();
    let (tx, rx) = mpsc::channel();
    let writer = Writer::spawn(&db, keep_everything(), move |batch: Vec<WithRecord<u8>>| {
        let batch: Vec<u8> = batch.into_iter().map(|row| row.1).collect();
        // Every payload's record must already be readable from another connection.
        let stored = reader.latest(&room("#a"), None, 1000).unwrap();
        let stored: HashSet<u8> = numbers(&stored).into_iter().collect();
        for n in batch {
            tx.send((n, stored.contains(&n))).unwrap();
        }
    })
    .unwrap();
    for n in 1..=200u8 {
        writer.submit(WithRecord(Some(room_msg(n, 1000 + i64::from(n), "#a")), n));
    }
    writer.shutdown();
    let seen: Vec<(u8, bool)> = rx.iter().collect();
    let expected: Vec<(u8, bool)> = (1..=200).map(|n| (n, true)).collect();
    assert_eq!(seen, expected);
}

#[test]
fn items_without_a_record_pass_through_in_order() {
    let (_tmp, db) = open();
    let (writer, rx) = forwarding_writer(&db, keep_everything());
    for n in 0..1000u32 {
        // Every third item is a room event without history (e.g. a typing notice).
        let record = (n % 3 != 0).then(|| Record {
            msgid: msgid(0, i64::from(n)),
            ..room_msg(0, i64::from(n), "#a")
        });
        writer.submit(WithRecord(record, n));
    }
    let stats_handle = writer.clone();
    writer.shutdown();
    assert_eq!(
        rx.iter().flatten().collect::<Vec<u32>>(),
        (0..1000).collect::<Vec<_>>()
    );
    assert_eq!(db.event_count().unwrap(), 666);
    let stats = stats_handle.stats();
    assert_eq!(stats.committed_records, 666);
    assert_eq!(stats.queued, 0);
    assert_eq!(stats.dropped, 0);
}

#[test]
fn shutdown_loses_nothing() {
    let (_tmp, db) = open();
    let (writer, rx) = forwarding_writer::<u32>(&db, keep_everything());
    for n in 0..10_000u32 {
        let mut record = room_msg(0, 1_000_000 + i64::from(n), "#a");
        record.msgid[12..].copy_from_slice(&n.to_be_bytes());
        writer.submit(WithRecord(Some(record), n));
    }
    let stats_handle = writer.clone();
    writer.shutdown();
    assert_eq!(db.event_count().unwrap(), 10_000);
    assert_eq!(rx.iter().map(|batch| batch.len()).sum::<usize>(), 10_000);
    let stats = stats_handle.stats();
    assert_eq!(stats.committed_records, 10_000);
    assert_eq!(stats.failed_commits, 0);
    assert!(
        stats.batches >= 3,
        "batch_max 4096 means at least 3 batches"
    );
}

#[test]
fn dropping_the_last_handle_drains_and_ends_the_thread() {
    let (_tmp, db) = open();
    let (writer, rx) = forwarding_writer(&db, keep_everything());
    for n in 1..=50u8 {
        writer.submit(WithRecord(Some(room_msg(n, i64::from(n), "#a")), n));
    }
    drop(writer);
    // The callback (and its sender) goes with the thread, which ends the iteration.
    let seen: Vec<u8> = rx.iter().flatten().collect();
    assert_eq!(seen, (1..=50).collect::<Vec<_>>());
    assert_eq!(db.event_count().unwrap(), 50);
}

#[test]
fn over_the_queue_limit_records_are_dropped_but_payloads_pass() {
    let (_tmp, db) = open();
    let config = WriterConfig {
        queue_max: 0,
        ..keep_everything()
    };
    let (writer, rx) = forwarding_writer(&db, config);
    for n in 1..=20u8 {
        writer.submit(WithRecord(Some(room_msg(n, i64::from(n), "#a")), n));
    }
    let stats_handle = writer.clone();
    writer.shutdown();
    assert_eq!(
        rx.iter().flatten().collect::<Vec<u8>>(),
        (1..=20).collect::<Vec<_>>()
    );
    assert_eq!(db.event_count().unwrap(), 0);
    assert_eq!(stats_handle.stats().dropped, 20);
}

#[test]
fn a_repeated_msgid_is_skipped_without_failing_its_batch() {
    let (_tmp, db) = open();
    let writer = Writer::spawn(&db, keep_everything(), |_: Vec<WithRecord<()>>| {}).unwrap();
    writer.submit(WithRecord(Some(room_msg(1, 10, "#a")), ()));
    writer.submit(WithRecord(Some(room_msg(1, 10, "#a")), ()));
    writer.submit(WithRecord(Some(room_msg(2, 20, "#a")), ()));
    let stats_handle = writer.clone();
    writer.shutdown();
    let stats = stats_handle.stats();
    assert_eq!((stats.committed_records, stats.duplicates), (2, 1));
    assert_eq!(db.event_count().unwrap(), 2);
}

#[test]
fn submitting_after_shutdown_counts_the_record_as_dropped() {
    let (_tmp, db) = open();
    let writer = Writer::spawn(&db, keep_everything(), |_: Vec<WithRecord<()>>| {}).unwrap();
    let late = writer.clone();
    writer.shutdown();
    late.submit(WithRecord(Some(room_msg(1, 10, "#a")), ()));
    assert_eq!(late.stats().dropped, 1);
    assert_eq!(late.stats().queued, 0);
}

// ---------------------------------------------------------------------------------------
// History queries on a known data set

/// `#a`: 1..=10 at 1000..=10000 ms. `#b`: 21 at 1500, 22 at 2500.
/// alice/bob: 31 at 1100, 32 at 1200, 33 at 1300, written in both orders.
/// alice/carol: 41 at 5100.
fn data_set() -> (TempDir, Database) {
    let (tmp, db) = open();
    let mut records: Vec<Record> = (1..=10u8)
        .map(|n| room_msg(n, i64::from(n) * 1000, "#a"))
        .collect();
    records.push(room_msg(21, 1500, "#b"));
    records.push(room_msg(22, 2500, "#b"));
    records.push(dm(31, 1100, "alice", "bob"));
    records.push(dm(32, 1200, "bob", "alice"));
    records.push(dm(33, 1300, "alice", "bob"));
    records.push(dm(41, 5100, "carol", "alice"));
    store(&db, records);
    (tmp, db)
}

fn id(n: u8) -> Bound {
    let at_ms = match n {
        1..=10 => i64::from(n) * 1000,
        21 => 1500,
        22 => 2500,
        31..=33 => 1000 + 100 * i64::from(n - 30),
        _ => 5100,
    };
    Bound::MsgId(msgid(n, at_ms))
}

#[test]
fn latest_returns_the_newest_oldest_first() {
    let (_tmp, db) = data_set();
    let r = db.reader().unwrap();
    let a = room("#a");
    assert_eq!(numbers(&r.latest(&a, None, 3).unwrap()), [8, 9, 10]);
    assert_eq!(
        numbers(&r.latest(&a, None, 100).unwrap()),
        (1..=10).collect::<Vec<_>>()
    );
    // Exclusive bounds, by msgid and by time.
    assert_eq!(numbers(&r.latest(&a, Some(id(7)), 10).unwrap()), [8, 9, 10]);
    assert_eq!(
        numbers(&r.latest(&a, Some(Bound::Time(7000)), 10).unwrap()),
        [8, 9, 10]
    );
    assert_eq!(numbers(&r.latest(&a, Some(id(3)), 2).unwrap()), [9, 10]);
    assert_eq!(numbers(&r.latest(&a, None, 0).unwrap()), [] as [u8; 0]);
}

#[test]
fn stored_rows_come_back_whole() {
    let (_tmp, db) = data_set();
    let r = db.reader().unwrap();
    let got = r.latest(&room("#b"), None, 1).unwrap();
    assert_eq!(got.len(), 1);
    let s = &got[0];
    assert_eq!(s.msgid, msgid(22, 2500));
    assert_eq!(s.at_ms, 2500);
    assert_eq!(s.kind, "privmsg");
    assert_eq!(s.author, "alice");
    assert_eq!(s.account.as_deref(), Some("alice"));
    assert_eq!(s.text.as_deref(), Some("message 22"));
    assert_eq!(s.body, vec![22; 3]);
}

#[test]
fn a_msgid_from_another_conversation_gives_nothing() {
    let (_tmp, db) = data_set();
    let r = db.reader().unwrap();
    let a = room("#a");
    let unknown = Bound::MsgId(msgid(99, 3000));
    assert!(r.latest(&a, Some(id(21)), 10).unwrap().is_empty());
    assert!(r.before(&a, id(21), 10).unwrap().is_empty());
    assert!(r.after(&a, unknown, 10).unwrap().is_empty());
    assert!(r.around(&a, id(31), 10).unwrap().is_empty());
    assert!(r.between(&a, id(1), unknown, 10).unwrap().is_empty());
}

#[test]
fn before_and_after_exclude_their_bound() {
    let (_tmp, db) = data_set();
    let r = db.reader().unwrap();
    let a = room("#a");
    assert_eq!(numbers(&r.before(&a, id(5), 2).unwrap()), [3, 4]);
    assert_eq!(
        numbers(&r.before(&a, Bound::Time(5000), 10).unwrap()),
        [1, 2, 3, 4]
    );
    assert_eq!(numbers(&r.before(&a, Bound::Time(5001), 1).unwrap()), [5]);
    assert_eq!(numbers(&r.before(&a, id(1), 10).unwrap()), [] as [u8; 0]);
    assert_eq!(numbers(&r.after(&a, id(5), 2).unwrap()), [6, 7]);
    assert_eq!(numbers(&r.after(&a, Bound::Time(9000), 10).unwrap()), [10]);
    assert_eq!(
        numbers(&r.after(&a, Bound::Time(8999), 10).unwrap()),
        [9, 10]
    );
}

#[test]
fn around_takes_half_before_and_the_rest_from_the_bound() {
    let (_tmp, db) = data_set();
    let r = db.reader().unwrap();
    let a = room("#a");
    assert_eq!(numbers(&r.around(&a, id(5), 4).unwrap()), [3, 4, 5, 6]);
    assert_eq!(numbers(&r.around(&a, id(5), 5).unwrap()), [3, 4, 5, 6, 7]);
    assert_eq!(
        numbers(&r.around(&a, Bound::Time(5000), 3).unwrap()),
        [4, 5, 6]
    );
    assert_eq!(
        numbers(&r.around(&a, Bound::Time(5500), 4).unwrap()),
        [4, 5, 6, 7]
    );
    assert_eq!(numbers(&r.around(&a, id(1), 4).unwrap()), [1, 2]);
}

#[test]
fn a_kind_filter_skips_other_kinds_and_counts_only_kept_rows() {
    let (tmp, db) = open();
    let join = |n: u8, at_ms: i64| Record {
        kind: "join".into(),
        text: None,
        ..room_msg(n, at_ms, "#a")
    };
    store(
        &db,
        vec![
            room_msg(1, 1000, "#a"),
            join(2, 2000),
            room_msg(3, 3000, "#a"),
            join(4, 4000),
            room_msg(5, 5000, "#a"),
            join(6, 6000),
        ],
    );
    let all = db.reader().unwrap();
    let r = all.only_kinds(&["privmsg", "notice"]);
    let a = room("#a");
    assert_eq!(numbers(&all.latest(&a, None, 2).unwrap()), [5, 6]);
    assert_eq!(numbers(&r.latest(&a, None, 2).unwrap()), [3, 5]);
    // A bound may be a row the filter leaves out.
    assert_eq!(numbers(&r.before(&a, id_at(4, 4000), 5).unwrap()), [1, 3]);
    assert_eq!(numbers(&r.after(&a, id_at(2, 2000), 1).unwrap()), [3]);
    assert_eq!(numbers(&r.around(&a, id_at(4, 4000), 2).unwrap()), [3, 5]);
    let (first, last) = (id_at(1, 1000), id_at(6, 6000));
    assert_eq!(numbers(&r.between(&a, first, last, 9).unwrap()), [3, 5]);
    drop(tmp);
}

fn id_at(n: u8, at_ms: i64) -> Bound {
    Bound::MsgId(msgid(n, at_ms))
}

#[test]
fn between_is_exclusive_and_works_in_both_directions() {
    let (_tmp, db) = data_set();
    let r = db.reader().unwrap();
    let a = room("#a");
    assert_eq!(
        numbers(&r.between(&a, id(2), id(6), 10).unwrap()),
        [3, 4, 5]
    );
    // Forwards: the first `limit` after a.
    assert_eq!(numbers(&r.between(&a, id(2), id(6), 2).unwrap()), [3, 4]);
    // Backwards: the last `limit` before a, still oldest first.
    assert_eq!(numbers(&r.between(&a, id(6), id(2), 2).unwrap()), [4, 5]);
    assert_eq!(
        numbers(&r.between(&a, id(6), id(2), 10).unwrap()),
        [3, 4, 5]
    );
    let (t2, t6) = (Bound::Time(2000), Bound::Time(6000));
    assert_eq!(numbers(&r.between(&a, t2, t6, 10).unwrap()), [3, 4, 5]);
    assert_eq!(numbers(&r.between(&a, t6, t2, 1).unwrap()), [5]);
    assert_eq!(
        numbers(&r.between(&a, id(2), Bound::Time(4000), 10).unwrap()),
        [3]
    );
    assert_eq!(
        numbers(&r.between(&a, id(4), id(4), 10).unwrap()),
        [] as [u8; 0]
    );
    assert_eq!(
        numbers(&r.between(&a, id(4), id(5), 10).unwrap()),
        [] as [u8; 0]
    );
}

#[test]
fn a_direct_conversation_is_the_same_whichever_way_round() {
    let (_tmp, db) = data_set();
    let r = db.reader().unwrap();
    let ab = Conversation::Direct("alice".into(), "bob".into());
    let ba = Conversation::Direct("bob".into(), "alice".into());
    assert_eq!(numbers(&r.latest(&ab, None, 10).unwrap()), [31, 32, 33]);
    assert_eq!(numbers(&r.latest(&ba, None, 10).unwrap()), [31, 32, 33]);
    assert_eq!(numbers(&r.after(&ba, id(31), 10).unwrap()), [32, 33]);
    let ac = Conversation::direct("carol", "alice");
    assert_eq!(numbers(&r.latest(&ac, None, 10).unwrap()), [41]);
    assert!(r.latest(&room("alice"), None, 10).unwrap().is_empty());
}

#[test]
fn targets_lists_rooms_and_direct_conversations_by_latest_message() {
    let (_tmp, db) = data_set();
    let r = db.reader().unwrap();
    let rooms = vec!["#a".to_string(), "#b".to_string(), "#empty".to_string()];
    let ab = Conversation::direct("alice", "bob");
    let ac = Conversation::direct("alice", "carol");
    let all = vec![
        (ab.clone(), 1300),
        (room("#b"), 2500),
        (ac.clone(), 5100),
        (room("#a"), 10000),
    ];
    assert_eq!(r.targets("alice", &rooms, 0, 20000, 10).unwrap(), all);
    // Forwards keeps the first `limit`, backwards the last.
    assert_eq!(r.targets("alice", &rooms, 0, 20000, 2).unwrap(), all[..2]);
    assert_eq!(r.targets("alice", &rooms, 20000, 0, 2).unwrap(), all[2..]);
    // Exclusive times; each conversation's latest inside the window.
    assert_eq!(
        r.targets("alice", &rooms, 1200, 5100, 10).unwrap(),
        [(ab.clone(), 1300), (room("#b"), 2500), (room("#a"), 5000)]
    );
    // bob is stored as the second key of alice/bob; rooms are only those asked about.
    assert_eq!(r.targets("bob", &[], 0, 20000, 10).unwrap(), [(ab, 1300)]);
    assert_eq!(r.targets("carol", &[], 0, 20000, 10).unwrap(), [(ac, 5100)]);
}

// ---------------------------------------------------------------------------------------
// Pending direct messages

#[test]
fn pending_messages_are_taken_once_and_stay_in_history() {
    let (_tmp, db) = open();
    let mut first = dm(1, 100, "alice", "bob");
    first.pending_for = Some("bob".into());
    let mut second = dm(2, 200, "carol", "bob");
    second.pending_for = Some("bob".into());
    let mut other = dm(3, 150, "bob", "alice");
    other.pending_for = Some("alice".into());
    store(&db, vec![second, first, other]);
    let r = db.reader().unwrap();
    assert_eq!(numbers(&r.take_pending("bob").unwrap()), [1, 2]);
    assert!(r.take_pending("bob").unwrap().is_empty());
    assert_eq!(numbers(&r.take_pending("alice").unwrap()), [3]);
    let ab = Conversation::direct("alice", "bob");
    assert_eq!(numbers(&r.latest(&ab, None, 10).unwrap()), [1, 3]);
}

#[test]
fn deleting_an_account_drops_the_messages_waiting_for_it() {
    let (_tmp, db) = open();
    assert!(db.create_account("bob", "Bob", "$h", false).unwrap());
    let mut waiting = dm(1, 100, "alice", "bob");
    waiting.pending_for = Some("bob".into());
    store(&db, vec![waiting]);
    assert!(db.delete_account("bob").unwrap());
    assert!(db.reader().unwrap().take_pending("bob").unwrap().is_empty());
}

// ---------------------------------------------------------------------------------------
// Retention

#[test]
fn retention_by_age_deletes_only_older_events_and_their_pending_rows() {
    let (_tmp, db) = open();
    let now = now_ms();
    let day = 24 * 60 * 60 * 1000;
    let mut old_dm = dm(1, now - 100 * day, "alice", "bob");
    old_dm.pending_for = Some("bob".into());
    let records = vec![
        old_dm,
        room_msg(2, now - 91 * day, "#a"),
        room_msg(3, now - 89 * day, "#a"),
        room_msg(4, now - day, "#a"),
    ];
    store(&db, records);
    let policy = Retention {
        keep_days: 90,
        max_per_target: 0,
    };
    assert_eq!(db.prune(policy, now).unwrap(), 2);
    let r = db.reader().unwrap();
    assert_eq!(numbers(&r.latest(&room("#a"), None, 10).unwrap()), [3, 4]);
    assert!(r.take_pending("bob").unwrap().is_empty());
}

#[test]
fn retention_caps_each_conversation_at_its_newest_messages() {
    let (_tmp, db) = open();
    let mut records: Vec<Record> = (1..=5u8).map(|n| room_msg(n, i64::from(n), "#a")).collect();
    records.extend((11..=12u8).map(|n| room_msg(n, i64::from(n), "#b")));
    records.extend((21..=23u8).map(|n| dm(n, i64::from(n), "bob", "alice")));
    store(&db, records);
    let policy = Retention {
        keep_days: 0,
        max_per_target: 2,
    };
    assert_eq!(db.prune(policy, now_ms()).unwrap(), 4);
    let r = db.reader().unwrap();
    assert_eq!(numbers(&r.latest(&room("#a"), None, 10).unwrap()), [4, 5]);
    assert_eq!(numbers(&r.latest(&room("#b"), None, 10).unwrap()), [11, 12]);
    let ab = Conversation::direct("alice", "bob");
    assert_eq!(numbers(&r.latest(&ab, None, 10).unwrap()), [22, 23]);
}

#[test]
fn retention_works_through_many_chunks() {
    let (_tmp, db) = open();
    let now = now_ms();
    let old = now - 200 * 24 * 60 * 60 * 1000;
    let mut records = Vec::new();
    for n in 0..4500u32 {
        for (room, at) in [("#old", old), ("#big", now)] {
            let mut record = room_msg(0, at + i64::from(n), room);
            record.msgid[12..].copy_from_slice(&n.to_be_bytes());
            record.msgid[11] = u8::from(room == "#big");
            records.push(record);
        }
    }
    store(&db, records);
    let policy = Retention {
        keep_days: 90,
        max_per_target: 100,
    };
    assert_eq!(db.prune(policy, now).unwrap(), 4500 + 4400);
    let kept = db
        .reader()
        .unwrap()
        .latest(&room("#big"), None, 1000)
        .unwrap();
    assert_eq!(kept.len(), 100);
    assert_eq!(kept[0].at_ms, now + 4400);
    assert_eq!(db.event_count().unwrap(), 100);
}

#[test]
fn the_writer_runs_retention_in_the_background() {
    let (_tmp, db) = open();
    let now = now_ms();
    let old = now - 10 * 24 * 60 * 60 * 1000;
    store(
        &db,
        (1..=30u8)
            .map(|n| room_msg(n, old + i64::from(n), "#a"))
            .collect(),
    );
    store(&db, vec![room_msg(99, now, "#a")]);
    let config = WriterConfig {
        retention_first: Duration::ZERO,
        retention: Retention {
            keep_days: 1,
            max_per_target: 0,
        },
        ..WriterConfig::default()
    };
    let writer = Writer::spawn(&db, config, |_: Vec<WithRecord<()>>| {}).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while writer.stats().pruned < 30 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(writer.stats().pruned, 30);
    writer.shutdown();
    assert_eq!(db.event_count().unwrap(), 1);
}

// ---------------------------------------------------------------------------------------
// Accounts

#[test]
fn accounts_can_be_created_read_changed_listed_and_deleted() {
    let (_tmp, db) = open();
    assert!(db
        .create_account("bob", "Bob", "$argon2id$one", false)
        .unwrap());
    assert!(!db
        .create_account("bob", "BOB", "$argon2id$two", true)
        .unwrap());
    assert!(db
        .create_account("ann", "Ann", "$argon2id$ann", true)
        .unwrap());

    let bob = db.account("bob").unwrap().unwrap();
    assert_eq!(
        (
            bob.key.as_str(),
            bob.name.as_str(),
            bob.hash.as_str(),
            bob.oper
        ),
        ("bob", "Bob", "$argon2id$one", false)
    );
    assert!((now_ms() - bob.created_ms).abs() < 60_000);

    assert!(db.set_password("bob", "$argon2id$new").unwrap());
    assert!(db.set_oper("bob", true).unwrap());
    let bob = db.account("bob").unwrap().unwrap();
    assert_eq!((bob.hash.as_str(), bob.oper), ("$argon2id$new", true));

    let keys: Vec<String> = db
        .list_accounts()
        .unwrap()
        .into_iter()
        .map(|a| a.key)
        .collect();
    assert_eq!(keys, ["ann", "bob"]);

    assert!(db.delete_account("bob").unwrap());
    assert!(!db.delete_account("bob").unwrap());
    assert_eq!(db.account("bob").unwrap(), None);
    assert!(!db.set_password("nobody", "$x").unwrap());
    assert!(!db.set_oper("nobody", true).unwrap());
}
