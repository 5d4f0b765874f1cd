//! IRC over WebSocket as a [`Socket`] for the driver (IRCv3 WebSocket): every WebSocket
//! message is one IRC line without its CR LF. Reads hand the adapter each message with
//! CR LF put back, so IRC's framing, limits and flood control apply exactly as on TCP;
//! writes cut the adapter's output at each line end, one message per line. tungstenite
//! does the framing, masks, pongs and the close handshake.
//!
//! A message over the limit ends the connection with close code 1009, a text message that
//! is not UTF-8 with 1007, any other breach of RFC 6455 with 1002; the server's own
//! goodbye (`ERROR :Closing link: ...`) becomes the reason of a 1000.

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll, Waker};

use bytes::{Bytes, BytesMut};
use futures_util::{Sink, Stream};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Error as WsError, Message, Utf8Bytes};
use tokio_tungstenite::WebSocketStream;

use crate::socket::Socket;

/// What tungstenite reads into: small, since an idle user keeps it for as long as it is
/// connected (it grows for a longer message, up to the limit).
const READ_BUFFER: usize = 2 * 1024;
/// Output gathered before tungstenite writes it out unasked; the driver flushes after
/// every drain of the outbox anyway.
const WRITE_BUFFER: usize = 64 * 1024;
/// A close frame's reason must fit a control frame (125 bytes, 2 of them the code).
const REASON_MAX: usize = 123;

/// How messages are sent, from the subprotocol agreed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `text.ircv3.net`, or none: text messages, so never anything but UTF-8.
    Text,
    /// `binary.ircv3.net`: binary messages, the line's bytes as they are.
    Binary,
}

/// What the stream had, taken in advance by a readiness poll.
enum Peeked {
    Message(Bytes),
    /// The connection ended (closed, or broke a rule: `close` says which).
    End,
    Failed(io::Error),
}

/// One WebSocket connection carrying IRC.
pub struct WsSocket<S> {
    ws: WebSocketStream<S>,
    mode: Mode,
    peeked: Option<Peeked>,
    /// The start of a line whose end has not been written yet.
    partial: Vec<u8>,
    /// The close frame to send when the connection shuts down.
    close: Option<CloseFrame>,
    /// The close frame is queued: what is left is to flush it and wait for the client.
    closing: bool,
}

impl<S: AsyncRead + AsyncWrite + Unpin> WsSocket<S> {
    /// Wraps a stream whose handshake is done. `line_max` is the IRC read limit, CR LF
    /// included: the longest message is two bytes shorter.
    pub async fn new(stream: S, mode: Mode, line_max: usize) -> WsSocket<S> {
        let message_max = line_max.saturating_sub(2).max(1);
        let config = WebSocketConfig::default()
            .read_buffer_size(READ_BUFFER)
            .write_buffer_size(WRITE_BUFFER)
            .max_message_size(Some(message_max))
            .max_frame_size(Some(message_max));
        WsSocket {
            ws: WebSocketStream::from_raw_socket(stream, Role::Server, Some(config)).await,
            mode,
            peeked: None,
            partial: Vec::new(),
            close: None,
            closing: false,
        }
    }

    /// The next message with a line in it; pings, pongs and the client's close are
    /// tungstenite's business.
    fn next(&mut self, cx: &mut Context<'_>) -> Poll<Peeked> {
        loop {
            let item = ready!(Pin::new(&mut self.ws).poll_next(cx));
            return Poll::Ready(match item {
                Some(Ok(Message::Text(text))) => Peeked::Message(text.into()),
                Some(Ok(Message::Binary(bytes))) => Peeked::Message(bytes),
                Some(Ok(_)) => continue,
                None => Peeked::End,
                Some(Err(error)) => match close_for(&error) {
                    Some(frame) => {
                        tracing::info!(%error, "WebSocket closed: {}", frame.reason);
                        self.close = Some(frame);
                        Peeked::End
                    }
                    None => Peeked::Failed(into_io(error)),
                },
            });
        }
    }

    /// One line of the adapter's output as a message, in the agreed mode. Text is made
    /// valid UTF-8 whatever it held: a browser drops a connection that sends less.
    fn message(&mut self, line: &[u8]) -> Message {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if let Some(text) = line.strip_prefix(b"ERROR :") {
            // The server's goodbye is also the close frame's reason.
            let text = String::from_utf8_lossy(text);
            let reason = truncated(&text, REASON_MAX).to_string();
            self.close.get_or_insert(CloseFrame {
                code: CloseCode::Normal,
                reason: Utf8Bytes::from(reason),
            });
        }
        match self.mode {
            Mode::Text => Message::Text(String::from_utf8_lossy(line).into_owned().into()),
            Mode::Binary => Message::Binary(Bytes::copy_from_slice(line)),
        }
    }

    /// Sends what is left of a line without its end (normally nothing).
    fn send_partial(&mut self) -> io::Result<()> {
        if self.partial.is_empty() {
            return Ok(());
        }
        let line = std::mem::take(&mut self.partial);
        let message = self.message(&line);
        Pin::new(&mut self.ws).start_send(message).map_err(into_io)
    }
}

