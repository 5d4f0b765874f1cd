//! confab's fuzz targets: one per decoder, one per adapter's command handling, one for what
//! other nodes put on the cluster channel and one for the `http` listener. The bodies live
//! in `proto.rs`, `server.rs`, `cluster.rs` and `web.rs` (the users they start with in
//! `people.rs`) as plain functions of `&[u8]`: the AFL binaries in `src/bin/` wrap them in
//! `afl::fuzz!`, and the workspace's tests (`crates/{proto,server,cluster}/tests/
//! fuzz_corpus.rs`) include the same files with `#[path]` to replay `fuzz/corpus/` on every
//! `cargo test`, without AFL.
//!
//! Run: `scripts/fuzz.sh [SECONDS] [TARGET...]`.

pub mod cluster;
pub mod people;
pub mod proto;
pub mod server;
pub mod web;

/// Every target by name: the AFL binary and the `corpus/` directory share it.
pub fn targets() -> impl Iterator<Item = (&'static str, proto::Target)> {
    proto::TARGETS
        .iter()
        .chain(server::TARGETS)
        .chain(cluster::TARGETS)
        .chain(web::TARGETS)
        .copied()
}
