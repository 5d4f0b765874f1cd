//! The checker's integration tests, one binary (`autotests = false` in Cargo.toml): every
//! conformance scenario against an in-process server, and the classroom protocols meeting
//! in one core. A new test file is declared here; the test below fails until it is.

mod conformance;
mod cross_protocol;

#[test]
fn every_test_file_is_a_module_of_this_binary() {
    confab_testkit::assert_every_test_file_is_a_module(env!("CARGO_MANIFEST_DIR"), "check.rs", &[]);
}
