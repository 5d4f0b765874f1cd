//! The `http` listener: the page at `/`, a 404 elsewhere, and IRC over WebSocket at `/irc`
//! (IRCv3 WebSocket), whose users meet TCP IRC and rooms users in the one core. HTTP
//! answers are compared whole, byte for byte, but for their `date` line; WebSocket frames
//! the server must close with are written and read as raw bytes.

use std::net::SocketAddr;
use std::time::Duration;

use confab_testkit::classroom::*;
use confab_testkit::irc::*;
use confab_testkit::ws::{
    close, frame, switching, upgrade, upgrade_request, without_date, Web, ACCEPT,
};
use confab_testkit::Client;
use futures_util::SinkExt;
use tokio_tungstenite::tungstenite::Message;

/// Sends `request` on a new connection and reads the answer until the server closes,
/// without its date.
async fn exchange(addr: SocketAddr, request: &str) -> String {
    without_date(&Client::exchange(addr, request.as_bytes()).await)
}

/// An upgrade request for `path` on the page's host.
fn request(path: &str, extra: &str) -> String {
    upgrade_request("confab.test", path, extra)
}

/// Opens a WebSocket to `/irc` by hand, checks the `101` answer is exactly `expected`
/// (but for its date), and returns the connection.
async fn open(server: &TestServer, extra: &str, expected: &str) -> Client {
    let mut client = Client::connect(server.addr("http")).await;
    assert_eq!(
        upgrade(&mut client, &request("/irc", extra)).await,
        expected
    );
    client
}

/// A registered WebSocket user `nick` speaking `text.ircv3.net`.
async fn text_user(server: &TestServer, nick: &str) -> Web {
    let mut web = Web::connect(server.addr("http"), nick, TEXT, TEXT).await;
    web.register(SERVER, "TestNet").await;
    web
}

/// The text subprotocol.
const TEXT: &str = "text.ircv3.net";

/// Expects the lines of a burst from `source` in `#burst`, in order.
async fn expect_burst(web: &mut Web, label: &str, lines: usize, pad: &str) {
    for i in 0..lines {
        let line = format!(":source!source@127.0.0.1 PRIVMSG #burst :{label} {i:05} {pad}");
        web.expect(&line).await;
    }
}

#[tokio::test]
async fn a_websocket_user_chats_with_irc_and_rooms_users() {
    let server = server().await;
    // The subprotocol asked for is echoed in the handshake (in `Web::connect`).
    let mut wes = text_user(&server, "wes").await;
    wes.send("JOIN #lobby").await;
    wes.expect(":wes!wes@127.0.0.1 JOIN #lobby").await;
    wes.skip_past(":irc.test 366 wes #lobby :End of /NAMES list")
        .await;
    ok(async {
        let mut alice = Irc::register(&server, "alice").await?;
        alice.join("#lobby").await?;
        let mut carol = rooms_user(&server, "lobby", "carol").await?;
        wes.expect(":alice!alice@127.0.0.1 JOIN #lobby").await;
        wes.expect(":carol!carol@rooms JOIN #lobby").await;
        alice.expect(":carol!carol@rooms JOIN #lobby").await?;

        // The WebSocket user speaks: one message, no CR LF; others get ordinary lines.
        wes.send("PRIVMSG #lobby :hello from the web").await;
        alice
            .expect(":wes!wes@127.0.0.1 PRIVMSG #lobby :hello from the web")
            .await?;
        carol.expect_line(b"wes: hello from the web").await?;
        // And hears them, each line one message.
        alice.send("PRIVMSG #lobby :hi wes").await?;
        wes.expect(":alice!alice@127.0.0.1 PRIVMSG #lobby :hi wes")
            .await;
        carol.expect_line(b"alice: hi wes").await?;
        carol.send_line(b"hello from rooms").await?;
        wes.expect(":carol!carol@rooms PRIVMSG #lobby :hello from rooms")
            .await;
        alice
            .expect(":carol!carol@rooms PRIVMSG #lobby :hello from rooms")
            .await?;
        // Direct messages both ways.
        alice.send("PRIVMSG wes :psst").await?;
        wes.expect(":alice!alice@127.0.0.1 PRIVMSG wes psst").await;
        wes.send("PRIVMSG alice :yes?").await;
        alice
            .expect(":wes!wes@127.0.0.1 PRIVMSG alice yes?")
            .await?;
        // QUIT ends it like on TCP.
        wes.send("QUIT :bye").await;
        alice.expect(":wes!wes@127.0.0.1 QUIT :Quit: bye").await?;
        Ok(())
    }
    .await);
}

