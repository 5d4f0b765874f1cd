//! The server crate's integration tests, one binary (`autotests = false` in Cargo.toml):
//! each file of this folder is a module speaking raw bytes to an in-process server
//! through `confab_testkit`. A new test file is declared here; the test below fails
//! until it is.

mod accounts;
mod adapters;
mod ctcp_action;
mod flood;
mod fuzz_corpus;
mod history_replay;
mod http;
mod hygiene;
mod irc_caps;
mod irc_channels;
mod irc_chathistory;
mod irc_cross;
mod irc_extbans;
mod irc_irctest;
mod irc_message_tags;
mod irc_metadata;
mod irc_modes;
mod irc_multiline;
mod irc_read_marker;
mod irc_redact;
mod irc_registration;
mod irc_rename;
mod limits;
mod metrics;
mod moderation;
mod slow_consumer;

// The fuzz targets of `fuzz_corpus` (fuzz/src/server.rs) name the people they seat as
// `crate::people`, so that module sits at the root.
#[path = "../../../fuzz/src/people.rs"]
mod people;

#[test]
fn every_test_file_is_a_module_of_this_binary() {
    confab_testkit::assert_every_test_file_is_a_module(
        env!("CARGO_MANIFEST_DIR"),
        "server.rs",
        &[],
    );
}
