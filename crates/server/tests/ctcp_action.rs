//! An IRC `/me` (CTCP ACTION) reaches the line protocols as `* nick action`, not as raw
//! `\x01ACTION ...\x01` bytes.

use std::time::Duration;

use confab_testkit::TestServer;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::time::timeout;

async fn line(stream: &mut BufReader<TcpStream>) -> String {
    let mut line = String::new();
    timeout(Duration::from_secs(5), stream.read_line(&mut line))
        .await
        .expect("a line within 5 s")
        .unwrap();
    line
}

/// Reads lines until one ends with `suffix` (the IRC welcome burst is long).
async fn skip_until(stream: &mut BufReader<TcpStream>, suffix: &str) {
    for _ in 0..100 {
        if line(stream).await.trim_end().ends_with(suffix) {
            return;
        }
    }
    panic!("never saw a line ending with {suffix:?}");
}

#[tokio::test]
async fn an_irc_action_reads_as_a_star_line_for_rooms_and_broadcast_users() {
    let server = TestServer::start().await;
    let mut rooms = BufReader::new(TcpStream::connect(server.addr("rooms")).await.unwrap());
    rooms
        .get_mut()
        .write_all(b"/join lobby\n/nick carol\n")
        .await
        .unwrap();
    assert_eq!(line(&mut rooms).await, "0\n");
    assert_eq!(line(&mut rooms).await, "0\n");
    let mut broadcast = BufReader::new(TcpStream::connect(server.addr("broadcast")).await.unwrap());
    broadcast.get_mut().write_all(b"bob\n").await.unwrap();
    assert_eq!(
        line(&mut broadcast).await,
        "Welcome to the chat. Enter 'bye' anytime to exit.\n"
    );
    assert_eq!(line(&mut rooms).await, "* bob joined\n");

    let mut irc = BufReader::new(TcpStream::connect(server.addr("irc")).await.unwrap());
    irc.get_mut()
        .write_all(b"NICK amy\r\nUSER amy 0 * :Amy\r\nJOIN #lobby\r\n")
        .await
        .unwrap();
    skip_until(&mut irc, "End of /NAMES list").await;
    assert_eq!(line(&mut rooms).await, "* amy joined\n");
    assert_eq!(line(&mut broadcast).await, "amy joined the conversation\n");

    irc.get_mut()
        .write_all(b"PRIVMSG #lobby :\x01ACTION waves\x01\r\n")
        .await
        .unwrap();
    assert_eq!(line(&mut rooms).await, "* amy waves\n");
    assert_eq!(line(&mut broadcast).await, "* amy waves\n");
}