#[tokio::test]
async fn binary_is_chosen_when_offered_first_and_lines_come_as_binary_messages() {
    let server = server().await;
    let protocols = "binary.ircv3.net, text.ircv3.net";
    let mut web = Web::connect(server.addr("http"), "bin", protocols, "binary.ircv3.net").await;
    web.send("PING first").await;
    assert_eq!(
        web.next().await,
        Message::binary(&b":irc.test PONG irc.test first"[..])
    );
}

#[tokio::test]
async fn a_page_of_another_origin_is_refused_with_403() {
    let server = server().await;
    let request = request("/irc", "Origin: http://evil.example\r\n");
    let text = "403 Forbidden: pages from http://evil.example may not open /irc on this \
                server; its operator can add the origin to [http] allowed_origins\n";
    assert_eq!(
        exchange(server.addr("http"), &request).await,
        format!(
            "HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain; charset=utf-8\r\n\
             connection: close\r\ncontent-length: {}\r\n\r\n{text}",
            text.len()
        )
    );
    // The page's own origin and loopback pages are welcome.
    for origin in ["http://confab.test", "http://localhost:3000"] {
        let extra = format!("Origin: {origin}\r\nSec-WebSocket-Protocol: text.ircv3.net\r\n");
        open(&server, &extra, &switching("text.ircv3.net")).await;
    }
}

#[tokio::test]
async fn the_page_has_an_etag_and_a_matching_if_none_match_gets_304() {
    let server = server().await;
    let addr = server.addr("http");
    let page = include_str!("../../../web/index.html");
    let answer = exchange(
        addr,
        "GET / HTTP/1.1\r\nHost: confab.test\r\nConnection: close\r\n\r\n",
    )
    .await;
    let etag = answer
        .split("\r\n")
        .find_map(|line| line.strip_prefix("etag: "))
        .expect("an etag")
        .to_string();
    assert_eq!(
        answer,
        format!(
            "HTTP/1.1 200 OK\r\netag: {etag}\r\ncache-control: no-cache\r\n\
             vary: accept-encoding\r\ncontent-type: text/html; charset=utf-8\r\n\
             connection: close\r\n\
             content-length: {}\r\n\r\n{page}",
            page.len()
        )
    );
    let conditional = format!(
        "GET / HTTP/1.1\r\nHost: confab.test\r\nIf-None-Match: {etag}\r\nConnection: close\r\n\r\n"
    );
    assert_eq!(
        exchange(addr, &conditional).await,
        format!(
            "HTTP/1.1 304 Not Modified\r\netag: {etag}\r\ncache-control: no-cache\r\n\
             vary: accept-encoding\r\nconnection: close\r\n\r\n"
        )
    );
}

