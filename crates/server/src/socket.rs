//! What the driver needs of a connection besides `AsyncWrite`: waiting for input without
//! holding a buffer, and reading and writing without waiting (a WebSocket, `crate::http::ws`,
//! reads messages rather than bytes, so reading is only this). An idle
//! connection then owns no read or write buffer at all; every connection's reads and
//! writes go through one scratch buffer per worker thread (see `driver/`).

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use bytes::BytesMut;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::server::TlsStream;

pub trait Socket: AsyncWrite + Unpin + Send {
    /// Ready when a read may make progress (it may still find nothing); otherwise the
    /// task is woken when one may. A poll rather than a future, so waiting for input
    /// takes no room in the connection's task. `&mut`: a WebSocket finds out by reading.
    fn poll_read_ready(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>>;

    /// Reads what has arrived without waiting: `WouldBlock` when nothing has, `Ok(0)` at
    /// end of stream.
    fn read_now(&mut self, buf: &mut BytesMut) -> io::Result<usize>;

    /// Writes what the connection takes at once; `WouldBlock` when it takes nothing. A
    /// connection that cannot promise its bytes left without a later flush always says
    /// `WouldBlock`, and the driver takes the awaiting path.
    fn write_now(&mut self, buf: &[u8]) -> io::Result<usize>;

    /// Whether everything `write_now` took is on its way. A connection that keeps some of
    /// it (a WebSocket's frames the stream did not take) says `false`, and the driver
    /// awaits a flush before it waits for anything else.
    fn flushed(&self) -> bool {
        true
    }
}

impl Socket for TcpStream {
    fn poll_read_ready(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        TcpStream::poll_read_ready(self, cx)
    }

    fn read_now(&mut self, buf: &mut BytesMut) -> io::Result<usize> {
        self.try_read_buf(buf)
    }

    fn write_now(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.try_write(buf)
    }
}

impl Socket for TlsStream<TcpStream> {
    /// New TLS records arrive on the TCP socket; plaintext rustls still holds was already
    /// handed out, because `read_now` is called until it finds nothing.
    fn poll_read_ready(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_ref().0.poll_read_ready(cx)
    }

    fn read_now(&mut self, buf: &mut BytesMut) -> io::Result<usize> {
        let spare = buf.spare_capacity_mut();
        let mut read_buf = ReadBuf::uninit(spare);
        let mut cx = Context::from_waker(Waker::noop());
        match Pin::new(&mut *self).poll_read(&mut cx, &mut read_buf) {
            Poll::Ready(Ok(())) => {
                let n = read_buf.filled().len();
                // SAFETY: `poll_read` initialised the first `n` bytes of the spare capacity.
                unsafe { buf.set_len(buf.len() + n) };
                Ok(n)
            }
            Poll::Ready(Err(error)) => Err(error),
            Poll::Pending => Err(io::ErrorKind::WouldBlock.into()),
        }
    }

    /// rustls may keep encrypted bytes it could not send until the next write or flush,
    /// so TLS always takes the awaiting path, which flushes.
    fn write_now(&mut self, _buf: &[u8]) -> io::Result<usize> {
        Err(io::ErrorKind::WouldBlock.into())
    }
}
