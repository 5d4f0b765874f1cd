//! The `http` listener: HTTP/1.1 (hyper) on a plain or TLS stream, serving the embedded
//! page at `/` and IRC over WebSocket (IRCv3 `text.ircv3.net` / `binary.ircv3.net`) at
//! `/irc`. Once upgraded, a WebSocket connection is an IRC connection like any other: the
//! driver runs the one IRC adapter over a [`ws::WsSocket`], which turns each WebSocket
//! message into a line and each line back into a message.
//!
//! ```toml
//! [http]
//! allowed_origins = ["https://chat.example.org", "http://localhost:*"]
//! header_timeout_secs = 10
//! ```

pub mod connection;
mod origin;
mod page;
mod routes;
mod upgrade;
pub mod ws;

use std::time::Duration;

use serde::Deserialize;

pub use connection::serve;
pub use origin::{OriginError, OriginPattern};
pub use routes::refusal;

/// The `[http]` table.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpConfig {
    /// Web pages whose scripts may open `/irc`, besides the page the server serves itself
    /// (always allowed): `scheme://host`, `scheme://host:port`, `scheme://host:*` for any
    /// port, or `*` for every page. A request without an `Origin` (not from a browser) is
    /// always allowed.
    pub allowed_origins: Vec<String>,
    /// Seconds a client has to send a request's headers (and an idle keep-alive
    /// connection to start its next request) before it is closed: slow handshakes cost
    /// nobody else.
    pub header_timeout_secs: u64,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            // Any page served from this machine: a developer's own client, or the page
            // opened as http://localhost:8080 while the server calls itself 127.0.0.1.
            allowed_origins: ["http", "https"]
                .into_iter()
                .flat_map(|scheme| {
                    ["127.0.0.1", "localhost", "[::1]"].map(|host| format!("{scheme}://{host}:*"))
                })
                .collect(),
            header_timeout_secs: 10,
        }
    }
}

/// The `[http]` table, checked and parsed once, as every connection reads it.
#[derive(Debug, Clone)]
pub struct Settings {
    pub origins: Vec<OriginPattern>,
    pub header_timeout: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings::new(&HttpConfig::default()).expect("the default origins are valid")
    }
}

impl Settings {
    /// Parses every origin pattern; the first bad one is the error.
    pub fn new(config: &HttpConfig) -> Result<Settings, OriginError> {
        let origins = config
            .allowed_origins
            .iter()
            .map(|text| text.parse())
            .collect::<Result<_, _>>()?;
        Ok(Settings {
            origins,
            header_timeout: Duration::from_secs(config.header_timeout_secs),
        })
    }
}
