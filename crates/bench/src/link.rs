//! The byte pipe under one benchmark connection: a TCP stream, or a WebSocket (IRCv3
//! `text.ircv3.net`) whose every message is one IRC line without its CR LF. Reads put the
//! CR LF back and writes take it off, so the IRC codec and everything above it work the
//! same on both.

use std::io;
use std::net::SocketAddr;

use anyhow::Context as _;
use bytes::BytesMut;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::http::HeaderValue;

use crate::ws_link::WsLink;

/// The IRCv3 subprotocol for IRC lines in text messages.
const SUBPROTOCOL: &str = "text.ircv3.net";

/// One connection's transport.
pub enum Link {
    Tcp(TcpStream),
    /// Boxed: a WebSocket's state is several times a TCP stream's.
    Ws(Box<WsLink>),
}

impl Link {
    /// Opens the WebSocket to `ws://addr/irc` over `stream`, asking for `text.ircv3.net`;
    /// tungstenite does the handshake and checks the server's answer.
    pub async fn websocket(stream: TcpStream, addr: SocketAddr) -> anyhow::Result<Link> {
        let mut request = format!("ws://{addr}/irc").into_client_request()?;
        request.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            HeaderValue::from_static(SUBPROTOCOL),
        );
        let seed = u32::from(stream.local_addr()?.port());
        let (ws, _) = tokio_tungstenite::client_async(request, stream)
            .await
            .with_context(|| format!("WebSocket handshake with {addr}/irc"))?;
        Ok(Link::Ws(Box::new(WsLink::new(ws.into_inner(), seed))))
    }

    /// Reads once into `buf` (cancel safe); `Ok(false)` at the end of the stream. A
    /// WebSocket read appends every whole message arrived, each with CR LF.
    pub async fn read_into(&mut self, buf: &mut BytesMut) -> io::Result<bool> {
        match self {
            Link::Tcp(stream) => Ok(stream.read_buf(buf).await? > 0),
            Link::Ws(ws) => ws.read_into(buf).await,
        }
    }

    /// Writes all of `bytes`; on a WebSocket each line is a text message, sent in one write.
    pub async fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        match self {
            Link::Tcp(stream) => stream.write_all(bytes).await,
            Link::Ws(ws) => ws.write_all(bytes).await,
        }
    }

    /// Ends the connection the way its transport says: a WebSocket sends its close frame
    /// (without it the server logs a protocol error for every client at the end of a run).
    pub async fn close(&mut self) -> io::Result<()> {
        match self {
            Link::Tcp(_) => Ok(()),
            Link::Ws(ws) => ws.close().await,
        }
    }
}
