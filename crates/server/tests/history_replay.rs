//! `[history] replay_on_join`: a `rooms` or `broadcast` user who joins a room gets its
//! last N messages in the protocol's own form, before the live ones, none lost or
//! doubled at the boundary; with the default 0 nothing is replayed (the seeds' bytes).

use std::time::Duration;

use confab_testkit::{expect_bytes as expect, TestServer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

/// Nothing more arrives within a moment.
async fn expect_quiet(stream: &mut TcpStream) {
    let mut byte = [0u8; 1];
    let read = timeout(Duration::from_millis(300), stream.read(&mut byte)).await;
    assert!(read.is_err(), "unexpected byte {byte:?}");
}

async fn replaying(count: usize) -> TestServer {
    TestServer::start_with(|config| config.history.replay_on_join = count).await
}

const WELCOME: &[u8] = b"Welcome to the chat. Enter 'bye' anytime to exit.\n";

#[tokio::test]
async fn a_broadcast_joiner_gets_the_last_messages_then_live_ones() {
    let server = replaying(3).await;
    let addr = server.addr("broadcast");
    let mut amy = TcpStream::connect(addr).await.unwrap();
    amy.write_all(b"amy\nm1\nm2\nm3\nm4\nm5\n").await.unwrap();
    expect(&mut amy, WELCOME).await;
    let mut bob = TcpStream::connect(addr).await.unwrap();
    bob.write_all(b"bob\n").await.unwrap();
    // The welcome, then amy's last three messages (not her join), then live.
    expect(&mut bob, WELCOME).await;
    expect(&mut bob, b"amy: m3\namy: m4\namy: m5\n").await;
    expect(&mut amy, b"bob joined the conversation\n").await;
    amy.write_all(b"live\n").await.unwrap();
    expect(&mut bob, b"amy: live\n").await;
    expect_quiet(&mut bob).await;
}

#[tokio::test]
async fn a_rooms_joiner_gets_the_rooms_history_in_its_own_form_and_parts_are_skipped() {
    let server = replaying(2).await;
    let mut irc_free = TcpStream::connect(server.addr("rooms")).await.unwrap();
    irc_free
        .write_all(b"/join games\n/nick ann\nfirst\n")
        .await
        .unwrap();
    expect(&mut irc_free, b"0\n0\n").await;
    let mut cy = TcpStream::connect(server.addr("rooms")).await.unwrap();
    cy.write_all(b"/join games\n/nick cy\n/logout\n")
        .await
        .unwrap();
    expect(&mut cy, b"0\n0\n").await;
    expect(&mut irc_free, b"* cy joined\n* cy left\n").await;
    irc_free.write_all(b"second\n").await.unwrap();
    let mut dee = TcpStream::connect(server.addr("rooms")).await.unwrap();
    dee.write_all(b"/join games\n/nick dee\n").await.unwrap();
    expect(&mut dee, b"0\n0\nann: first\nann: second\n").await;
    expect_quiet(&mut dee).await;
}

#[tokio::test]
async fn by_default_nothing_is_replayed() {
    let server = TestServer::start().await;
    let addr = server.addr("broadcast");
    let mut amy = TcpStream::connect(addr).await.unwrap();
    amy.write_all(b"amy\nearlier\n").await.unwrap();
    expect(&mut amy, WELCOME).await;
    let mut bob = TcpStream::connect(addr).await.unwrap();
    bob.write_all(b"bob\n").await.unwrap();
    expect(&mut bob, WELCOME).await;
    expect_quiet(&mut bob).await;
}
