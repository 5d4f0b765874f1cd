//! Reaching the server: resolve `HOST:PORT`, connect (over TLS when asked), and say what
//! went wrong in words a user understands (`cannot connect to 127.0.0.1:8820: connection
//! refused`). A [`Stream`] is plain TCP or TLS over it, one type for the driver.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

/// How long one connection attempt may take before it is reported as timed out.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConnectError {
    #[error("cannot resolve {addr}: {reason}")]
    Resolve { addr: String, reason: String },
    #[error("cannot connect to {addr}: {reason}")]
    Connect { addr: String, reason: String },
    #[error("cannot connect to {addr} over TLS: {reason}")]
    Tls { addr: String, reason: String },
}

/// How to reach the server: kept by the driver, which connects again when a connection
/// the server dropped before it was used is needed after all (issue 15 #10).
pub struct Dialer {
    /// As the user typed it (with the default port added), for messages.
    pub addr: String,
    /// `Some` for `--tls`.
    pub tls: Option<TlsConnector>,
}

impl Dialer {
    /// Connects, and over TLS shakes hands and checks the certificate, within
    /// [`CONNECT_TIMEOUT`] each: a plain port that never answers the TLS hello is an error,
    /// not a hang.
    pub async fn connect(&self) -> Result<Stream, ConnectError> {
        let tcp = connect(&self.addr).await?;
        let Some(connector) = &self.tls else {
            return Ok(Stream::Plain(tcp));
        };
        let handshake = crate::tls::handshake(connector, &self.addr, tcp);
        let reason = match tokio::time::timeout(CONNECT_TIMEOUT, handshake).await {
            Ok(Ok(stream)) => return Ok(Stream::Tls(Box::new(stream))),
            Ok(Err(reason)) => reason,
            Err(_) => format!(
                "no TLS answer within {} s (is this a TLS port?)",
                CONNECT_TIMEOUT.as_secs()
            ),
        };
        Err(ConnectError::Tls {
            addr: self.addr.clone(),
            reason,
        })
    }
}

/// A connection to the server: plain TCP, or TLS over it. An enum rather than a boxed
/// trait object or `tokio::io::split`: the plain path costs one match per call, no
/// allocation and no lock, and the driver never reads and writes at the same moment, so
/// it needs no halves.
pub enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(tcp) => Pin::new(tcp).poll_read(cx, buf),
            Stream::Tls(tls) => Pin::new(tls.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(tcp) => Pin::new(tcp).poll_write(cx, buf),
            Stream::Tls(tls) => Pin::new(tls.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(tcp) => Pin::new(tcp).poll_flush(cx),
            Stream::Tls(tls) => Pin::new(tls.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(tcp) => Pin::new(tcp).poll_shutdown(cx),
            Stream::Tls(tls) => Pin::new(tls.as_mut()).poll_shutdown(cx),
        }
    }
}

/// `addr` as typed, with `default_port` added when it names only a host.
pub fn with_default_port(addr: &str, default_port: u16) -> String {
    if addr.contains(':') {
        addr.to_owned()
    } else {
        format!("{addr}:{default_port}")
    }
}

/// Connects to the first address `addr` resolves to that accepts; the error names the
/// address as the user typed it.
pub async fn connect(addr: &str) -> Result<TcpStream, ConnectError> {
    let resolved = tokio::net::lookup_host(addr)
        .await
        .map_err(|error| ConnectError::Resolve {
            addr: addr.to_owned(),
            reason: describe(&error),
        })?;
    let mut last = io::Error::new(io::ErrorKind::NotFound, "no address found");
    for candidate in resolved {
        match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(candidate)).await {
            Ok(Ok(stream)) => {
                // Interactive lines are small: send each at once.
                let _ = stream.set_nodelay(true);
                return Ok(stream);
            }
            Ok(Err(error)) => last = error,
            Err(_) => last = io::ErrorKind::TimedOut.into(),
        }
    }
    Err(ConnectError::Connect {
        addr: addr.to_owned(),
        reason: describe(&last),
    })
}

/// An I/O error in plain words: the kind's own lowercase description where it has one
/// (`connection refused`), else the message without its `(os error N)` suffix.
pub fn describe(error: &io::Error) -> String {
    use io::ErrorKind::*;
    match error.kind() {
        kind @ (ConnectionRefused | ConnectionReset | ConnectionAborted | NotConnected
        | AddrNotAvailable | TimedOut | BrokenPipe | HostUnreachable
        | NetworkUnreachable | NetworkDown | PermissionDenied | UnexpectedEof) => kind.to_string(),
        _ => {
            let text = error.to_string();
            match text.find(" (os error") {
                Some(at) => text.get(..at).unwrap_or(&text).to_owned(),
                None => text,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_port_is_added_to_a_bare_host() {
        assert_eq!(with_default_port("example.org", 5220), "example.org:5220");
        assert_eq!(with_default_port("127.0.0.1:1", 5220), "127.0.0.1:1");
        assert_eq!(with_default_port("[::1]:7", 5220), "[::1]:7");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn errors_read_plainly() {
        let refused = io::Error::from_raw_os_error(111); // ECONNREFUSED on Linux
        assert_eq!(describe(&refused), "connection refused");
        let other = io::Error::other("boom (os error 99)");
        assert_eq!(describe(&other), "boom");
    }

    #[tokio::test]
    async fn a_refused_connection_names_the_address() {
        // Bind then drop, so the port is very likely closed.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap();
        let addr = format!("127.0.0.1:{port}");
        let error = connect(&addr).await.unwrap_err();
        assert_eq!(
            error.to_string(),
            format!("cannot connect to {addr}: connection refused")
        );
    }
}
