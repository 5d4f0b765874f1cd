//! The limits of docs/security.md § Limits, each hit on 127.0.0.1 with the loopback
//! exemption turned off and small configured values: connections per address and in all,
//! the connection rate, the registration timeout, IRC's PING and line limits, rooms per
//! user. Each answer is checked byte for byte; every wait is bounded.

use std::net::SocketAddr;
use std::time::Duration;

use confab_server::Config;
use confab_testkit::{Client, TestServer};
use tokio::time::{sleep, Instant};

const WAIT: Duration = Duration::from_secs(5);

/// A server whose limits apply to loopback clients too.
async fn strict(adjust: impl FnOnce(&mut Config)) -> TestServer {
    TestServer::start_with(|c| {
        c.limits.exempt_loopback = false;
        c.irc.server_name = "irc.test".into();
        adjust(c);
    })
    .await
}

/// Connects and registers on IRC as `nick`, past the `001` welcome.
async fn register_irc(addr: SocketAddr, nick: &str) -> Client {
    let mut c = Client::connect(addr).await;
    c.send(format!("NICK {nick}\r\nUSER {nick} 0 * :{nick}\r\n").as_bytes())
        .await;
    c.line_starting(":irc.test 001 ").await;
    c
}

/// Opens a connection on `addr` and returns it once the server has admitted it (a rooms
/// `/list` answered), retrying while it is refused, for at most `WAIT`.
async fn admitted_rooms(addr: SocketAddr) -> Client {
    let start = Instant::now();
    loop {
        let mut c = Client::connect(addr).await;
        c.send(b"/list\n").await;
        let line = c.next_line().await.unwrap_or_default();
        if line == "0\n" || line.chars().next().is_some_and(|ch| ch.is_ascii_digit()) {
            return c;
        }
        assert!(start.elapsed() < WAIT, "never admitted: {line:?}");
        sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn the_connection_past_the_per_address_limit_is_refused_in_each_protocols_form() {
    let server = strict(|c| {
        c.limits.connections_per_ip = 3;
        c.limits.connect_burst = 100;
    })
    .await;
    // Three connections from 127.0.0.1, on any listeners: the limit is per address.
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(admitted_rooms(server.addr("rooms")).await);
    }
    let refusal = "too many connections from your address";
    let mut irc = Client::connect(server.addr("irc")).await;
    assert_eq!(
        irc.rest().await,
        format!("ERROR :Closing link: ({refusal})\r\n")
    );
    let mut rooms = Client::connect(server.addr("rooms")).await;
    assert_eq!(rooms.rest().await, format!("* {refusal}\n"));
    let mut broadcast = Client::connect(server.addr("broadcast")).await;
    assert_eq!(
        broadcast.rest().await,
        "Too many connections from your address\n"
    );
    let mut prefixed = Client::connect(server.addr("prefixed")).await;
    assert_eq!(prefixed.rest().await, format!("45Error: {refusal}"));
    let mut packet = Client::connect(server.addr("packet")).await;
    assert_eq!(
        packet.rest().await,
        "",
        "packet has no form: just the close"
    );

    // One leaves: its place is free again.
    drop(held.pop());
    let mut again = admitted_rooms(server.addr("rooms")).await;
    again.send(b"/who\n").await;
    assert_eq!(again.line().await, "0\n");
    server.stop().await;
}

#[tokio::test]
async fn the_connection_past_the_total_limit_is_refused() {
    let server = strict(|c| {
        c.limits.connections_max = 2;
        c.limits.connect_burst = 100;
    })
    .await;
    let _a = admitted_rooms(server.addr("rooms")).await;
    let _b = admitted_rooms(server.addr("rooms")).await;
    let mut irc = Client::connect(server.addr("irc")).await;
    assert_eq!(
        irc.rest().await,
        "ERROR :Closing link: (too many connections)\r\n"
    );
    server.stop().await;
}

#[tokio::test]
async fn an_address_that_connects_too_fast_is_throttled_then_let_in() {
    let server = strict(|c| {
        c.limits.connect_burst = 2;
        c.limits.connect_per_sec = 2;
    })
    .await;
    let addr = server.addr("rooms");
    // The burst: two at once, even closed at once.
    for _ in 0..2 {
        let mut c = Client::connect(addr).await;
        c.send(b"/list\n").await;
        assert_eq!(c.line().await, "0\n");
    }
    let mut third = Client::connect(addr).await;
    assert_eq!(
        third.rest().await,
        "* connecting too fast from your address\n"
    );
    // Half a second later there is a token again.
    let start = Instant::now();
    admitted_rooms(addr).await;
    assert!(start.elapsed() < WAIT);
    server.stop().await;
}

#[tokio::test]
async fn a_connection_that_takes_no_name_is_closed_after_the_registration_timeout() {
    let server = strict(|c| c.limits.registration_timeout_secs = 1).await;
    let start = Instant::now();
    // A classroom client idling in the lobby without a nickname: the case timed out.
    let mut lobby = Client::connect(server.addr("rooms")).await;
    lobby.send(b"/join lobby\n").await;
    assert_eq!(lobby.line().await, "0\n");
    // IRC: a NICK without USER is not a registration.
    let mut irc = Client::connect(server.addr("irc")).await;
    irc.send(b"NICK half\r\n").await;
    let mut prefixed = Client::connect(server.addr("prefixed")).await;
    let mut packet = Client::connect(server.addr("packet")).await;
    // Named ones stay.
    let mut named = Client::connect(server.addr("rooms")).await;
    named.send(b"/join lobby\n/nick named\n").await;
    assert_eq!(named.line().await, "0\n");
    assert_eq!(named.line().await, "0\n");
    let mut registered = register_irc(server.addr("irc"), "reg").await;

    assert_eq!(lobby.rest().await, "* registration timed out\n");
    assert_eq!(
        irc.rest().await,
        "ERROR :Closing link: Registration timed out\r\n"
    );
    assert_eq!(prefixed.rest().await, "29Error: registration timed out");
    assert_eq!(packet.rest().await, "");
    assert!(start.elapsed() >= Duration::from_millis(900));

    sleep(Duration::from_millis(300)).await;
    named.send(b"/who\n").await;
    assert_eq!(named.line().await, "1\n");
    assert_eq!(named.line().await, "named\n");
    registered.send(b"PING :still\r\n").await;
    assert_eq!(
        registered.line_starting(":irc.test PONG").await,
        ":irc.test PONG irc.test still\r\n"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_silent_irc_client_is_pinged_then_dropped() {
    let server = strict(|c| {
        c.irc.ping_interval_secs = 1;
        c.irc.ping_timeout_secs = 1;
    })
    .await;
    let mut c = register_irc(server.addr("irc"), "quiet").await;
    c.line_starting("PING ").await;
    assert_eq!(
        c.rest().await,
        "ERROR :Closing link: Ping timeout: 1 seconds\r\n"
    );
    server.stop().await;
}

#[tokio::test]
async fn irc_lines_past_512_get_417_and_past_the_hard_limit_a_disconnect() {
    let server = strict(|_| {}).await;
    let mut c = register_irc(server.addr("irc"), "long").await;
    // 510 bytes and CRLF: the longest line; one more byte gets 417.
    let fits = format!("PING :{}\r\n", "x".repeat(510 - 6));
    c.send(fits.as_bytes()).await;
    let pong = c.line_starting(":irc.test PONG").await;
    assert!(pong.starts_with(":irc.test PONG irc.test "), "{pong}");
    let over = format!("PING :{}\r\n", "x".repeat(511 - 6));
    c.send(over.as_bytes()).await;
    assert_eq!(
        c.line().await,
        ":irc.test 417 long :Input line was too long\r\n"
    );
    // 16 KiB without a line ending: the client is broken or hostile.
    c.send(&vec![b'a'; 16 * 1024]).await;
    assert_eq!(
        c.rest().await,
        "ERROR :Closing link: input line too long\r\n"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_user_in_as_many_rooms_as_allowed_gets_405() {
    let server = strict(|c| c.limits.rooms_per_user = 3).await;
    let mut c = Client::connect(server.addr("irc")).await;
    c.send(b"NICK many\r\nUSER many 0 * :many\r\n").await;
    let isupport = c.line_starting(":irc.test 005 many ACCOUNTEXTBAN").await;
    assert!(isupport.contains(" CHANLIMIT=#:3 "), "{isupport}");
    c.send(b"JOIN #a,#b,#c,#d\r\n").await;
    for chan in ["#a", "#b", "#c"] {
        c.line_starting(&format!(":irc.test 366 many {chan} "))
            .await;
    }
    assert_eq!(
        c.line().await,
        ":irc.test 405 many #d :You have joined too many channels\r\n"
    );
    // Leaving one makes room.
    c.send(b"PART #a\r\nJOIN #d\r\n").await;
    c.line_starting(":irc.test 366 many #d ").await;
    server.stop().await;
}
