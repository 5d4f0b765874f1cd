//! IRC over WebSocket as a [`Socket`] for the driver (IRCv3 WebSocket): every WebSocket
//! message is one IRC line without its CR LF. Reads hand the adapter each message with
//! CR LF put back, so IRC's framing, limits and flood control apply exactly as on TCP;
//! writes cut the adapter's output at each line end, one message per line. tungstenite
//! reads and unmasks the client's frames, answers pings and does the close handshake.
//!
//! The server's own data frames (unmasked, one header each) do not go through
//! tungstenite's write buffer: they are made from a whole drain of the outbox into one
//! per-thread buffer and written to the stream at once, as a plain IRC connection writes
//! (`Socket::write_now`), so a burst costs one write, not one `Message` and a copy per line,
//! and an idle connection keeps no write buffer. Only what the stream did not take is kept
//! (`unsent`) until it does. Two writers on one stream must not interleave, so each waits
//! for the other to be empty: ours writes only once tungstenite has flushed (its pongs and
//! close frame), and the driver reads (which is when tungstenite writes a pong) only once
//! ours is flushed.
//!
//! A message over the limit ends the connection with close code 1009, a text message that
//! is not UTF-8 with 1007, any other breach of RFC 6455 with 1002; the server's own
//! goodbye (`ERROR :Closing link: ...`) becomes the reason of a 1000.

use std::cell::RefCell;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll, Waker};

use bytes::{Buf, Bytes, BytesMut};
use futures_util::{Sink, Stream};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_tungstenite::tungstenite::protocol::frame::coding::{CloseCode, Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::FrameHeader;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Error as WsError, Message, Utf8Bytes};
use tokio_tungstenite::WebSocketStream;

use crate::socket::Socket;

/// What tungstenite reads into, and the most one read takes: small, since an idle user
/// keeps it for as long as it is connected (it grows for a longer message, up to the
/// limit). A user's lines are short; a longer one takes a few reads.
const READ_BUFFER: usize = 512;
/// tungstenite's write buffer holds only the pongs and the close frame (data frames are
/// written here): write those at once.
const WRITE_BUFFER: usize = 0;
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

