//! The `prefixed` client (seeds 000 and 001): every typed line goes out as one
//! length-prefixed frame, every frame received is printed as `Server sent: X`, and
//! `EXIT` (sent to the server) ends the session, as seed 000's example run shows.

use bytes::BytesMut;
use confab_proto::prefixed::{self, Decoder, Frame, Width};

use crate::session::{Effects, End, Roster, Session, Settle, QUIET};

/// Printed first, then an empty line, exactly as the seed's client does.
pub const GREETING: &str = "Pls enter commands";
/// The server's farewell to a connection that took no name in time (docs/security.md).
const TIMED_OUT: &str = "Error: registration timed out";

pub struct PrefixedSession {
    width: Width,
    decoder: Decoder,
    roster: Roster,
    /// `GET_NAMES` sent whose answer has not come yet, so the side pane can pick the
    /// names out of the replies (the frames themselves carry no type).
    names_due: usize,
    /// `EXIT` was sent: the close that follows is expected, not an error.
    leaving: bool,
    /// The registration timeout's farewell, shown only if the session then ends.
    farewell: Option<String>,
}

impl PrefixedSession {
    pub fn new(width: Width) -> Self {
        PrefixedSession {
            width,
            decoder: Decoder::with_width(width),
            roster: Roster::default(),
            names_due: 0,
            leaving: false,
            farewell: None,
        }
    }

    /// One payload from the server: printed, and read for the side pane.
    fn on_payload(&mut self, payload: &[u8], fx: &mut Effects) {
        let text = String::from_utf8_lossy(payload);
        if text == TIMED_OUT && self.roster.me.is_none() {
            self.farewell = Some(format!("Server sent: {text}"));
            return;
        }
        self.track(&text);
        fx.received(format!("Server sent: {text}"));
    }

    /// Learns the user's name from `Hello X` and the names from a `GET_NAMES` reply. A
    /// reply is told from a relayed message by shape: messages read `A sent ...`.
    fn track(&mut self, text: &str) {
        if let Some(name) = text.strip_prefix("Hello ") {
            self.roster.me = Some(name.to_owned());
        } else if self.names_due > 0 && !text.starts_with("Error:") && !is_relayed(text) {
            self.names_due -= 1;
            self.roster.names = text.split_whitespace().map(str::to_owned).collect();
        } else if text.starts_with("Error:") && self.names_due > 0 {
            self.names_due -= 1;
        }
    }
}

/// `A sent HELLO`: a message relayed from another user.
fn is_relayed(text: &str) -> bool {
    let mut words = text.splitn(3, ' ');
    let _from = words.next();
    words.next() == Some("sent") && words.next().is_some()
}

/// The first word of a command line, which the server matches without case.
fn command_word(line: &str) -> &str {
    line.trim_start_matches(' ').split(' ').next().unwrap_or("")
}

impl Session for PrefixedSession {
    fn start(&mut self, fx: &mut Effects) {
        fx.info(GREETING);
        fx.info("");
    }

    fn prompt(&self) -> Option<String> {
        // The seed's client shows no prompt: the user types under the last line.
        Some(String::new())
    }

    /// Sends the line as typed. A line longer than one frame can carry is refused here:
    /// split into frames it would reach the server as several commands.
    fn on_line(&mut self, line: &str, fx: &mut Effects) {
        let max = self.width.max_payload();
        if line.len() > max {
            fx.error(format!(
                "Line too long: a frame carries at most {max} bytes (try --width 4)"
            ));
            return;
        }
        prefixed::encode(self.width, line.as_bytes(), &mut fx.send);
        let word = command_word(line);
        if word.eq_ignore_ascii_case("GET_NAMES") || word.eq_ignore_ascii_case("GETNAMES") {
            self.names_due += 1;
        } else if word.eq_ignore_ascii_case("EXIT") {
            self.leaving = true;
            fx.end(End::WhenClosed);
        }
    }

    fn on_bytes(&mut self, buf: &mut BytesMut, fx: &mut Effects) {
        while let Some(frame) = self.decoder.decode(buf) {
            match frame {
                Frame::Payload(payload) => self.on_payload(&payload, fx),
                // The decoder has dropped what was buffered and the next frame may parse.
                Frame::BadLength => fx.error("The server sent a frame with a bad length field"),
            }
        }
    }

    fn on_closed(&mut self, buf: &mut BytesMut, fx: &mut Effects) {
        if let Some(farewell) = self.farewell.take() {
            fx.received(farewell);
        }
        self.on_bytes(buf, fx);
        if !buf.is_empty() {
            fx.error("The server closed the connection in the middle of a frame");
        }
        // After EXIT the seed's client ends silently.
        if !self.leaving {
            fx.error("The server closed the connection");
        }
    }