/// The close frame a broken rule earns; `None` when the connection itself failed.
fn close_for(error: &WsError) -> Option<CloseFrame> {
    let (code, reason) = match error {
        WsError::Capacity(_) => (CloseCode::Size, "message too long"),
        WsError::Utf8(_) => (CloseCode::Invalid, "text message not UTF-8"),
        WsError::Protocol(_) => (CloseCode::Protocol, "WebSocket protocol error"),
        _ => return None,
    };
    Some(CloseFrame {
        code,
        reason: Utf8Bytes::from_static(reason),
    })
}

fn into_io(error: WsError) -> io::Error {
    match error {
        WsError::Io(error) => error,
        WsError::ConnectionClosed | WsError::AlreadyClosed => io::ErrorKind::BrokenPipe.into(),
        other => io::Error::other(other),
    }
}

/// The longest start of `text` within `max` bytes, cut at a character boundary.
fn truncated(text: &str, max: usize) -> &str {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// A message as the line the IRC adapter reads: without any line end the client added
/// after all, then CR LF.
fn push_line(buf: &mut BytesMut, message: &[u8]) {
    let line = message.strip_suffix(b"\n").unwrap_or(message);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    buf.extend_from_slice(line);
    buf.extend_from_slice(b"\r\n");
}

impl<S: AsyncRead + AsyncWrite + Unpin + Send> Socket for WsSocket<S> {
    fn poll_read_ready(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.peeked.is_none() {
            self.peeked = Some(ready!(self.next(cx)));
        }
        Poll::Ready(Ok(()))
    }

    /// Takes every message already here, as lines, until the room the driver made is
    /// full; an end or a failure after some lines waits for the next call.
    fn read_now(&mut self, buf: &mut BytesMut) -> io::Result<usize> {
        let room = buf.capacity() - buf.len();
        let before = buf.len();
        while buf.len() - before < room {
            let peeked = match self.peeked.take() {
                Some(peeked) => peeked,
                None => match self.next(&mut Context::from_waker(Waker::noop())) {
                    Poll::Ready(peeked) => peeked,
                    Poll::Pending => break,
                },
            };
            match peeked {
                Peeked::Message(message) => push_line(buf, &message),
                ended if buf.len() > before => {
                    self.peeked = Some(ended);
                    break;
                }
                Peeked::End => return Ok(0),
                Peeked::Failed(error) => return Err(error),
            }
        }
        match buf.len() - before {
            0 => Err(io::ErrorKind::WouldBlock.into()),
            read => Ok(read),
        }
    }

    /// tungstenite buffers what it is given, so the awaiting path (which flushes) is the
    /// one to take, as for TLS.
    fn write_now(&mut self, _buf: &[u8]) -> io::Result<usize> {
        Err(io::ErrorKind::WouldBlock.into())
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for WsSocket<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        ready!(Pin::new(&mut this.ws).poll_ready(cx)).map_err(into_io)?;
        let mut rest = buf;
        while let Some(end) = rest.iter().position(|&byte| byte == b'\n') {
            this.partial.extend_from_slice(&rest[..end]);
            rest = &rest[end + 1..];
            this.send_partial()?;
        }
        this.partial.extend_from_slice(rest);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().ws)
            .poll_flush(cx)
            .map_err(into_io)
    }

    /// Sends the close frame, then ends the stream's write side and waits for the client
    /// to close its own (the driver bounds the wait): closing with input unread would
    /// reset the connection, and the client could lose the close frame.
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        // Errors mean the client closed first or is gone: where this is going anyway.
        if !this.closing {
            if ready!(Pin::new(&mut this.ws).poll_ready(cx)).is_ok() {
                let _ = this.send_partial();
                let frame = this.close.take().unwrap_or(CloseFrame {
                    code: CloseCode::Normal,
                    reason: Utf8Bytes::from_static(""),
                });
                let _ = Pin::new(&mut this.ws).start_send(Message::Close(Some(frame)));
            }
            this.closing = true;
        }
        let _ = ready!(Pin::new(&mut this.ws).poll_close(cx));
        let stream = this.ws.get_mut();
        let _ = ready!(Pin::new(&mut *stream).poll_shutdown(cx));
        let mut sink = [0u8; 256];
        loop {
            let mut unread = ReadBuf::new(&mut sink);
            match ready!(Pin::new(&mut *stream).poll_read(cx, &mut unread)) {
                Ok(()) if !unread.filled().is_empty() => continue,
                _ => return Poll::Ready(Ok(())),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_becomes_one_crlf_line_whatever_end_the_client_gave_it() {
        let mut buf = BytesMut::new();
        for message in [&b"NICK a"[..], b"USER a 0 * :A\r\n", b"PING x\n", b""] {
            push_line(&mut buf, message);
        }
        assert_eq!(&buf[..], b"NICK a\r\nUSER a 0 * :A\r\nPING x\r\n\r\n");
    }

    #[test]
    fn close_reasons_are_cut_at_a_character_boundary() {
        assert_eq!(truncated("héllo", 2), "h");
        assert_eq!(truncated("héllo", 3), "hé");
        assert_eq!(truncated("abc", 123), "abc");
    }
}
