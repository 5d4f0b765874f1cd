//! Slow consumers against the real `confab serve`, with its memory watched from /proc:
//! clients that never read, in a room flooded with more than 50 MB, are disconnected when
//! their outbox fills; everyone else's delivery goes on, exact and in order; and the
//! server's resident set stays bounded. A reply to a client's own request (a long NAMES,
//! WHO, `/who`, GET_NAMES or LIST) never trips its outbox, however small.

mod serve_support;

use std::net::SocketAddr;
use std::time::Duration;

use confab_testkit::Client;
use serve_support::{mib, Serve};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpSocket;

/// The outbox limit of the flood test.
const OUTBOX: usize = 64 * 1024;
/// Clients that never read.
const SLOW: usize = 4;
/// Bytes pushed through the room (each message about 1 KB).
const FLOOD_BYTES: usize = 50 * 1024 * 1024;
/// The most the server's RSS may grow over its baseline, during the flood and after: the
/// slow clients' outboxes and write buffers (a few times `SLOW * OUTBOX`), plus room for
/// allocator noise. An unbounded outbox would hold the whole flood per slow client.
const RSS_GROWTH_MAX_KIB: u64 = 16 * 1024;

/// How long one line may take: the flood keeps the machine busy.
const LINE_WAIT: Duration = Duration::from_secs(20);

/// A rooms user in `room`.
async fn rooms_user(addr: SocketAddr, room: &str, nick: &str) -> Client {
    Client::rooms_user(addr, room, nick)
        .await
        .waiting(LINE_WAIT)
}