    fn leave(&mut self, fx: &mut Effects) {
        self.on_line("EXIT", fx);
    }

    /// Timed out before a name was taken (the user still reading, or typing commands
    /// other than NAME): nothing the server held is lost, so a new connection goes on.
    fn restart(&mut self) -> bool {
        if self.leaving || self.farewell.take().is_none() {
            return false;
        }
        self.decoder = Decoder::with_width(self.width);
        self.names_due = 0;
        true
    }

    fn settle(&self) -> Settle {
        // MSG is answered only when it fails, so replies cannot be counted.
        Settle::QuietFor(QUIET)
    }

    fn roster(&self) -> Roster {
        self.roster.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::{Kind, Shown};

    fn texts(fx: &Effects) -> Vec<&str> {
        fx.shown.iter().map(|s| s.text.as_str()).collect()
    }

    #[test]
    fn greets_like_the_seed() {
        let mut s = PrefixedSession::new(Width::Two);
        let mut fx = Effects::default();
        s.start(&mut fx);
        assert_eq!(texts(&fx), ["Pls enter commands", ""]);
    }

    #[test]
    fn sends_frames_in_the_chosen_width() {
        let mut fx = Effects::default();
        PrefixedSession::new(Width::Two).on_line("NAME A", &mut fx);
        assert_eq!(&fx.send[..], b"06NAME A");
        let mut fx = Effects::default();
        PrefixedSession::new(Width::Four).on_line("NAME A", &mut fx);
        assert_eq!(&fx.send[..], b"0006NAME A");
        assert_eq!(fx.end, None);
    }

    #[test]
    fn exit_is_sent_then_waits_for_the_close() {
        let mut s = PrefixedSession::new(Width::Two);
        let mut fx = Effects::default();
        s.on_line("exit", &mut fx);
        assert_eq!(&fx.send[..], b"04exit");
        assert_eq!(fx.end, Some(End::WhenClosed));
        let mut fx = Effects::default();
        s.on_closed(&mut BytesMut::new(), &mut fx);
        assert!(fx.shown.is_empty(), "EXIT ends silently: {:?}", fx.shown);
    }

    #[test]
    fn prints_every_frame_even_split_across_reads() {
        let mut s = PrefixedSession::new(Width::Two);
        let mut fx = Effects::default();
        let mut buf = BytesMut::from(&b"07Hello A03A B0"[..]);
        s.on_bytes(&mut buf, &mut fx);
        buf.extend_from_slice(b"0");
        s.on_bytes(&mut buf, &mut fx);
        assert_eq!(
            texts(&fx),
            ["Server sent: Hello A", "Server sent: A B", "Server sent: "]
        );
        assert!(buf.is_empty());
    }

    #[test]
    fn a_long_line_is_refused_and_nothing_sent() {
        let mut fx = Effects::default();
        PrefixedSession::new(Width::Two).on_line(&"x".repeat(100), &mut fx);
        assert!(fx.send.is_empty());
        assert_eq!(
            fx.shown,
            [Shown::new(
                Kind::Error,
                "Line too long: a frame carries at most 99 bytes (try --width 4)"
            )]
        );
    }

    #[test]
    fn a_bad_length_is_reported_not_fatal() {
        let mut s = PrefixedSession::new(Width::Two);
        let mut fx = Effects::default();
        s.on_bytes(&mut BytesMut::from(&b"x1y"[..]), &mut fx);
        s.on_bytes(&mut BytesMut::from(&b"02ok"[..]), &mut fx);
        assert_eq!(
            texts(&fx),
            [
                "The server sent a frame with a bad length field",
                "Server sent: ok"
            ]
        );
        assert_eq!(fx.end, None);
    }

    #[test]
    fn an_unexpected_close_is_reported() {
        let mut fx = Effects::default();
        PrefixedSession::new(Width::Two).on_closed(&mut BytesMut::from(&b"05ab"[..]), &mut fx);
        assert_eq!(
            texts(&fx),
            [
                "The server closed the connection in the middle of a frame",
                "The server closed the connection"
            ]
        );
    }

    #[test]
    fn the_roster_follows_hello_and_names_replies() {
        let mut s = PrefixedSession::new(Width::Two);
        let mut fx = Effects::default();
        s.on_line("GET_NAMES", &mut fx);
        let mut buf = BytesMut::from(&b"07Hello A11B sent hi A03A B"[..]);
        s.on_bytes(&mut buf, &mut fx);
        let roster = s.roster();
        assert_eq!(roster.me.as_deref(), Some("A"));
        assert_eq!(roster.names, ["A", "B"]);
    }
}
