//! Reaching the server: resolve `HOST:PORT`, connect, and say what went wrong in words a
//! user understands (`cannot connect to 127.0.0.1:8820: connection refused`).

use std::io;
use std::time::Duration;

use tokio::net::TcpStream;

/// How long one connection attempt may take before it is reported as timed out.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConnectError {
    #[error("cannot resolve {addr}: {reason}")]
    Resolve { addr: String, reason: String },
    #[error("cannot connect to {addr}: {reason}")]
    Connect { addr: String, reason: String },
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