/// Sends `count` numbered messages from `talker` in batches, each batch read whole by
/// `reader` before the next (so the reader is never the one behind), checking every
/// message arrives once and in order. Returns the `* X left` notices seen meanwhile.
async fn flood(
    talker: &mut Client,
    reader: &mut Client,
    from: u32,
    count: u32,
    mut sample: impl FnMut(),
) -> Vec<String> {
    let payload = "x".repeat(1000);
    // A batch stays well under the outbox limit, so the reader never overflows.
    const BATCH: u32 = 16;
    let mut left = Vec::new();
    let mut sent = from;
    while sent < from + count {
        let end = (sent + BATCH).min(from + count);
        let mut batch = String::new();
        for n in sent..end {
            batch.push_str(&format!("{n:08} {payload}\n"));
        }
        talker.send(batch.as_bytes()).await;
        for n in sent..end {
            let mut line = reader.line().await;
            while line.starts_with("* ") {
                left.push(line);
                line = reader.line().await;
            }
            let want = format!("talker: {n:08} ");
            assert!(
                line.starts_with(&want) && line.len() == want.len() + 1001,
                "message {n} exactly once and in order, got {:?}",
                &line[..40.min(line.len())]
            );
        }
        sent = end;
        sample();
    }
    left
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[allow(
    clippy::too_many_lines,
    reason = "one linear scenario: a baseline, slow clients cut off, delivery after them, memory"
)]
async fn clients_that_never_read_are_cut_off_and_memory_stays_bounded() {
    let serve = Serve::start(&["--outbox-bytes", &OUTBOX.to_string()]);
    let addr = serve.addr("rooms");
    let mut talker = rooms_user(addr, "flood", "talker").await;
    let mut reader = rooms_user(addr, "flood", "reader").await;
    assert_eq!(talker.line().await, "* reader joined\n");

    // Warm up: the same traffic without slow clients, so the allocator's caches and the
    // socket buffers have grown once before the baseline is taken.
    let warm = flood(&mut talker, &mut reader, 0, 4096, || {}).await;
    assert!(warm.is_empty(), "{warm:?}");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let baseline = serve.rss_kib();

    // Clients that ask for a tiny receive window and never read again.
    let mut slow = Vec::new();
    for i in 0..SLOW {
        let socket = TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(4096).unwrap();
        let mut stream = socket.connect(addr).await.unwrap();
        stream
            .write_all(format!("/join flood\n/nick slow{i}\n").as_bytes())
            .await
            .unwrap();
        assert_eq!(talker.line().await, format!("* slow{i} joined\n"));
        assert_eq!(reader.line().await, format!("* slow{i} joined\n"));
        slow.push(stream);
    }

    let count = u32::try_from(FLOOD_BYTES / 1010).unwrap();
    let mut peak = baseline;
    let pid = serve.pid();
    let mut left = flood(&mut talker, &mut reader, 4096, count, || {
        peak = peak.max(serve_support::rss_kib(pid));
    })
    .await;
    left.sort();
    let expected: Vec<String> = (0..SLOW).map(|i| format!("* slow{i} left\n")).collect();
    assert_eq!(left, expected, "every slow client was disconnected");
    for _ in 0..SLOW {
        let line = talker.line().await;
        assert!(
            line.starts_with("* slow") && line.ends_with(" left\n"),
            "{line:?}"
        );
    }
    // Delivery goes on after they are gone.
    talker.send(b"still here\n").await;
    assert_eq!(reader.line().await, "talker: still here\n");
    // The slow clients see the goodbye after whatever fitted in their window, then EOF.
    for stream in slow {
        let all = Client::over(stream)
            .waiting(Duration::from_secs(10))
            .until_closed()
            .await;
        assert!(
            all.ends_with(b"* disconnected: too many unread messages\n") || all.len() > OUTBOX / 2,
            "a slow client got {} bytes",
            all.len()
        );
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let after = serve.rss_kib();
    eprintln!(
        "slow consumers: {SLOW} clients, outbox {OUTBOX} bytes, {:.1} MB through the room; \
         RSS baseline {:.1} MiB, peak {:.1} MiB (+{:.1}), after {:.1} MiB (+{:.1})",
        f64::from(count) * 1010.0 / 1e6,
        mib(baseline),
        mib(peak),
        mib(peak.saturating_sub(baseline)),
        mib(after),
        mib(after.saturating_sub(baseline)),
    );
    assert!(
        peak.saturating_sub(baseline) < RSS_GROWTH_MAX_KIB,
        "RSS grew by {} KiB during the flood (bound {RSS_GROWTH_MAX_KIB})",
        peak - baseline
    );
    assert!(
        after.saturating_sub(baseline) < RSS_GROWTH_MAX_KIB,
        "RSS grew by {} KiB after the disconnects",
        after - baseline
    );
    serve.stop(Duration::from_secs(3));
}

/// Reads one rooms count line and that many lines after it.
async fn rooms_list(stream: &mut Client) -> Vec<String> {
    let count: usize = stream.line().await.trim_end().parse().unwrap();
    let mut lines = Vec::with_capacity(count);
    for _ in 0..count {
        lines.push(stream.line().await.trim_end().to_string());
    }
    lines
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[allow(
    clippy::too_many_lines,
    reason = "one linear scenario: 200 members join, then each protocol's long replies are asked for"
)]
async fn a_long_reply_to_ones_own_request_never_trips_a_tiny_outbox() {
    const USERS: usize = 200;
    let serve = Serve::start(&["--outbox-bytes", "4096"]);
    let names: Vec<String> = (0..USERS)
        .map(|i| format!("member_with_name{i:04}"))
        .collect();
    let names_len: usize = names.iter().map(|n| n.len() + 1).sum();
    assert!(names_len > 4096, "the lists are longer than the outbox");

    // 200 rooms users in `big`, each joining once the one before has its answer; each
    // member's own `* X joined` notices are drained by a task so no member falls behind.
    let mut members = Vec::new();
    for name in &names {
        let mut m = rooms_user(serve.addr("rooms"), "big", name)
            .await
            .into_stream();
        members.push(tokio::spawn(async move {
            let mut sink = vec![0u8; 4096];
            while m.read(&mut sink).await.is_ok_and(|n| n > 0) {}
        }));
    }
    let mut who = rooms_user(serve.addr("rooms"), "big", "asker").await;
    let mut irc = Client::connect(serve.addr("irc")).await.waiting(LINE_WAIT);
    irc.send(b"NICK ircasker\r\nUSER i 0 * :I\r\n").await;
    while !irc.line().await.contains(" 376 ircasker ") {}

    for round in 0..3 {
        // rooms `/who`: the count, then 201 names.
        who.send(b"/who\n").await;
        let mut got = rooms_list(&mut who).await;
        assert_eq!(got.len(), USERS + 1, "/who round {round}");
        got.pop();
        assert_eq!(got, names);

        // IRC NAMES, WHO and LIST of the channel.
        irc.send(b"NAMES #big\r\nWHO #big\r\nLIST\r\n").await;
        let mut in_names = 0;
        loop {
            let line = irc.line().await;
            if line.contains(" 366 ircasker #big ") {
                break;
            }
            assert!(line.contains(" 353 ircasker = #big :"), "{line:?}");
            in_names += line.split(' ').skip(5).count();
        }
        assert_eq!(in_names, USERS + 1, "NAMES round {round}");
        let mut in_who = 0;
        loop {
            let line = irc.line().await;
            if line.contains(" 315 ircasker #big ") {
                break;
            }
            assert!(line.contains(" 352 ircasker #big "), "{line:?}");
            in_who += 1;
        }
        assert_eq!(in_who, USERS + 1, "WHO round {round}");
        assert!(irc
            .line()
            .await
            .contains(&format!(" 322 ircasker #big {} ", USERS + 1)));
        assert!(irc.line().await.contains(" 323 ircasker "));

        // prefixed GET_NAMES (4-digit frames: one frame) and packet LIST.
        let mut p = Client::connect(serve.addr("prefixed")).await;
        p.send(b"0009GET_NAMES").await;
        let len = p.read_exact(4).await;
        let len: usize = std::str::from_utf8(&len).unwrap().parse().unwrap();
        let body = p.read_exact(len).await;
        let listed: Vec<&str> = std::str::from_utf8(&body).unwrap().split(' ').collect();
        assert_eq!(listed.len(), USERS + 2, "GET_NAMES round {round}");

        let mut k = Client::connect(serve.addr("packet")).await;
        k.send([0x02, 0, 0, 0, 0]).await;
        let header = k.read_exact(5).await;
        assert_eq!(header[0], 0x81, "a LIST packet");
        let len = u32::from_be_bytes([header[1], header[2], header[3], header[4]]) as usize;
        assert!(len > 4096, "the LIST is longer than the outbox");
        let body = k.read_exact(len).await;
        assert_eq!(
            u16::from_be_bytes([body[0], body[1]]) as usize,
            USERS + 2,
            "packet LIST round {round}"
        );
    }
    // The askers are still connected and answered.
    irc.send(b"PING end\r\n").await;
    assert!(irc.line().await.contains("PONG"));
    who.send(b"/list\n").await;
    assert_eq!(rooms_list(&mut who).await, ["big"]);
    for m in &members {
        assert!(!m.is_finished(), "no member was disconnected");
    }
    serve.stop(Duration::from_secs(3));
}
