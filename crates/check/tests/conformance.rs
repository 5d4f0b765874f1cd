//! Runs every conformance scenario against a fresh in-process confab server (one test
//! per scenario), then all four protocols' scenarios in sequence against ONE server,
//! which proves each scenario leaves the server as it found it.

use confab_check::{check, run_all, scenarios, Protocol};
use confab_testkit::TestServer;

/// Runs the scenario named `name` against a fresh server; fails with the report table.
async fn run_one(protocol: Protocol, name: &str) {
    let server = TestServer::start().await;
    let addr = server.addr(protocol.name());
    let chosen: Vec<_> = scenarios(protocol)
        .into_iter()
        .filter(|s| s.name == name)
        .collect();
    assert_eq!(chosen.len(), 1, "no scenario named {name}");
    let report = run_all(&chosen, addr).await;
    assert!(report.all_passed(), "\n{}", report.render_table());
}

/// One `#[tokio::test]` per scenario, named after it, plus the list of those names so
/// a scenario added to the library without a test here is caught.
macro_rules! conformance_tests {
    ($($protocol:ident : $($name:ident),+ ;)+) => {
        $($(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                run_one(Protocol::$protocol, stringify!($name)).await;
            }
        )+)+

        const TESTED: &[&str] = &[$($(stringify!($name)),+),+];
    };
}

conformance_tests! {
    Prefixed:
        prefixed_example_run_width2,
        prefixed_example_run_width4,
        prefixed_rubric_name_then_getnames,
        prefixed_rubric_one_word_message,
        prefixed_rubric_exit_server_goes_on,
        prefixed_rubric_unknown_command,
        prefixed_rubric_message_to_himself,
        prefixed_name_taken,
        prefixed_rename,
        prefixed_bad_name,
        prefixed_msg_errors,
        prefixed_not_utf8,
        prefixed_empty_and_bad_length,
        prefixed_long_reply_split,
        prefixed_robustness;
    Packet:
        packet_login_list_sendto_logout,
        packet_failures,
        packet_malformed_goes_on,
        packet_oversized_body_closes,
        packet_robustness;
    Rooms:
        rooms_list_and_join_replies,
        rooms_nick_replies_and_joined_notice,
        rooms_chat_relay_and_who,
        rooms_logout_and_left_notice,
        rooms_room_shows_in_list,
        rooms_notices,
        rooms_robustness;
    Broadcast:
        broadcast_welcome_relay_bye,
        broadcast_lost_connection,
        broadcast_taken_name,
        broadcast_bad_name,
        broadcast_name_without_newline,
        broadcast_too_long_and_not_utf8,
        broadcast_robustness;
}

#[test]
fn every_scenario_has_a_test() {
    for protocol in Protocol::ALL {
        for scenario in scenarios(protocol) {
            assert!(
                TESTED.contains(&scenario.name),
                "scenario {} has no test in tests/conformance.rs",
                scenario.name
            );
        }
    }
}

/// All four protocols, every scenario, in sequence against one server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_protocols_in_sequence_on_one_server() {
    let server = TestServer::start().await;
    let mut failed = String::new();
    for protocol in Protocol::ALL {
        let report = check(protocol, server.addr(protocol.name())).await;
        if !report.all_passed() {
            failed.push_str(&format!("--- {protocol}\n{}", report.render_table()));
        }
    }
    assert!(failed.is_empty(), "\n{failed}");
}
