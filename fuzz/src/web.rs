//! Fuzz target body for the `http` listener: arbitrary bytes are one client's side of a
//! connection to `confab_server::http::connection::serve`, in chunks, over an in-memory
//! pipe: requests for the page, its assets and anything else, and, once a request on
//! `/irc` is upgraded, WebSocket frames (masked or not, fragmented, control frames,
//! invalid UTF-8, over the limit) carrying IRC to a real hub that already holds two users
//! in two rooms. Nothing may panic or hang; every answer is an HTTP response; and once
//! the client has gone, nothing of it is left: its admission slot is given back, its name
//! and rooms are gone, and every room left has members.
//!
//! Time is tokio's paused clock, so the listener's timeouts (a slow head, an idle
//! keep-alive, IRC's PING) pass at once when nothing else can run, rather than in real
//! seconds.
//!
//! Shared by the AFL binary `http` and, through `#[path]`, by the corpus replay in
//! `crates/server/tests/fuzz_corpus.rs`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use confab_server::http::connection::serve;
use confab_server::shared::Shared;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

// `super`, not `crate`: the corpus replay includes this file beside `server.rs` in a
// module of its test binary.
use super::server::{populated_server, Target};

/// Every target, by the name of its AFL binary and its corpus directory.
pub const TARGETS: &[(&str, Target)] = &[("http", http)];

/// The most of the server's answer kept to look at: enough for any status line.
const ANSWER_KEPT: usize = 64 * 1024;
/// Longer than any of the listener's timeouts: on the paused clock, a connection still
/// open after this is stuck, which is a finding.
const STUCK_AFTER: Duration = Duration::from_secs(600);

/// Feeds `data` to a fresh `http` connection. The first byte steers the run: its low 7
/// bits are the chunk size minus one; bit 7 keeps the client's side open after the last
/// chunk (the server must then end the connection by its own timeouts) rather than
/// closing it.
pub fn http(data: &[u8]) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .expect("a runtime");
    runtime.block_on(exchange(data));
}

async fn exchange(data: &[u8]) {
    let (&ctl, rest) = data.split_first().unwrap_or((&0, &[]));
    let chunk = usize::from(ctl & 0x7f) + 1;
    let keep_open = ctl & 0x80 != 0;

    let (shared, peers) = populated_server();
    let shared = Arc::new(shared);
    let ticket = shared
        .admission
        .admit(peer(), Instant::now())
        .expect("loopback is admitted");
    let (mut client, server_side) = tokio::io::duplex(16 * 1024);
    let tasks = TaskTracker::new();
    let shutdown = CancellationToken::new();
    // The connection's deadlines (registration, PING) ring through the alarms, as under
    // the server, so a client that stays silent is put out in time.
    let alarms = shared.alarms.clone();
    let ringing = tokio::spawn({
        let stop = shutdown.clone();
        async move { alarms.run(stop).await }
    });
    tasks.spawn(serve(
        server_side,
        false,
        shared.clone(),
        ticket,
        shutdown.clone(),
        tasks.clone(),
    ));
    let (mut reading, mut writing) = tokio::io::split(&mut client);
    let answer = async {
        let mut answer = Vec::new();
        let mut buf = [0u8; 4096];
        while let Ok(n @ 1..) = reading.read(&mut buf).await {
            if answer.len() < ANSWER_KEPT {
                answer.extend_from_slice(&buf[..n]);
            }
        }
        answer
    };
    let send = async {
        for piece in rest.chunks(chunk) {
            if writing.write_all(piece).await.is_err() {
                return;
            }
        }
        if !keep_open {
            let _ = writing.shutdown().await;
        }
    };
    let (answer, ()) = tokio::time::timeout(STUCK_AFTER, async { tokio::join!(answer, send) })
        .await
        .expect("the server ended the connection");
    drop(client);
    tasks.close();
    tokio::time::timeout(STUCK_AFTER, tasks.wait())
        .await
        .expect("every task of the connection ended");
    shutdown.cancel();
    let _ = ringing.await;

    check_left_clean(&answer, &shared, peers.len());
}

/// What must hold once the connection is over: any answer is HTTP, the admission slot
/// is given back, and the hub holds no name or room the populated server did not.
fn check_left_clean(answer: &[u8], shared: &Shared, peers: usize) {
    if !answer.is_empty() {
        assert!(
            answer.starts_with(b"HTTP/1.1 ") || answer.starts_with(b"HTTP/1.0 "),
            "not an HTTP response: {:?}",
            String::from_utf8_lossy(&answer[..answer.len().min(200)])
        );
    }
    assert_eq!(shared.admission.open(), 0, "the connection's slot was kept");
    let hub = &shared.hub;
    let names = hub.names();
    assert!(names.len() <= peers, "names left behind: {names:?}");
    for room in hub.rooms() {
        assert!(
            !hub.members(room.as_str()).is_empty(),
            "room {room} lingers without members"
        );
    }
}

fn peer() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 40001))
}
