//! The `[irc]` table: the IRC listener's names, message of the day, operators and
//! timers, and the checks a value must pass.

use serde::Deserialize;

use crate::problems::Problem;

/// One IRC operator account (`OPER name password`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Oper {
    pub name: String,
    pub password: String,
}

/// The IRC listener's settings (the `[irc]` table).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IrcConfig {
    /// The name the server gives itself in every reply (`:confab 001 ...`).
    pub server_name: String,
    /// The network name of `001` and ISUPPORT `NETWORK`.
    pub network: String,
    /// A few words about the server, as `LINKS` shows them.
    pub description: String,
    /// The message of the day, one entry per line; empty means `422 ERR_NOMOTD`.
    pub motd: Vec<String>,
    /// A server password every client must give with PASS before registering.
    pub password: Option<String>,
    pub opers: Vec<Oper>,
    /// Seconds of silence from a client before the server sends it a PING.
    pub ping_interval_secs: u64,
    /// Seconds the server waits for any answer to its PING before dropping the client.
    pub ping_timeout_secs: u64,
    /// Whether `REGISTER` (draft/account-registration) is accepted before the client has
    /// completed its connection (the cap's `before-connect`). On by default; off, a
    /// client must be connected, with a nick the network accepted, to register it.
    pub register_before_connect: bool,
}

impl Default for IrcConfig {
    fn default() -> Self {
        IrcConfig {
            server_name: "confab".into(),
            network: "confab".into(),
            description: "a confab chat server".into(),
            motd: vec![
                "Welcome to confab: one chat for every protocol.".into(),
                "Channels are shared with the rooms and broadcast users (#lobby).".into(),
            ],
            password: None,
            opers: Vec::new(),
            // A PING after 90 s of silence, a disconnect 60 s later (150 s in all).
            ping_interval_secs: 90,
            ping_timeout_secs: 60,
            register_before_connect: true,
        }
    }
}

impl IrcConfig {
    /// The server name goes into every line as a single word; the timers must tick.
    pub(super) fn problems(&self) -> Vec<Problem> {
        let mut problems = Vec::new();
        for (key, word) in [
            ("irc.server_name", &self.server_name),
            ("irc.network", &self.network),
        ] {
            if word.is_empty() || word.starts_with(':') || word.contains([' ', '\r', '\n', '\0']) {
                problems.push(Problem::new(
                    key,
                    format!("{key} must be one word, not {word:?}"),
                ));
            }
        }
        for (key, secs) in [
            ("irc.ping_interval_secs", self.ping_interval_secs),
            ("irc.ping_timeout_secs", self.ping_timeout_secs),
        ] {
            if secs == 0 {
                problems.push(Problem::new(key, format!("{key} must be above 0")));
            }
        }
        problems
    }
}
