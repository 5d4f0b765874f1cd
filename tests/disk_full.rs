//! A disk that fills while the server runs: the real `confab serve` keeps its data on a
//! real filesystem of 2 MiB (a tmpfs, mounted for the test; CI runs as root) and is fed
//! until SQLite reports the disk full. Chat goes on: every message still reaches its
//! listener, in order; the failure is logged once in a while, saying what was stored is
//! kept; the server stays up and stops cleanly; and what was stored before is intact.

mod serve_support;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use confab_store::{Conversation, DataDir};
use confab_testkit::blocking::Lines;
use serve_support::{bob_and_amy, Serve};

/// A tmpfs mounted on a fresh directory, unmounted on drop.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(size: &str) -> SmallDisk {
        let dir = tempfile::tempdir().expect("a mount point");
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .status()
            .expect("mount runs");
        assert!(
            status.success(),
            "this test mounts a small tmpfs and needs root (CI runs as root)"
        );
        SmallDisk { dir }
    }

    fn path(&self) -> PathBuf {
        self.dir.path().join("data")
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

/// The lobby's stored texts and the database's integrity check.
fn stored_and_checked(dir: &Path) -> (BTreeSet<String>, String) {
    let db = DataDir::open(dir).expect("opens").database().expect("db");
    let check = db.integrity_check().expect("the integrity check runs");
    let lobby = Conversation::Room("lobby".into());
    let texts = db
        .reader()
        .expect("a reader")
        .latest(&lobby, None, 1_000_000)
        .expect("history reads")
        .into_iter()
        .filter_map(|m| m.text)
        .collect();
    (texts, check)
}

#[test]
fn a_full_disk_stops_history_not_chat() {
    let disk = SmallDisk::mount("2m");
    let log_path =
        std::env::temp_dir().join(format!("confab-disk-full-{}.log", std::process::id()));
    let log = fs::File::create(&log_path).expect("a log file");
    let serve = Serve::start_logging(&disk.path(), &[], log);
    let addr = serve.addr("broadcast");
    let (mut bob, mut amy) = bob_and_amy(addr);
    // ~60 bytes of text each: far more than 2 MiB of rows. Sent in bursts that bob reads
    // in full, so nobody is cut off for reading slowly.
    let text = |n: u32| format!("{n:06} {}", "x".repeat(60));
    const TOTAL: u32 = 40_000;
    for burst in 0..TOTAL / 500 {
        let lines: String = (burst * 500..(burst + 1) * 500)
            .map(|n| text(n) + "\n")
            .collect();
        amy.send(&lines);
        for n in burst * 500..(burst + 1) * 500 {
            assert_eq!(
                bob.next_line(),
                Some(format!("amy: {}", text(n))),
                "message {n}"
            );
        }
    }
    // Someone new still gets in and is heard.
    let mut cy = Lines::broadcast_user(addr, "cy");
    assert_eq!(
        bob.next_line().as_deref(),
        Some("cy joined the conversation")
    );
    cy.send("still here\n");
    assert_eq!(bob.next_line().as_deref(), Some("cy: still here"));
    serve.stop(Duration::from_secs(10));
    let log = fs::read_to_string(&log_path).expect("the log");
    let _ = fs::remove_file(&log_path);
    assert!(
        log.contains("cannot store history (what was stored before is kept); chat goes on without storing until it works again"),
        "the failure is logged:\n{log}"
    );
    assert!(!log.contains("panicked"), "{log}");
    let (kept, check) = stored_and_checked(&disk.path());
    eprintln!("{} of {TOTAL} stored before the disk filled", kept.len());
    assert_eq!(check, "ok");
    let sent: BTreeSet<String> = (0..TOTAL).map(text).collect();
    assert!(
        !kept.is_empty() && kept.len() < TOTAL as usize,
        "{} kept",
        kept.len()
    );
    assert!(kept.is_subset(&sent));
    // What was stored is the beginning: everything before the disk filled.
    let first_missing = (0..TOTAL).find(|n| !kept.contains(&text(*n))).unwrap();
    assert!((0..first_missing).all(|n| kept.contains(&text(n))));
}
