//! Replays the fuzz corpora of the adapter targets and the `http` listener's
//! (`fuzz/corpus/<target>/`) through the same target bodies AFL runs (`fuzz/src/server.rs`
//! and `fuzz/src/web.rs`, included here, and the people they seat, `fuzz/src/people.rs`,
//! at the binary's root), so every `cargo test` checks the seeds and every crash ever
//! found, without AFL. See docs/security.md.

#[path = "../../../fuzz/src/server.rs"]
mod server;

#[path = "../../../fuzz/src/web.rs"]
mod web;

#[path = "../../../fuzz/replay.rs"]
mod replay;

#[test]
fn every_adapter_corpus_replays_without_a_crash() {
    for (name, target) in server::TARGETS.iter().chain(web::TARGETS) {
        assert!(
            replay::replay(env!("CARGO_MANIFEST_DIR"), name, *target) > 0,
            "corpus of {name} is empty"
        );
    }
}
