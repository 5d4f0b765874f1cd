//! The `confab` binary's integration tests, one test binary (`autotests = false` in
//! Cargo.toml): each file of this folder is a module that drives the real `confab` (and
//! real clients, terminals and `redis-server`) through `confab_testkit`'s clients and the
//! fixtures in `serve_support/` and `connect_support/`. `soak`, `slow_memory` and
//! `disk_full` are binaries of their own (see Cargo.toml). A new test file is declared
//! here; the test below fails until it is.

mod connect_support;
mod serve_support;

mod accounts_cli;
mod bench_smoke;
mod check_cli;
mod cli;
mod cluster;
mod connect_pty;
mod connect_script;
mod durability;
mod irc_real_client;
mod packaging;
mod prometheus;
mod reload;
mod tls;

#[test]
fn every_test_file_is_a_module_of_this_binary() {
    confab_testkit::assert_every_test_file_is_a_module(
        env!("CARGO_MANIFEST_DIR"),
        "confab.rs",
        &["soak.rs", "slow_memory.rs", "disk_full.rs"],
    );
}
