//! A client that stops reading in a busy room is disconnected when its outbox fills, and
//! everyone else's delivery goes on, complete and in order.

use std::time::Duration;

use confab_testkit::{Client, TestServer};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpSocket;

/// Every wait of this test: a batch may take a while on a busy machine.
const WAIT: Duration = Duration::from_secs(10);

/// A rooms user in the room `busy`.
async fn rooms_user(addr: std::net::SocketAddr, nick: &str) -> Client {
    Client::rooms_user(addr, "busy", nick).await.waiting(WAIT)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_reads_is_cut_off_and_the_others_go_on() {
    let server = TestServer::start_with(|c| c.limits.outbox_bytes = 64 * 1024).await;
    let addr = server.addr("rooms");
    let mut talker = rooms_user(addr, "talker").await;
    let mut reader = rooms_user(addr, "reader").await;
    assert_eq!(talker.line().await, "* reader joined\n");

    // The slow client asks for a tiny receive window and then never reads again.
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut slow = socket.connect(addr).await.unwrap();
    slow.write_all(b"/join busy\n/nick slow\n").await.unwrap();
    assert_eq!(talker.line().await, "* slow joined\n");
    assert_eq!(reader.line().await, "* slow joined\n");

    // The talker sends in batches and waits until the reader has each batch, so the
    // reader is never the one behind; only the slow client's outbox can fill. At most
    // 20,000 messages of 1 KB.
    let payload = "x".repeat(1000);
    const BATCH: u32 = 32;
    let mut sent = 0u32;
    let mut slow_left = false;
    while sent < 20_000 && !slow_left {
        let mut batch = String::new();
        for n in sent..sent + BATCH {
            batch.push_str(&format!("{n:06} {payload}\n"));
        }
        talker.send(batch.as_bytes()).await;
        for n in sent..sent + BATCH {
            let mut line = reader.line().await;
            if line == "* slow left\n" {
                slow_left = true;
                line = reader.line().await;
            }
            let number = format!("talker: {n:06} ");
            assert!(
                line.starts_with(&number),
                "message {n} once and in order, got {:?}",
                &line[..40.min(line.len())]
            );
        }
        sent += BATCH;
    }
    assert!(
        slow_left,
        "the slow client was disconnected before 20,000 messages"
    );
    // The talker heard it too, and delivery goes on after the slow client is gone.
    assert_eq!(talker.line().await, "* slow left\n");
    talker.send(b"still here\n").await;
    assert_eq!(reader.line().await, "talker: still here\n");
    drop(slow);
}
