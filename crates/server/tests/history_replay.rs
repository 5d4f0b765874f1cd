//! `[history] replay_on_join`: a `rooms` or `broadcast` user who joins a room gets its
//! last N messages in the protocol's own form, before the live ones, none lost or
//! doubled at the boundary; with the default 0 nothing is replayed (the seeds' bytes).

use std::time::Duration;

use confab_testkit::classroom::WELCOME;
use confab_testkit::{Client, TestServer};

/// How long "nothing more arrives" is watched for.
const QUIET: Duration = Duration::from_millis(300);

async fn replaying(count: usize) -> TestServer {
    TestServer::start_with(|config| config.history.replay_on_join = count).await
}

#[tokio::test]
async fn a_broadcast_joiner_gets_the_last_messages_then_live_ones() {
    let server = replaying(3).await;
    let addr = server.addr("broadcast");
    let mut amy = Client::connect(addr).await;
    amy.send(b"amy\nm1\nm2\nm3\nm4\nm5\n").await;
    amy.expect(WELCOME).await;
    let mut bob = Client::connect(addr).await;
    bob.send(b"bob\n").await;
    // The welcome, then amy's last three messages (not her join), then live.
    bob.expect(WELCOME).await;
    bob.expect(b"amy: m3\namy: m4\namy: m5\n").await;
    amy.expect(b"bob joined the conversation\n").await;
    amy.send(b"live\n").await;
    bob.expect(b"amy: live\n").await;
    bob.expect_quiet(QUIET).await;
}

#[tokio::test]
async fn a_rooms_joiner_gets_the_rooms_history_in_its_own_form_and_parts_are_skipped() {
    let server = replaying(2).await;
    let mut irc_free = Client::connect(server.addr("rooms")).await;
    irc_free.send(b"/join games\n/nick ann\nfirst\n").await;
    irc_free.expect(b"0\n0\n").await;
    let mut cy = Client::connect(server.addr("rooms")).await;
    cy.send(b"/join games\n/nick cy\n/logout\n").await;
    cy.expect(b"0\n0\n").await;
    irc_free.expect(b"* cy joined\n* cy left\n").await;
    irc_free.send(b"second\n").await;
    let mut dee = Client::connect(server.addr("rooms")).await;
    dee.send(b"/join games\n/nick dee\n").await;
    dee.expect(b"0\n0\nann: first\nann: second\n").await;
    dee.expect_quiet(QUIET).await;
}

#[tokio::test]
async fn by_default_nothing_is_replayed() {
    let server = TestServer::start().await;
    let addr = server.addr("broadcast");
    let mut amy = Client::connect(addr).await;
    amy.send(b"amy\nearlier\n").await;
    amy.expect(WELCOME).await;
    let mut bob = Client::connect(addr).await;
    bob.send(b"bob\n").await;
    bob.expect(WELCOME).await;
    bob.expect_quiet(QUIET).await;
}
