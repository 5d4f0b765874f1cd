//! The `metrics` listener (issue 16, Observe): after real traffic on IRC and rooms (a
//! registration, joins, messages, a connection refused by the per-address limit, a burst
//! held by flood control, a goodbye and a dropped connection), `/metrics` shows exactly
//! what happened; `/healthz` and `/readyz` answer, and `/readyz` turns 503 once the server
//! shuts down; any other path is 404. Every wait is bounded.

use std::net::SocketAddr;
use std::time::Duration;

use confab_server::{ListenSpec, Listener};
use confab_testkit::irc::*;
use confab_testkit::Client;
use tokio::time::Instant;

const WAIT: Duration = Duration::from_secs(10);

/// One HTTP/1.1 GET on a connection of its own: the status and the body.
async fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    let request = format!("GET {path} HTTP/1.1\r\nHost: confab\r\nConnection: close\r\n\r\n");
    let answer = Client::exchange(addr, request.as_bytes()).await;
    let (head, body) = answer.split_once("\r\n\r\n").expect("a head and a body");
    let status = head[9..12].parse().expect("a status code");
    (status, body.to_string())
}

/// The value of the series `series` (name and labels exactly as printed).
fn value(scrape: &str, series: &str) -> Option<f64> {
    scrape.lines().find_map(|line| {
        let rest = line.strip_prefix(series)?.strip_prefix(' ')?;
        rest.parse().ok()
    })
}

