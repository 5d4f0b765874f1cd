//! What the two line-based sessions (`broadcast`, `rooms`) share: the server's bytes cut
//! into lines (one over [`MAX_LINE`] is reported and dropped), and the registration
//! timeout's farewell, held back and shown only if the session then ends.

use bytes::BytesMut;
use confab_proto::line::{Line, LineDecoder};

use crate::session::Effects;

/// Lines the server relays (from any protocol) may be far longer than the 1024 bytes a
/// client sends; this bounds what one line may hold in memory.
pub(crate) const MAX_LINE: usize = 64 * 1024;

/// The decoder of one connection and the farewell it may have sent.
pub(crate) struct ServerLines {
    decoder: LineDecoder,
    /// The registration timeout's farewell, shown only if the session then ends.
    pub(crate) farewell: Option<String>,
}

impl ServerLines {
    pub(crate) fn new() -> Self {
        ServerLines {
            decoder: LineDecoder::new(MAX_LINE),
            farewell: None,
        }
    }

    /// Ready for a new connection: nothing half-read, no farewell.
    pub(crate) fn restart(&mut self) {
        *self = ServerLines::new();
    }
}

/// A session that reads the server line by line through its [`ServerLines`].
pub(crate) trait LineSession {
    fn server_lines(&mut self) -> &mut ServerLines;

    /// One whole line from the server, as text.
    fn on_server_line(&mut self, line: &str, fx: &mut Effects);

    /// Every whole line `buf` holds, in order.
    fn read_lines(&mut self, buf: &mut BytesMut, fx: &mut Effects) {
        while let Some(line) = self.server_lines().decoder.decode(buf) {
            self.on_decoded(line, fx);
        }
    }

    /// The connection closed: the held farewell, then what `buf` still holds, the last
    /// line even without its line end.
    fn read_to_end(&mut self, buf: &mut BytesMut, fx: &mut Effects) {
        if let Some(farewell) = self.server_lines().farewell.take() {
            fx.received(farewell);
        }
        while let Some(line) = self.server_lines().decoder.decode_eof(buf) {
            self.on_decoded(line, fx);
        }
    }

    fn on_decoded(&mut self, line: Line, fx: &mut Effects) {
        match line {
            Line::Complete(bytes) => self.on_server_line(&String::from_utf8_lossy(&bytes), fx),
            Line::TooLong => fx.error(format!(
                "The server sent a line over {MAX_LINE} bytes; it was dropped"
            )),
        }
    }
}
