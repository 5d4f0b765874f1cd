//! Adapter behaviour found in review that the conformance scenarios do not pin down:
//! reply order for a packet sent to oneself, the 500 ms silence rule counted from the last
//! bytes, and a last line without a newline at EOF.

use std::time::Duration;

use confab_testkit::{expect_bytes as expect, TestServer};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::time::sleep;

#[tokio::test]
async fn packet_sendto_oneself_answers_before_delivering() {
    let server = TestServer::start().await;
    let mut c = TcpStream::connect(server.addr("packet")).await.unwrap();
    // login "me"
    c.write_all(b"\x01\x00\x00\x00\x03\x02me").await.unwrap();
    expect(&mut c, b"\x82\x00\x00\x00\x01\x00").await;
    // sendto me "hi": RESPONSE ok first, then the SENDTO it caused.
    c.write_all(b"\x03\x00\x00\x00\x09\x02me\x00\x00\x00\x02hi")
        .await
        .unwrap();
    expect(&mut c, b"\x82\x00\x00\x00\x01\x00").await;
    expect(&mut c, b"\x83\x00\x00\x00\x09\x02me\x00\x00\x00\x02hi").await;
}

#[tokio::test]
async fn prefixed_width_waits_for_500_ms_after_the_last_byte() {
    let server = TestServer::start().await;
    let mut c = TcpStream::connect(server.addr("prefixed")).await.unwrap();
    // A 4-digit client typing slowly: no gap reaches 500 ms, though the whole does.
    for byte in [b"0", b"0", b"0"] {
        c.write_all(byte).await.unwrap();
        sleep(Duration::from_millis(300)).await;
    }
    c.write_all(b"6NAME A").await.unwrap();
    expect(&mut c, b"0007Hello A").await;
}

#[tokio::test]
async fn a_last_rooms_line_without_newline_is_said_at_eof() {
    let server = TestServer::start().await;
    let addr = server.addr("rooms");
    let mut a = TcpStream::connect(addr).await.unwrap();
    a.write_all(b"/join r\n/nick a\n").await.unwrap();
    expect(&mut a, b"0\n0\n").await;
    let mut b = TcpStream::connect(addr).await.unwrap();
    b.write_all(b"/join r\n/nick b\nhello").await.unwrap();
    expect(&mut b, b"0\n0\n").await;
    b.shutdown().await.unwrap();
    expect(&mut a, b"* b joined\nb: hello\n* b left\n").await;
}
