//! Replays the fuzz corpora of the adapter targets (`fuzz/corpus/<target>/`) through the
//! same target bodies AFL runs (`fuzz/src/server.rs`, included here), so every `cargo test`
//! checks the seeds and every crash ever found, without AFL. See docs/security.md.

#[path = "../../../fuzz/src/server.rs"]
mod targets;

use std::path::Path;

/// Runs `target` on every file of `fuzz/corpus/<name>/`; returns how many it ran.
fn replay(name: &str, target: fn(&[u8])) -> usize {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(name);
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("corpus entry").path())
        .collect();
    entries.sort();
    for path in &entries {
        let data = std::fs::read(path).expect("corpus file");
        // Name the input that failed, for `fuzz/target/release/<name> < <file>`.
        eprintln!("replaying {}", path.display());
        target(&data);
    }
    entries.len()
}

#[test]
fn every_adapter_corpus_replays_without_a_crash() {
    for (name, target) in targets::TARGETS {
        assert!(replay(name, *target) > 0, "corpus of {name} is empty");
    }
}
