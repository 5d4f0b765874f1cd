//! The byte pipe under one benchmark connection: a TCP stream, or a WebSocket (IRCv3
//! `text.ircv3.net`) whose every message is one IRC line without its CR LF. Reads put the
//! CR LF back and writes take it off, so the IRC codec and everything above it work the
//! same on both.

use std::io;
use std::net::SocketAddr;

use anyhow::Context as _;
use bytes::{Bytes, BytesMut};
use futures_util::{FutureExt as _, SinkExt as _, StreamExt as _};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};
use tokio_tungstenite::WebSocketStream;

/// The IRCv3 subprotocol for IRC lines in text messages.
const SUBPROTOCOL: &str = "text.ircv3.net";
/// What tungstenite reads into, per connection: as much as a TCP connection's first read.
const WS_READ_BUFFER: usize = 16 * 1024;
/// Messages already arrived that one read takes at once, so a fan-out recipient handles a
/// burst in one pass as it would from one TCP read.
const WS_READ_BATCH: usize = 64;

/// One connection's transport.
pub enum Link {
    Tcp(TcpStream),
    /// Boxed: a WebSocket's state is several times a TCP stream's.
    Ws(Box<WebSocketStream<TcpStream>>),
}

impl Link {
    /// Opens the WebSocket to `ws://addr/irc` over `stream`, asking for `text.ircv3.net`.
    pub async fn websocket(stream: TcpStream, addr: SocketAddr) -> anyhow::Result<Link> {
        let mut request = format!("ws://{addr}/irc").into_client_request()?;
        request.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            HeaderValue::from_static(SUBPROTOCOL),
        );
        let config = WebSocketConfig::default().read_buffer_size(WS_READ_BUFFER);
        let (ws, _) = tokio_tungstenite::client_async_with_config(request, stream, Some(config))
            .await
            .with_context(|| format!("WebSocket handshake with {addr}/irc"))?;
        Ok(Link::Ws(Box::new(ws)))
    }

    /// Reads once into `buf` (cancel safe); `Ok(false)` at the end of the stream. A
    /// WebSocket read appends each message with CR LF, and the messages already arrived.
    pub async fn read_into(&mut self, buf: &mut BytesMut) -> io::Result<bool> {
        match self {
            Link::Tcp(stream) => Ok(stream.read_buf(buf).await? > 0),
            Link::Ws(ws) => {
                if !append(ws.next().await, buf)? {
                    return Ok(false);
                }
                for _ in 1..WS_READ_BATCH {
                    // Nothing more yet, or the end, which shows again at the next read.
                    let Some(next) = ws.next().now_or_never() else {
                        break;
                    };
                    if !append(next, buf)? {
                        break;
                    }
                }
                Ok(true)
            }
        }
    }

    /// Writes all of `bytes`; on a WebSocket each line is a text message, flushed once.
    pub async fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        match self {
            Link::Tcp(stream) => stream.write_all(bytes).await,
            Link::Ws(ws) => {
                for line in bytes.split(|&b| b == b'\n') {
                    let line = line.strip_suffix(b"\r").unwrap_or(line);
                    if line.is_empty() {
                        continue;
                    }
                    let text = Utf8Bytes::try_from(Bytes::copy_from_slice(line))
                        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
                    ws.feed(Message::Text(text))
                        .await
                        .map_err(io::Error::other)?;
                }
                ws.flush().await.map_err(io::Error::other)
            }
        }
    }

    /// Ends the connection the way its transport says: a WebSocket sends its close frame
    /// (without it the server logs a protocol error for every client at the end of a run).
    pub async fn close(&mut self) -> io::Result<()> {
        match self {
            Link::Tcp(_) => Ok(()),
            // The sink's close sends the close frame and flushes it.
            Link::Ws(ws) => ws.close().await.map_err(io::Error::other),
        }
    }
}

/// Appends one WebSocket read's IRC line to `buf`; `Ok(false)` when the connection ended.
/// Pings are answered by tungstenite; they and pongs add nothing.
fn append(
    next: Option<Result<Message, tokio_tungstenite::tungstenite::Error>>,
    buf: &mut BytesMut,
) -> io::Result<bool> {
    match next {
        None | Some(Ok(Message::Close(_))) => Ok(false),
        Some(Err(e)) => Err(io::Error::other(e)),
        Some(Ok(Message::Text(text))) => {
            buf.extend_from_slice(text.as_bytes());
            buf.extend_from_slice(b"\r\n");
            Ok(true)
        }
        Some(Ok(Message::Binary(bytes))) => {
            buf.extend_from_slice(&bytes);
            buf.extend_from_slice(b"\r\n");
            Ok(true)
        }
        Some(Ok(_)) => Ok(true),
    }
}
