//! History survives what a server can suffer: every message any recipient received is in
//! history after `kill -9` at an arbitrary moment under load; a graceful stop loses
//! nothing; message ids keep rising across restarts. The real `confab serve` writes, the
//! real SQLite database is read back afterwards.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::serve_support::{bob_and_amy, Serve};
use confab_store::{Conversation, DataDir};

/// The texts of the lobby's stored messages, oldest first, with their ids, read from the
/// data directory after the server is gone.
fn stored(dir: &Path) -> Vec<([u8; 16], String)> {
    let data = DataDir::open(dir).expect("the data directory opens again");
    let db = data.database().expect("the database opens");
    let reader = db.reader().expect("a reader");
    let lobby = Conversation::Room("lobby".into());
    reader
        .latest(&lobby, None, 1_000_000)
        .expect("history reads")
        .into_iter()
        .filter(|m| m.kind == "privmsg")
        .map(|m| (m.msgid, m.text.unwrap_or_default()))
        .collect()
}

#[test]
fn every_message_received_before_a_kill_9_is_in_history() {
    let dir = tempfile::tempdir().expect("a data directory");
    let serve = Serve::start_in(dir.path(), &[]);
    let addr = serve.addr("broadcast");
    let (mut bob, mut amy) = bob_and_amy(addr);
    // amy talks as fast as bob reads, from a thread of her own, never more than AHEAD
    // messages in front of him: a busy machine that slows bob's reading must not make him
    // a slow reader the server cuts off (his outbox holds about 3,500 of these).
    const AHEAD: usize = 1_000;
    let read = Arc::new(AtomicUsize::new(0));
    let bob_read = read.clone();
    let talker = std::thread::spawn(move || {
        for n in 0..50_000 {
            while n >= bob_read.load(Ordering::Acquire) + AHEAD {
                std::thread::sleep(Duration::from_millis(1));
            }
            if amy.stream.write_all(format!("m{n}\n").as_bytes()).is_err() {
                return;
            }
        }
    });
    let mut received = BTreeSet::new();
    while received.len() < 3_000 {
        let line = bob
            .next_line()
            .expect("messages arrive while the server runs");
        received.insert(line);
        read.store(received.len(), Ordering::Release);
    }
    // The kill lands wherever the server is: mid-batch, mid-commit, mid-write.
    serve.kill_9();
    while let Some(line) = bob.next_line() {
        received.insert(line);
    }
    // amy is let go: her next write fails on the dead server and she stops.
    read.store(usize::MAX / 2, Ordering::Release);
    let _ = talker.join();
    let kept: BTreeSet<String> = stored(dir.path())
        .into_iter()
        .map(|(_, text)| format!("amy: {text}"))
        .collect();
    let lost: Vec<&String> = received.difference(&kept).collect();
    assert!(received.len() >= 3_000, "{} received", received.len());
    assert!(lost.is_empty(), "received but not in history: {lost:?}");
}

#[test]
fn a_graceful_stop_loses_nothing_and_ids_rise_across_restarts() {
    let dir = tempfile::tempdir().expect("a data directory");
    let mut newest_before = [0u8; 16];
    for run in 0..2 {
        let serve = Serve::start_in(dir.path(), &[]);
        let addr = serve.addr("broadcast");
        let (mut bob, mut amy) = bob_and_amy(addr);
        let burst: String = (0..500).map(|n| format!("r{run}m{n}\n")).collect();
        amy.send(&burst);
        for n in 0..500 {
            assert_eq!(bob.next_line(), Some(format!("amy: r{run}m{n}")));
        }
        serve.stop(Duration::from_secs(5));
        let history = stored(dir.path());
        let this_run: Vec<&([u8; 16], String)> = history
            .iter()
            .filter(|(_, text)| text.starts_with(&format!("r{run}m")))
            .collect();
        assert_eq!(this_run.len(), 500, "run {run}: all 500 kept");
        assert!(
            this_run.iter().all(|(id, _)| *id > newest_before),
            "run {run}: every id above the newest of the run before"
        );
        newest_before = history.iter().map(|(id, _)| *id).max().unwrap_or_default();
    }
}