#[tokio::test]
#[allow(
    clippy::too_many_lines,
    reason = "one linear scenario: each file the page loads, fetched plain, gzipped and revalidated"
)]
async fn the_page_s_scripts_and_style_are_served_with_their_types_and_gzipped_on_request() {
    let server = server().await;
    let addr = server.addr("http");
    // Every file the page loads, with its type, as the browser asks for it.
    let files = [
        (
            "/style.css",
            "text/css; charset=utf-8",
            include_str!("../../../web/style.css"),
        ),
        (
            "/app.js",
            "text/javascript; charset=utf-8",
            include_str!("../../../web/app.js"),
        ),
        (
            "/irc.js",
            "text/javascript; charset=utf-8",
            include_str!("../../../web/irc.js"),
        ),
    ];
    for (path, content_type, body) in files {
        let request =
            format!("GET {path} HTTP/1.1\r\nHost: confab.test\r\nConnection: close\r\n\r\n");
        let answer = exchange(addr, &request).await;
        assert!(
            answer.starts_with("HTTP/1.1 200 OK\r\netag: \""),
            "{answer:?}"
        );
        let tail = format!(
            "\r\ncache-control: no-cache\r\nvary: accept-encoding\r\ncontent-type: {content_type}\r\n\
             connection: close\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        assert!(answer.ends_with(&tail), "{path}: {answer:?}");
    }
    // Accept-Encoding: gzip gets a smaller gzip body with a tag of its own, and that tag
    // gets a 304.
    let app = include_str!("../../../web/app.js");
    let request = "GET /app.js HTTP/1.1\r\nHost: confab.test\r\nAccept-Encoding: gzip, br\r\n\
                   Connection: close\r\n\r\n";
    let mut stream = Client::connect(addr).await;
    stream.send(request.as_bytes()).await;
    let answer = stream.rest_bytes().await;
    let split = answer.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let head = without_date(std::str::from_utf8(&answer[..split]).unwrap());
    let body = &answer[split..];
    let etag = head
        .split("\r\n")
        .find_map(|l| l.strip_prefix("etag: "))
        .unwrap()
        .to_string();
    assert!(etag.ends_with("-gz\""), "{etag}");
    assert_eq!(
        head,
        format!(
            "HTTP/1.1 200 OK\r\netag: {etag}\r\ncache-control: no-cache\r\nvary: accept-encoding\r\n\
             content-type: text/javascript; charset=utf-8\r\ncontent-encoding: gzip\r\n\
             connection: close\r\ncontent-length: {}\r\n\r\n",
            body.len()
        )
    );
    assert!(
        body.len() < app.len() / 2,
        "{} of {}",
        body.len(),
        app.len()
    );
    assert_eq!(&body[..2], b"\x1f\x8b", "the gzip magic");
    let conditional = format!(
        "GET /app.js HTTP/1.1\r\nHost: confab.test\r\nAccept-Encoding: gzip\r\n\
         If-None-Match: {etag}\r\nConnection: close\r\n\r\n"
    );
    assert!(exchange(addr, &conditional)
        .await
        .starts_with("HTTP/1.1 304 Not Modified\r\n"));
}

#[tokio::test]
async fn a_post_to_a_file_gets_405() {
    let server = server().await;
    let request = "POST /app.js HTTP/1.1\r\nHost: confab.test\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    let answer = exchange(server.addr("http"), request).await;
    assert!(
        answer.starts_with("HTTP/1.1 405 Method Not Allowed\r\n"),
        "{answer:?}"
    );
    assert!(answer.contains("\r\nallow: GET, HEAD\r\n"), "{answer:?}");
    assert!(
        answer.ends_with("/app.js takes GET or HEAD\n"),
        "{answer:?}"
    );
}

#[tokio::test]
async fn an_unknown_path_gets_the_404_page() {
    let server = server().await;
    let body = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<title>Not found</title></head>\n<body><h1>404 Not Found</h1>\n<p>This confab serves its page \
at <a href=\"/\">/</a> and IRC over WebSocket at <code>/irc</code>.</p></body></html>\n";
    let request = "GET /nowhere HTTP/1.1\r\nHost: confab.test\r\nConnection: close\r\n\r\n";
    assert_eq!(
        exchange(server.addr("http"), request).await,
        format!(
            "HTTP/1.1 404 Not Found\r\ncontent-type: text/html; charset=utf-8\r\n\
             connection: close\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        )
    );
}

#[tokio::test]
async fn a_message_over_the_line_limit_is_closed_with_1009_and_others_chat_on() {
    let server = server().await;
    let mut bystander = text_user(&server, "by").await;
    let extra = "Sec-WebSocket-Protocol: text.ircv3.net\r\n";
    let mut stream = open(&server, extra, &switching("text.ircv3.net")).await;
    // 16 KiB with CR LF is the IRC read limit, so 16 KiB - 1 without is one too many.
    let long = vec![b'a'; 16 * 1024 - 1];
    stream.send(&frame(0x81, &long)).await;
    stream.expect(&close(1009, "message too long")).await;
    assert_eq!(stream.rest_bytes().await, b"");
    // The other user did not notice.
    bystander.send("PING still-here").await;
    bystander.expect(":irc.test PONG irc.test still-here").await;
}

#[tokio::test]
async fn a_text_message_that_is_not_utf8_is_closed_with_1007() {
    let server = server().await;
    let extra = "Sec-WebSocket-Protocol: text.ircv3.net\r\n";
    let mut stream = open(&server, extra, &switching("text.ircv3.net")).await;
    stream.send(&frame(0x81, b"PRIVMSG x :caf\xe9")).await;
    stream.expect(&close(1007, "text message not UTF-8")).await;
}

#[tokio::test]
async fn without_a_subprotocol_the_socket_speaks_text_and_slash_serves_it_too() {
    let server = server().await;
    // A client given only ws://host:port (irctest) asks for `/`.
    let mut stream = Client::connect(server.addr("http")).await;
    assert_eq!(
        upgrade(&mut stream, &request("/", "")).await,
        format!(
            "HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\n\
             sec-websocket-accept: {ACCEPT}\r\n\r\n"
        )
    );
    let mut ws = Web::over(stream, "plain").await;
    ws.send("PING plain").await;
    ws.expect(":irc.test PONG irc.test plain").await;
}

#[tokio::test]
async fn head_gets_the_page_s_headers_without_its_body() {
    let server = server().await;
    let page = include_str!("../../../web/index.html");
    let request = "HEAD / HTTP/1.1\r\nHost: confab.test\r\nConnection: close\r\n\r\n";
    let answer = exchange(server.addr("http"), request).await;
    assert!(
        answer.ends_with(&format!("content-length: {}\r\n\r\n", page.len())),
        "{answer:?}"
    );
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer:?}");
}

#[tokio::test]
async fn malformed_requests_get_400_and_oversized_headers_431() {
    let server = server().await;
    let addr = server.addr("http");
    assert_eq!(
        exchange(addr, "GET / HTTP/1.1\r\nHost confab.test\r\n\r\n").await,
        "HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n"
    );
    // 16 KiB of head at most.
    let cookie = "c".repeat(16 * 1024);
    let request = format!("GET / HTTP/1.1\r\nHost: confab.test\r\nCookie: {cookie}\r\n\r\n");
    assert_eq!(
        exchange(addr, &request).await,
        "HTTP/1.1 431 Request Header Fields Too Large\r\nconnection: close\r\n\
         content-length: 0\r\n\r\n"
    );
}

#[tokio::test]
async fn the_hundredth_request_on_one_connection_is_the_last() {
    let server = server().await;
    let mut stream = Client::connect(server.addr("http")).await;
    let request = "GET /x HTTP/1.1\r\nHost: confab.test\r\n\r\n";
    // Pipelined: every answer is a 404 of known length; only the last says close.
    stream.send(request.repeat(100).as_bytes()).await;
    let answers = stream.rest().await;
    assert_eq!(answers.matches("HTTP/1.1 404 Not Found\r\n").count(), 100);
    assert_eq!(answers.matches("connection: close\r\n").count(), 1);
    let last = answers.rsplit("HTTP/1.1 ").next().unwrap();
    assert!(last.contains("connection: close\r\n"), "{last:?}");
}

#[tokio::test]
async fn a_slow_handshake_is_closed_and_costs_others_nothing() {
    let server = server_with(|config| config.http.header_timeout_secs = 1).await;
    let mut slow = Client::connect(server.addr("http")).await;
    slow.send(b"GET /irc HTTP/1.1\r\nHost: confab.test\r\n")
        .await;
    // Silent, and idle after one answer: both wait no longer than a slow one.
    let mut silent = Client::connect(server.addr("http")).await;
    let mut idle = Client::connect(server.addr("http")).await;
    idle.send(b"GET /x HTTP/1.1\r\nHost: confab.test\r\n\r\n")
        .await;
    // Meanwhile another client gets its WebSocket and chats.
    let mut web = text_user(&server, "quick").await;
    let started = tokio::time::Instant::now();
    assert_eq!(slow.rest().await, "");
    assert_eq!(silent.rest_bytes().await, b"");
    let one_answer = idle.rest_bytes().await;
    assert!(one_answer.starts_with(b"HTTP/1.1 404 Not Found\r\n"));
    let waited = started.elapsed();
    assert!(waited < Duration::from_secs(2), "{waited:?}");
    web.send("PING after").await;
    web.expect(":irc.test PONG irc.test after").await;
}

#[tokio::test]
async fn a_shutdown_says_goodbye_in_irc_and_in_the_close_frame() {
    use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
    use tokio_tungstenite::tungstenite::protocol::CloseFrame;
    let server = server().await;
    let mut web = text_user(&server, "last").await;
    let stopped = tokio::spawn(server.stop());
    web.expect("ERROR :Closing link: server shutting down")
        .await;
    assert_eq!(
        web.next().await,
        Message::Close(Some(CloseFrame {
            code: CloseCode::Normal,
            reason: "Closing link: server shutting down".into(),
        }))
    );
    stopped.await.unwrap();
}

#[tokio::test]
async fn a_websocket_ping_gets_its_pong() {
    let server = server().await;
    let mut web = Web::connect(server.addr("http"), "pinger", TEXT, TEXT).await;
    web.ws
        .send(Message::Ping("are you there".into()))
        .await
        .unwrap();
    assert_eq!(web.next().await, Message::Pong("are you there".into()));
}

/// Regression (docs/benchmarks.md, "IRC over WebSocket beside plain IRC"): a fan-out burst
/// many times a write buffer and the kernel's socket buffers reaches a WebSocket member
/// whole and in order, while the member is not reading (the server's writes are then only
/// partly taken, and the rest must go once the socket drains, with no new delivery to
/// wake the writer) and while it reads; the connection stays open throughout.
#[tokio::test]
async fn a_burst_far_past_the_write_buffers_arrives_whole_and_in_order() {
    const LINES: usize = 20_000;
    // ~120 bytes a line: 2.4 MB per burst, against a 4 KiB receive buffer.
    let pad = "x".repeat(80);
    // Room in the outbox for a whole burst: this is about the write path, not about the
    // slow-consumer rule.
    let server = server_with(|config| config.limits.outbox_bytes = 64 << 20).await;
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut stream = Client::over(socket.connect(server.addr("http")).await.unwrap());
    let extra = format!("Sec-WebSocket-Protocol: {TEXT}\r\n");
    assert_eq!(
        upgrade(&mut stream, &request("/irc", &extra)).await,
        switching(TEXT)
    );
    let mut web = Web::over(stream, "sink").await;
    web.register(SERVER, "TestNet").await;
    web.send("JOIN #burst").await;
    web.skip_past(":irc.test 366 sink #burst :End of /NAMES list")
        .await;
    ok(async {
        let mut sender = Irc::register(&server, "source").await?;
        sender.join("#burst").await?;
        web.expect(":source!source@127.0.0.1 JOIN #burst").await;
        let burst = |label: &str| -> String {
            (0..LINES)
                .map(|i| format!("PRIVMSG #burst :{label} {i:05} {pad}\r\n"))
                .collect()
        };
        // All of the first burst is sent and handled before the member reads a byte.
        sender.wire.set_timeout(Duration::from_secs(30));
        sender.wire.send(burst("unread").as_bytes()).await?;
        sender.sync().await?;
        expect_burst(&mut web, "unread", LINES, &pad).await;
        // The second is read as it comes.
        let mut wire = sender.wire;
        let lines = burst("read");
        let sending = tokio::spawn(async move { wire.send(lines.as_bytes()).await.map(|()| wire) });
        expect_burst(&mut web, "read", LINES, &pad).await;
        // Kept open, so its QUIT does not come between.
        let _sender = sending.await.expect("the sender's task")?;
        // Still open: a command gets its answer.
        web.send("PING still-here").await;
        web.expect(":irc.test PONG irc.test still-here").await;
        Ok(())
    }
    .await);
}
