//! Runs every conformance scenario against a fresh in-process confab server (one test
//! per scenario), then all five protocols' scenarios in sequence against ONE server,
//! which proves each scenario leaves the server as it found it, and every seed's
//! grading against confab, which must pass with no notes.

use confab_check::{check, occupancy, run_all, scenarios, Ctx, Occupancy, Protocol, Seed};
use confab_testkit::TestServer;

/// Runs the scenario named `name` against a fresh server; fails with the report table.
async fn run_one(protocol: Protocol, name: &str) {
    let server = TestServer::start().await;
    let ctx = Ctx::new(server.addr(protocol.name()), None);
    let chosen: Vec<_> = scenarios(protocol)
        .into_iter()
        .filter(|s| s.name == name)
        .collect();
    assert_eq!(chosen.len(), 1, "no scenario named {name}");
    let report = run_all(&chosen, &ctx).await;
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
        prefixed_msg_to_nobody,
        prefixed_name_taken_any_case,
        prefixed_command_words_any_case,
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
    Irc:
        irc_registration_welcome,
        irc_join_names,
        irc_privmsg,
        irc_part,
        irc_quit_seen,
        irc_error_numerics;
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

/// All five protocols, every scenario, in sequence against one server.
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

/// Graded against each seed, confab passes every scenario and earns no note: its own
/// words are the ones the notes compare with.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn confab_passes_every_seed_without_notes() {
    let server = TestServer::start().await;
    let mut failed = String::new();
    for seed in Seed::ALL {
        let protocol = seed.protocol();
        let ctx = Ctx::new(server.addr(protocol.name()), Some(seed));
        let report = run_all(&scenarios(protocol), &ctx).await;
        if !report.all_passed() || report.notes() > 0 {
            failed.push_str(&format!("--- seed {seed}\n{}", report.render_table()));
        }
    }
    assert!(failed.is_empty(), "\n{failed}");
}

/// Each protocol's look for other users: a quiet server is quiet; with one user of
/// that protocol connected, it is in use and the look names what showed it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_look_for_other_users_sees_them() {
    use confab_check::wire::{kind, name_field, result, Wire};
    let server = TestServer::start().await;
    for protocol in Protocol::ALL {
        let ctx = Ctx::new(server.addr(protocol.name()), None);
        assert_eq!(
            occupancy(protocol, &ctx).await,
            Occupancy::Quiet,
            "{protocol}"
        );
    }
    // zed logs in over packet (everyone on confab shares one namespace, so every
    // protocol's list shows him; rooms and broadcast see him once he is in a room).
    let mut zed = Wire::connect(server.addr("packet"), "zed").await.unwrap();
    zed.send_packet(kind::LOGIN, &name_field(b"zed"))
        .await
        .unwrap();
    zed.expect_response(result::OK).await.unwrap();
    let seen = |protocol: Protocol| look(&server, protocol);
    assert_eq!(
        seen(Protocol::Prefixed).await,
        Occupancy::InUse("GET_NAMES lists zed".into())
    );
    assert_eq!(
        seen(Protocol::Packet).await,
        Occupancy::InUse("LIST shows zed".into())
    );
    assert_eq!(
        seen(Protocol::Irc).await,
        Occupancy::InUse("LUSERS counts 1 users besides the checker".into())
    );
    // A rooms user in room lobby shows in /list, and talks where broadcast listens.
    let mut amy = Wire::connect(server.addr("rooms"), "amy").await.unwrap();
    amy.send_line(b"/join lobby").await.unwrap();
    amy.expect_line(b"0").await.unwrap();
    amy.send_line(b"/nick amy").await.unwrap();
    amy.expect_line(b"0").await.unwrap();
    assert_eq!(
        seen(Protocol::Rooms).await,
        Occupancy::InUse("/list shows the rooms lobby".into())
    );
    let talker = tokio::spawn(async move {
        for _ in 0..20 {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            if amy.send_line(b"anyone?").await.is_err() {
                break;
            }
        }
    });
    match seen(Protocol::Broadcast).await {
        Occupancy::InUse(what) => assert!(
            what.starts_with("someone is talking: b\"amy: anyone?\\n"),
            "{what}"
        ),
        other => panic!("broadcast look: {other:?}"),
    }
    talker.abort();
}

/// The look for other users, by `protocol`, with a fixed suffix.
async fn look(server: &TestServer, protocol: Protocol) -> Occupancy {
    occupancy(
        protocol,
        &Ctx::with_suffix(server.addr(protocol.name()), None, "q7z"),
    )
    .await
}
