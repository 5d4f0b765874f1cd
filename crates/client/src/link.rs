//! The connection as the driver holds it (issue 15 #10). It is opened at start, so a server
//! that is down or a certificate not trusted is reported at once. When the server drops it
//! for its registration timeout while the user is still reading a question, the driver
//! lets it go and the link connects again the moment the user has something to send.

use std::io;

use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::transport::{describe, ConnectError, Dialer, Stream};

/// Why bytes could not be sent.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// Connecting again failed (the server went away meanwhile).
    #[error("{0}")]
    Connect(ConnectError),
    #[error("Connection lost: {}", describe(.0))]
    Lost(io::Error),
}

pub struct Link {
    dialer: Dialer,
    /// `None` once the server dropped a connection that can be made again.
    stream: Option<Stream>,
}

impl Link {
    /// Connects now: the errors a user must hear before typing anything come here.
    pub async fn open(dialer: Dialer) -> Result<Link, ConnectError> {
        let stream = dialer.connect().await?;
        Ok(Link {
            dialer,
            stream: Some(stream),
        })
    }

    pub fn is_open(&self) -> bool {
        self.stream.is_some()
    }

    /// Forgets the connection the server dropped; the next [`Link::send`] connects again.
    pub fn let_go(&mut self) {
        self.stream = None;
    }

    /// Reads into `buf`; never completes while there is no connection. Cancel-safe, as
    /// the driver races it against the user's input.
    pub async fn read(&mut self, buf: &mut BytesMut) -> io::Result<usize> {
        match &mut self.stream {
            Some(stream) => stream.read_buf(buf).await,
            None => std::future::pending().await,
        }
    }

    /// Sends `bytes`, connecting first if the server had dropped the connection. The flush
    /// is for TLS, which may keep the last record until asked (free for plain TCP).
    pub async fn send(&mut self, bytes: &[u8]) -> Result<(), SendError> {
        if self.stream.is_none() {
            let stream = self.dialer.connect().await.map_err(SendError::Connect)?;
            self.stream = Some(stream);
        }
        let Some(stream) = &mut self.stream else {
            return Ok(());
        };
        stream.write_all(bytes).await.map_err(SendError::Lost)?;
        stream.flush().await.map_err(SendError::Lost)
    }

    /// Closes our side (for TLS, with its close_notify).
    pub async fn shutdown(&mut self) {
        if let Some(stream) = &mut self.stream {
            let _ = stream.shutdown().await;
        }
    }
}
