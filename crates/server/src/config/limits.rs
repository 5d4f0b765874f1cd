//! The `[limits]` table: every limit a connection and a user are held to, with the
//! defaults of docs/protocols/, and the checks a value must pass.

use serde::Deserialize;

use crate::problems::Problem;

/// Every limit, with the defaults of docs/protocols/.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Bytes that may wait for one slow client before it is disconnected.
    pub outbox_bytes: usize,
    /// Longest user name in characters (at most 32).
    pub name_max: usize,
    /// Longest `rooms` line, not counting the newline.
    pub rooms_line_max: usize,
    /// Longest `broadcast` line, not counting the newline.
    pub broadcast_line_max: usize,
    /// Largest `packet` body; a larger one is answered as malformed and the connection closed.
    pub packet_body_max: usize,
    /// Longest IRC line with its CRLF before the client is disconnected (lines past the
    /// specs' 512 bytes plus tags but within this get `417 ERR_INPUTTOOLONG`).
    pub irc_read_max: usize,
    /// Rooms (IRC channels) one user may be in at once.
    pub rooms_per_user: usize,
    /// Connections open at once, in all.
    pub connections_max: usize,
    /// Connections open at once from one IP address.
    pub connections_per_ip: usize,
    /// New connections one IP address may open at once before the rate applies...
    pub connect_burst: u32,
    /// ...and then per second.
    pub connect_per_sec: u32,
    /// Loopback addresses skip the per-IP limits and flood control (local tools, bridges,
    /// the benchmark); `false` holds them to the rules too.
    pub exempt_loopback: bool,
    /// Seconds a connection has to take a name (IRC: register) before it is closed.
    pub registration_timeout_secs: u64,
    /// Commands (lines, frames, packets) a client may send at once before the rate applies...
    pub flood_burst: u32,
    /// ...and then per second; the excess waits, unread, until its turn.
    pub flood_per_sec: u32,
    /// Bytes of input waiting for their turn past which a flooding client is disconnected.
    pub flood_queue_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            outbox_bytes: confab_core::outbox::DEFAULT_OUTBOX_BYTES,
            name_max: confab_core::name::DEFAULT_USER_NAME_MAX,
            rooms_line_max: confab_proto::rooms::DEFAULT_MAX_LINE,
            broadcast_line_max: confab_proto::broadcast::DEFAULT_MAX_LINE,
            packet_body_max: confab_proto::packet::DEFAULT_MAX_BODY,
            irc_read_max: confab_proto::irc::DEFAULT_READ_MAX,
            rooms_per_user: confab_core::hub::DEFAULT_ROOMS_MAX,
            connections_max: 10_000,
            connections_per_ip: 64,
            connect_burst: 10,
            connect_per_sec: 2,
            exempt_loopback: true,
            registration_timeout_secs: 60,
            flood_burst: 16,
            flood_per_sec: 4,
            flood_queue_bytes: 64 * 1024,
        }
    }
}

impl Limits {
    /// Names must fit the core's ceiling; every other limit must let something through.
    pub(super) fn problems(&self) -> Vec<Problem> {
        let mut problems = Vec::new();
        let ceiling = confab_core::name::NAME_MAX_CEILING;
        if !(1..=ceiling).contains(&self.name_max) {
            let text = format!(
                "limits.name_max must be 1 to {ceiling}, not {}",
                self.name_max
            );
            problems.push(Problem::new("limits.name_max", text));
        }
        for (what, value) in [
            ("outbox_bytes", self.outbox_bytes),
            ("rooms_line_max", self.rooms_line_max),
            ("broadcast_line_max", self.broadcast_line_max),
            ("packet_body_max", self.packet_body_max),
            ("irc_read_max", self.irc_read_max),
            ("rooms_per_user", self.rooms_per_user),
            ("connections_max", self.connections_max),
            ("connections_per_ip", self.connections_per_ip),
            ("connect_burst", self.connect_burst as usize),
            ("connect_per_sec", self.connect_per_sec as usize),
            (
                "registration_timeout_secs",
                self.registration_timeout_secs as usize,
            ),
            ("flood_burst", self.flood_burst as usize),
            ("flood_per_sec", self.flood_per_sec as usize),
            ("flood_queue_bytes", self.flood_queue_bytes),
        ] {
            if value == 0 {
                let key = format!("limits.{what}");
                problems.push(Problem::new(&key, format!("{key} must be above 0")));
            }
        }
        problems
    }
}
