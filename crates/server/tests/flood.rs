//! Flood control (docs/security.md § Flood control): a burst past the token bucket is
//! delayed, never dropped, and handled in order; a client whose waiting input passes its
//! bound is disconnected with the protocol's `Excess Flood`; loopback is exempt unless
//! told otherwise. Raw bytes on 127.0.0.1; ordering and completion are asserted, and the
//! delay only as a lower bound the bucket implies.

use std::net::SocketAddr;
use std::time::Duration;

use confab_server::Config;
use confab_testkit::{Client, TestServer};
use tokio::time::Instant;

const WAIT: Duration = Duration::from_secs(10);

async fn server(adjust: impl FnOnce(&mut Config)) -> TestServer {
    TestServer::start_with(|c| {
        c.irc.server_name = "irc.test".into();
        adjust(c);
    })
    .await
}

/// A client of `addr` whose every step may take [`WAIT`].
async fn connect(addr: SocketAddr) -> Client {
    Client::connect(addr).await.waiting(WAIT)
}

/// A rooms user in room `r` with nickname `nick` (two commands of its budget).
async fn rooms_user(addr: SocketAddr, nick: &str) -> Client {
    Client::rooms_user(addr, "r", nick).await.waiting(WAIT)
}

#[tokio::test]
async fn a_burst_past_the_bucket_is_delayed_then_handled_in_order() {
    // 4 at once, then 10 a second: 20 lines take about 1.8 s.
    let server = server(|c| {
        c.limits.exempt_loopback = false;
        c.limits.flood_burst = 4;
        c.limits.flood_per_sec = 10;
    })
    .await;
    let addr = server.addr("rooms");
    let mut reader = rooms_user(addr, "reader").await;
    let mut talker = rooms_user(addr, "talker").await;
    assert_eq!(reader.line().await, "* talker joined\n");
    // Let the talker's bucket fill again after its two login commands.
    tokio::time::sleep(Duration::from_millis(300)).await;

    let start = Instant::now();
    let mut burst = String::new();
    for n in 0..20 {
        burst.push_str(&format!("line {n:02}\n"));
    }
    // The reply to a command comes after everything sent before it.
    burst.push_str("/who\n");
    talker.send(burst.as_bytes()).await;
    for n in 0..20 {
        assert_eq!(reader.line().await, format!("talker: line {n:02}\n"));
    }
    assert_eq!(talker.line().await, "2\n");
    let elapsed = start.elapsed();
    // 21 commands with 4 tokens at hand: 17 waited for one each, 100 ms apart.
    assert!(
        elapsed >= Duration::from_millis(1500),
        "the burst was delayed: {elapsed:?}"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_flood_past_the_queue_bound_is_disconnected_with_excess_flood() {
    let server = server(|c| {
        c.limits.exempt_loopback = false;
        c.limits.flood_burst = 4;
        c.limits.flood_per_sec = 1;
        c.limits.flood_queue_bytes = 2048;
    })
    .await;
    let mut irc = connect(server.addr("irc")).await;
    irc.send(b"NICK flood\r\nUSER flood 0 * :flood\r\n").await;
    irc.line_starting(":irc.test 001 ").await;
    let pings = "PING :x\r\n".repeat(1000);
    irc.send(pings.as_bytes()).await;
    let heard = irc.rest().await;
    assert!(
        heard.ends_with("ERROR :Closing link: 127.0.0.1 (Excess Flood)\r\n"),
        "{:?}",
        &heard[heard.len().saturating_sub(200)..]
    );
    // Not all 1000 were answered: the excess was never handled.
    assert!(heard.matches("PONG").count() < 10, "{heard}");

    let mut rooms = rooms_user(server.addr("rooms"), "roomflood").await;
    let spam = "spam\n".repeat(1000);
    rooms.send(spam.as_bytes()).await;
    assert!(rooms.rest().await.ends_with("* excess flood\n"));
    server.stop().await;
}

#[tokio::test]
async fn loopback_is_exempt_by_default() {
    let server = server(|_| {}).await;
    let addr = server.addr("rooms");
    let mut reader = rooms_user(addr, "reader").await;
    let mut talker = rooms_user(addr, "talker").await;
    assert_eq!(reader.line().await, "* talker joined\n");
    // 200 lines, which the default bucket (16, then 4 a second) would spread over 46 s.
    let mut burst = String::new();
    for n in 0..200 {
        burst.push_str(&format!("line {n:03}\n"));
    }
    let start = Instant::now();
    talker.send(burst.as_bytes()).await;
    for n in 0..200 {
        assert_eq!(reader.line().await, format!("talker: line {n:03}\n"));
    }
    assert!(start.elapsed() < Duration::from_secs(8));
    server.stop().await;
}