/// Scrapes until every `(series, value)` of `until` holds (the driver counts a connection's
/// end after the client sees it close), then returns that scrape.
async fn scrape_when(addr: SocketAddr, until: &[(&str, f64)]) -> String {
    let deadline = Instant::now() + WAIT;
    loop {
        let (status, scrape) = get(addr, "/metrics").await;
        assert_eq!(status, 200);
        if until
            .iter()
            .all(|(series, want)| value(&scrape, series) == Some(*want))
        {
            return scrape;
        }
        assert!(
            Instant::now() < deadline,
            "never reached {until:?}:\n{scrape}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
#[allow(
    clippy::too_many_lines,
    reason = "one linear scenario: known traffic, then each counter it must have moved"
)]
async fn metrics_count_exactly_what_the_traffic_did() {
    let server = server_with(|c| {
        c.listen.push(ListenSpec {
            listener: Listener::Metrics,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            tls: false,
        });
        // Loopback is held to the limits like any address: 3 connections, 4 messages at
        // once then 10 a second.
        c.limits.exempt_loopback = false;
        c.limits.connections_per_ip = 3;
        c.limits.flood_burst = 4;
        c.limits.flood_per_sec = 10;
    })
    .await;
    let metrics = server.addr("metrics");
    let rooms = server.addr("rooms");

    // IRC: NICK, USER, JOIN, PRIVMSG (4 messages in, 1 name taken).
    let mut alice = Irc::register(&server, "alice").await.unwrap();
    ok(alice.join("#c").await);
    ok(alice.send("PRIVMSG #c :hello").await);
    // rooms: bob and carol in r (2 messages each so far, 2 names).
    let mut bob = Client::rooms_user(rooms, "r", "bob").await.waiting(WAIT);
    let mut carol = Client::rooms_user(rooms, "r", "carol").await.waiting(WAIT);
    assert_eq!(bob.line().await, "* carol joined\n");

    // A fourth connection from 127.0.0.1 is one too many: refused in IRC's words.
    let refusal = Client::connect(server.addr("irc")).await.rest().await;
    assert!(refusal.starts_with("ERROR :"), "{refusal:?}");

    // carol's bucket refills (2 of 4 spent), then 6 lines at once: 4 go, 2 wait for
    // tokens (one flood delay), and all 6 reach bob in order.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let burst: String = (0..6).map(|n| format!("line {n}\n")).collect();
    carol.send(burst.as_bytes()).await;
    for n in 0..6 {
        assert_eq!(bob.line().await, format!("carol: line {n}\n"));
    }
    // alice says goodbye (QUIT: 5 IRC messages in all); carol just drops the connection.
    ok(alice.send("QUIT :bye").await);
    drop(carol);
    assert_eq!(bob.line().await, "* carol left\n");

    let open_irc = "confab_connections_open{protocol=\"irc\"}";
    let eof = "confab_disconnects_total{protocol=\"rooms\",reason=\"eof\"}";
    let scrape = scrape_when(metrics, &[(open_irc, 0.0), (eof, 1.0)]).await;
    let expected = [
        ("confab_connections_open{protocol=\"rooms\"}", 1.0),
        ("confab_connections_accepted_total{protocol=\"irc\"}", 1.0),
        ("confab_connections_accepted_total{protocol=\"rooms\"}", 2.0),
        (
            "confab_connections_refused_total{protocol=\"irc\",reason=\"per_ip\"}",
            1.0,
        ),
        (
            "confab_connections_refused_total{protocol=\"rooms\",reason=\"per_ip\"}",
            0.0,
        ),
        ("confab_registrations_total{protocol=\"irc\"}", 1.0),
        ("confab_registrations_total{protocol=\"rooms\"}", 2.0),
        ("confab_messages_in_total{protocol=\"irc\"}", 5.0),
        // bob 2, carol 2 + 6.
        ("confab_messages_in_total{protocol=\"rooms\"}", 10.0),
        // bob: 0, 0, "* carol joined", 6 lines, "* carol left"; carol: 0, 0.
        ("confab_deliveries_total{protocol=\"rooms\"}", 12.0),
        (
            "confab_outbox_bytes_total{protocol=\"rooms\"}",
            ROOMS_BYTES as f64,
        ),
        ("confab_flood_delays_total{protocol=\"rooms\"}", 1.0),
        ("confab_flood_delays_total{protocol=\"irc\"}", 0.0),
        (
            "confab_disconnects_total{protocol=\"irc\",reason=\"closed\"}",
            1.0,
        ),
        (
            "confab_disconnects_total{protocol=\"irc\",reason=\"overflow\"}",
            0.0,
        ),
        (
            "confab_disconnects_total{protocol=\"rooms\",reason=\"closed\"}",
            0.0,
        ),
        // r, where bob is (#c went with alice, the lobby has nobody).
        ("confab_rooms", 1.0),
        ("confab_history_dropped_total", 0.0),
    ];
    for (series, want) in expected {
        assert_eq!(value(&scrape, series), Some(want), "{series} in\n{scrape}");
    }
    // Bytes and commits vary with the welcome burst and the batching; they only move up.
    let irc_bytes = value(&scrape, "confab_outbox_bytes_total{protocol=\"irc\"}").unwrap();
    assert!(irc_bytes > 500.0, "alice's welcome at least: {irc_bytes}");
    let commits = value(&scrape, "confab_history_commit_seconds_count").unwrap();
    let all = value(&scrape, "confab_history_commit_seconds_bucket{le=\"+Inf\"}");
    assert!(commits >= 1.0 && all == Some(commits), "{scrape}");
    assert!(value(&scrape, "confab_process_resident_memory_bytes").unwrap() > 1e6);
    assert!(value(&scrape, "confab_process_open_fds").unwrap() >= 4.0);
    assert!(scrape.contains("# HELP confab_flood_delays_total Times a client's input"));

    assert_eq!(get(metrics, "/healthz").await, (200, "ok\n".into()));
    assert_eq!(get(metrics, "/readyz").await, (200, "ready\n".into()));
    assert_eq!(get(metrics, "/nope").await.0, 404);

    // Shutting down: not ready any more, still alive, while bob is told goodbye.
    server.begin_stop();
    let (status, body) = get(metrics, "/readyz").await;
    assert_eq!((status, body.as_str()), (503, "not ready: shutting down\n"));
    assert_eq!(get(metrics, "/healthz").await.0, 200);
    bob.rest().await;
    server.stop().await;
}

/// What rooms clients were sent from their outboxes: bob's and carol's two `0` replies,
/// then bob's join, six lines and leave notices.
const ROOMS_BYTES: usize = 4 * "0\n".len()
    + "* carol joined\n".len()
    + 6 * "carol: line 0\n".len()
    + "* carol left\n".len();
