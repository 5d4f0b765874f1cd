//! IRC over WebSocket (the `http` listener's `/irc`, IRCv3 WebSocket): the upgrade
//! request and its `101` answer as literal bytes, raw frames for what a WebSocket library
//! would never send, and [`Web`], a client speaking one IRC line per message over any
//! stream (TCP, or TLS for `wss://`).

use std::net::SocketAddr;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::Role;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use crate::{Client, WAIT};

/// The `Sec-WebSocket-Key` of every upgrade (RFC 6455's own example).
pub const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
/// The `Sec-WebSocket-Accept` that answers [`KEY`].
pub const ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

/// A WebSocket upgrade request for `path` on `host`, with these extra header lines (each
/// ending in CRLF).
pub fn upgrade_request(host: &str, path: &str, extra: &str) -> String {
    format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: {KEY}\r\n\
         {extra}\r\n"
    )
}

/// The `101` for a client that asked for the subprotocol `protocol`, without its date.
pub fn switching(protocol: &str) -> String {
    format!(
        "HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\n\
         sec-websocket-accept: {ACCEPT}\r\nsec-websocket-protocol: {protocol}\r\n\r\n"
    )
}

/// An HTTP answer without its `date` line, the one part that changes from run to run.
///
/// # Panics
/// If it has no date line.
pub fn without_date(answer: &str) -> String {
    let mut lines: Vec<&str> = answer.split_inclusive("\r\n").collect();
    let date = lines.iter().position(|line| line.starts_with("date: "));
    let date = date.unwrap_or_else(|| panic!("no date line in {answer:?}"));
    lines.remove(date);
    lines.concat()
}

/// Sends the upgrade `request` and returns the answer's head without its date, read up
/// to its blank line and no further (frames may follow).
pub async fn upgrade<S: AsyncRead + AsyncWrite + Unpin>(
    client: &mut Client<S>,
    request: &str,
) -> String {
    client.send(request.as_bytes()).await;
    let head = client.read_through(b"\r\n\r\n").await;
    without_date(&String::from_utf8_lossy(&head))
}

/// A masked client frame with this first byte (FIN and opcode) and payload, the length
/// in its shortest form (RFC 6455 section 5.2). The mask is all zeros: masking is still
/// required, and the payload stays readable.
pub fn frame(first: u8, payload: &[u8]) -> Vec<u8> {
    let mut frame = vec![first];
    match payload.len() {
        len @ 0..=125 => frame.push(0x80 | len as u8),
        len @ 126..=65535 => {
            frame.push(0x80 | 126);
            frame.extend_from_slice(&(len as u16).to_be_bytes());
        }
        len => {
            frame.push(0x80 | 127);
            frame.extend_from_slice(&(len as u64).to_be_bytes());
        }
    }
    frame.extend_from_slice(&[0, 0, 0, 0]);
    frame.extend_from_slice(payload);
    frame
}

/// The server's close frame with `code` and `reason` (unmasked, as servers send).
pub fn close(code: u16, reason: &str) -> Vec<u8> {
    let mut frame = vec![0x88, 2 + reason.len() as u8];
    frame.extend_from_slice(&code.to_be_bytes());
    frame.extend_from_slice(reason.as_bytes());
    frame
}

/// An IRC client on a WebSocket: one message per line.
pub struct Web<S = TcpStream> {
    pub ws: WebSocketStream<S>,
    pub nick: String,
}

impl Web {
    /// Opens `/irc` on the `http` listener at `addr` offering `protocols`, checks the
    /// `101` names `chosen`, and speaks WebSocket from there.
    pub async fn connect(addr: SocketAddr, nick: &str, protocols: &str, chosen: &str) -> Web {
        let mut client = Client::connect(addr).await;
        let extra = format!("Sec-WebSocket-Protocol: {protocols}\r\n");
        let request = upgrade_request("confab.test", "/irc", &extra);
        assert_eq!(upgrade(&mut client, &request).await, switching(chosen));
        Web::over(client, nick).await
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Web<S> {
    /// Speaks WebSocket on a connection whose upgrade was answered.
    pub async fn over(client: Client<S>, nick: &str) -> Web<S> {
        let ws = WebSocketStream::from_raw_socket(client.into_stream(), Role::Client, None).await;
        Web {
            ws,
            nick: nick.into(),
        }
    }

    /// Sends one line as a text message.
    pub async fn send(&mut self, line: &str) {
        self.ws.send(Message::text(line)).await.expect("send");
    }

    /// The next message, of any kind, within [`WAIT`].
    pub async fn next(&mut self) -> Message {
        let next = tokio::time::timeout(WAIT, self.ws.next()).await;
        let next = next.unwrap_or_else(|_| panic!("{}: nothing within {WAIT:?}", self.nick));
        next.expect("a message").expect("no error")
    }

    /// Expects exactly this text message next.
    pub async fn expect(&mut self, line: &str) {
        assert_eq!(self.next().await, Message::text(line), "{}", self.nick);
    }

    /// Reads text messages up to and including `line`.
    pub async fn skip_past(&mut self, line: &str) {
        while self.next().await != Message::text(line) {}
    }

    /// Registers (NICK, USER with the real name `Web <nick>`): the welcome from `server`
    /// of `network` comes first, then everything up to the end of the MOTD is skipped.
    pub async fn register(&mut self, server: &str, network: &str) {
        let nick = self.nick.clone();
        self.send(&format!("NICK {nick}")).await;
        self.send(&format!("USER {nick} 0 * :Web {nick}")).await;
        self.expect(&format!(
            ":{server} 001 {nick} :Welcome to the {network} Network, {nick}!{nick}@127.0.0.1"
        ))
        .await;
        self.skip_past(&format!(":{server} 376 {nick} :End of /MOTD command."))
            .await;
    }
}