thread_local! {
    /// Where a write's frames are made, on each worker thread: used only within one call,
    /// so no connection keeps a buffer for it.
    static FRAMES: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// One WebSocket connection carrying IRC.
pub struct WsSocket<S> {
    ws: WebSocketStream<S>,
    mode: Mode,
    peeked: Option<Peeked>,
    /// Frames the stream has not taken yet: made when a write is only partly taken, freed
    /// once written.
    unsent: Option<Box<BytesMut>>,
    /// The stream may hold bytes of ours until it is flushed (TLS: records not yet sent).
    unflushed: bool,
    /// The start of a line whose end has not been written yet.
    partial: Vec<u8>,
    /// The close frame to send when the connection shuts down.
    close: Option<CloseFrame>,
    /// The close frame is queued: what is left is to flush it and wait for the client.
    closing: bool,
    /// The client's close came (and tungstenite answered it): no more data frames.
    peer_closed: bool,
}

impl<S: AsyncRead + AsyncWrite + Unpin> WsSocket<S> {
    /// Wraps a stream whose handshake is done; `read` holds what the client sent after
    /// its handshake and was read with it. `line_max` is the IRC read limit, CR LF
    /// included: the longest message is two bytes shorter.
    pub async fn new(stream: S, read: &[u8], mode: Mode, line_max: usize) -> WsSocket<S> {
        let message_max = line_max.saturating_sub(2).max(1);
        let config = WebSocketConfig::default()
            .read_buffer_size(READ_BUFFER)
            .write_buffer_size(WRITE_BUFFER)
            .max_message_size(Some(message_max))
            .max_frame_size(Some(message_max));
        let ws =
            WebSocketStream::from_partially_read(stream, read.to_vec(), Role::Server, Some(config))
                .await;
        WsSocket {
            ws,
            mode,
            peeked: None,
            unsent: None,
            unflushed: false,
            partial: Vec::new(),
            close: None,
            closing: false,
            peer_closed: false,
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
                // tungstenite answers the client's close: no data frame may follow.
                Some(Ok(Message::Close(_))) => {
                    self.peer_closed = true;
                    continue;
                }
                Some(Ok(_)) => continue,
                None => {
                    self.peer_closed = true;
                    Peeked::End
                }
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

    /// Frames every whole line of `buf` (after the start kept from the last write) into
    /// `frames`, one message each; keeps the start of a last line without its end.
    fn frame_lines(&mut self, buf: &[u8], frames: &mut Vec<u8>) {
        let mut rest = buf;
        while let Some(end) = rest.iter().position(|&byte| byte == b'\n') {
            if self.partial.is_empty() {
                self.frame(&rest[..end], frames);
            } else {
                self.partial.extend_from_slice(&rest[..end]);
                let line = std::mem::take(&mut self.partial);
                self.frame(&line, frames);
            }
            rest = &rest[end + 1..];
        }
        self.partial.extend_from_slice(rest);
    }

    /// One line of the adapter's output as one unmasked data frame, in the agreed mode.
    /// Text is made valid UTF-8 whatever it held: a browser drops a connection that sends
    /// less.
    fn frame(&mut self, line: &[u8], frames: &mut Vec<u8>) {
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
        let text;
        let (data, payload) = match self.mode {
            Mode::Text => {
                text = String::from_utf8_lossy(line);
                (Data::Text, text.as_bytes())
            }
            Mode::Binary => (Data::Binary, line),
        };
        let header = FrameHeader {
            opcode: OpCode::Data(data),
            ..FrameHeader::default()
        };
        // Writing to a `Vec` cannot fail.
        let _ = header.format(payload.len() as u64, frames);
        frames.extend_from_slice(payload);
    }

    /// Frames `buf` and writes the frames, once what was written before has gone out:
    /// Pending (nothing taken) until then. Then Ready with all of `buf`, whatever the
    /// stream took: the rest waits in `unsent` for the next write or flush.
    fn poll_send(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        if self.peer_closed {
            return Poll::Ready(Err(io::ErrorKind::BrokenPipe.into()));
        }
        ready!(self.poll_earlier(cx))?;
        FRAMES.with_borrow_mut(|frames| {
            frames.clear();
            self.frame_lines(buf, frames);
            let mut rest = &frames[..];
            while !rest.is_empty() {
                match Pin::new(self.ws.get_mut()).poll_write(cx, rest) {
                    Poll::Ready(Ok(0)) => return Err(io::ErrorKind::WriteZero.into()),
                    Poll::Ready(Ok(n)) => rest = &rest[n..],
                    Poll::Ready(Err(error)) => return Err(error),
                    Poll::Pending => break,
                }
            }
            if !rest.is_empty() {
                let unsent = self.unsent.get_or_insert_with(Box::default);
                unsent.extend_from_slice(rest);
            }
            Ok(())
        })?;
        // A TLS stream may keep records back until flushed; TCP never does.
        let stream = Pin::new(self.ws.get_mut());
        self.unflushed = stream.poll_flush(cx)?.is_pending();
        Poll::Ready(Ok(buf.len()))
    }

    /// Writes what is still unsent, then lets tungstenite flush what it holds (a pong, the
    /// close frame) and flush the stream: our frames and its own never interleave.
    fn poll_earlier(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if let Some(unsent) = &mut self.unsent {
            while !unsent.is_empty() {
                let n = ready!(Pin::new(self.ws.get_mut()).poll_write(cx, unsent))?;
                if n == 0 {
                    return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
                }
                unsent.advance(n);
            }
            self.unsent = None;
        }
        ready!(Pin::new(&mut self.ws).poll_flush(cx)).map_err(into_io)?;
        self.unflushed = false;
        Poll::Ready(Ok(()))
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

    /// Frames and writes at once what the stream takes; the rest is kept and the driver
    /// told so by [`Socket::flushed`].
    fn write_now(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self.poll_send(&mut Context::from_waker(Waker::noop()), buf) {
            Poll::Ready(written) => written,
            Poll::Pending => Err(io::ErrorKind::WouldBlock.into()),
        }
    }

    fn flushed(&self) -> bool {
        self.unsent.is_none() && !self.unflushed
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for WsSocket<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().poll_send(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().poll_earlier(cx)
    }

    /// Sends the close frame, then ends the stream's write side and waits for the client
    /// to close its own (the driver bounds the wait): closing with input unread would
    /// reset the connection, and the client could lose the close frame.
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        // Errors mean the client closed first or is gone: where this is going anyway.
        if !this.closing {
            // A last line without its end, and what the client has not taken yet, go
            // before the close frame.
            if !this.partial.is_empty() {
                let _ = ready!(this.poll_send(cx, b"\n"));
            }
            if ready!(this.poll_earlier(cx)).is_ok()
                && ready!(Pin::new(&mut this.ws).poll_ready(cx)).is_ok()
            {
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

    /// What the client reads, as bytes, after the server wrote `writes` one call each.
    async fn frames_for(mode: Mode, writes: &[&[u8]]) -> Vec<u8> {
        use tokio::io::AsyncReadExt;
        let (server, mut client) = tokio::io::duplex(64 * 1024);
        let mut socket = WsSocket::new(server, b"", mode, 512).await;
        for write in writes {
            assert_eq!(socket.write_now(write).unwrap(), write.len());
        }
        assert!(socket.flushed());
        drop(socket);
        let mut read = Vec::new();
        client.read_to_end(&mut read).await.unwrap();
        read
    }

    #[tokio::test]
    async fn each_line_is_one_unmasked_frame_even_when_cut_across_writes() {
        let long = [b'a'; 200];
        let mut third = b":s ".to_vec();
        third.extend_from_slice(&long);
        third.extend_from_slice(b"\r\n");
        let read = frames_for(Mode::Text, &[b"PING a\r\nPART", b"IAL\r\n", &third]).await;
        let mut expected = b"\x81\x06PING a\x81\x07PARTIAL".to_vec();
        // 203 bytes: the 16-bit length form.
        expected.extend_from_slice(b"\x81\x7e\x00\xcb:s ");
        expected.extend_from_slice(&long);
        assert_eq!(read, expected);
    }

    #[tokio::test]
    async fn text_frames_are_utf8_and_binary_frames_the_bytes_as_they_are() {
        let text = frames_for(Mode::Text, &[b"x \xff\r\n"]).await;
        assert_eq!(text, b"\x81\x05x \xef\xbf\xbd");
        let binary = frames_for(Mode::Binary, &[b"x \xff\r\n"]).await;
        assert_eq!(binary, b"\x82\x03x \xff");
    }

    #[tokio::test]
    async fn what_the_stream_does_not_take_is_kept_until_a_flush_sends_it() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let (server, mut client) = tokio::io::duplex(16);
        let mut socket = WsSocket::new(server, b"", Mode::Binary, 512).await;
        let line = [b'z'; 100];
        let mut write = line.to_vec();
        write.extend_from_slice(b"\r\n");
        // All taken at once, 16 bytes of it by the stream: the driver must flush.
        assert_eq!(socket.write_now(&write).unwrap(), write.len());
        assert!(!socket.flushed());
        // While frames wait, a new write takes nothing (the driver keeps its bytes).
        let waiting = socket.write_now(b"next\r\n").unwrap_err();
        assert_eq!(waiting.kind(), io::ErrorKind::WouldBlock);
        let reader = tokio::spawn(async move {
            let mut read = Vec::new();
            client.read_to_end(&mut read).await.unwrap();
            read
        });
        socket.flush().await.unwrap();
        assert!(socket.flushed());
        drop(socket);
        let mut expected = b"\x82\x64".to_vec();
        expected.extend_from_slice(&line);
        assert_eq!(reader.await.unwrap(), expected);
    }

    #[test]
    fn close_reasons_are_cut_at_a_character_boundary() {
        assert_eq!(truncated("héllo", 2), "h");
        assert_eq!(truncated("héllo", 3), "hé");
        assert_eq!(truncated("abc", 123), "abc");
    }
}
