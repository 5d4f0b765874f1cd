//! Adapter behaviour found in review that the conformance scenarios do not pin down:
//! reply order for a packet sent to oneself, the 500 ms silence rule counted from the last
//! bytes, and a last line without a newline at EOF.

use std::time::Duration;

use confab_testkit::{Client, TestServer};
use tokio::time::sleep;

#[tokio::test]
async fn packet_sendto_oneself_answers_before_delivering() {
    let server = TestServer::start().await;
    let mut c = Client::connect(server.addr("packet")).await;
    // login "me"
    c.send(b"\x01\x00\x00\x00\x03\x02me").await;
    c.expect(b"\x82\x00\x00\x00\x01\x00").await;
    // sendto me "hi": RESPONSE ok first, then the SENDTO it caused.
    c.send(b"\x03\x00\x00\x00\x09\x02me\x00\x00\x00\x02hi")
        .await;
    c.expect(b"\x82\x00\x00\x00\x01\x00").await;
    c.expect(b"\x83\x00\x00\x00\x09\x02me\x00\x00\x00\x02hi")
        .await;
}

#[tokio::test]
async fn prefixed_width_waits_for_500_ms_after_the_last_byte() {
    let server = TestServer::start().await;
    let mut c = Client::connect(server.addr("prefixed")).await;
    // A 4-digit client typing slowly: no gap reaches 500 ms, though the whole does.
    for byte in [b"0", b"0", b"0"] {
        c.send(byte).await;
        sleep(Duration::from_millis(300)).await;
    }
    c.send(b"6NAME A").await;
    c.expect(b"0007Hello A").await;
}

#[tokio::test]
async fn a_last_rooms_line_without_newline_is_said_at_eof() {
    let server = TestServer::start().await;
    let addr = server.addr("rooms");
    let mut a = Client::connect(addr).await;
    a.send(b"/join r\n/nick a\n").await;
    a.expect(b"0\n0\n").await;
    let mut b = Client::connect(addr).await;
    b.send(b"/join r\n/nick b\nhello").await;
    b.expect(b"0\n0\n").await;
    b.shutdown().await;
    a.expect(b"* b joined\nb: hello\n* b left\n").await;
}
