//! Newline framing shared by the line-based protocols (`rooms`, `broadcast`, later IRC),
//! plus the one helper that keeps relayed text from forging lines.
//!
//! Why not `tokio_util::codec::LinesCodec`: it yields `String`, so invalid UTF-8 is an
//! error that ends a `FramedRead` stream, and an over-long line is an error too. Here both
//! are ordinary values the adapter answers in its own protocol, and the connection goes on.

use bytes::{Bytes, BytesMut};

/// One result of [`LineDecoder::decode`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    /// A whole line, without its `\n` and without one `\r` right before it.
    Complete(Bytes),
    /// A line longer than the maximum; reported once, the rest of it is dropped.
    TooLong,
}

/// Splits a byte stream into lines of at most `max` bytes.
#[derive(Debug, Clone)]
pub struct LineDecoder {
    max: usize,
    /// True after a `TooLong` for a line whose `\n` has not arrived yet.
    discarding: bool,
    /// How many buffered bytes are already known to hold no `\n`, so a long partial
    /// line is not rescanned on every call.
    scanned: usize,
}

impl LineDecoder {
    /// `max` is the longest line in bytes, not counting the `\r\n` or `\n`.
    pub fn new(max: usize) -> Self {
        LineDecoder {
            max,
            discarding: false,
            scanned: 0,
        }
    }

    /// The longest line accepted, in bytes.
    pub fn max(&self) -> usize {
        self.max
    }

    /// Takes the next line out of `buf`; `None` means more bytes are needed.
    ///
    /// A line longer than `max` yields [`Line::TooLong`] once, as soon as more than `max`
    /// bytes (plus an optional `\r`) are buffered without a `\n`, or when such a complete
    /// line arrives at once; everything up to and including its `\n` is then dropped
    /// silently. While dropping, `buf` is emptied on every call so it cannot grow.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Option<Line> {
        if self.discarding && !self.skip_rest_of_long_line(buf) {
            return None;
        }
        let start = self.scanned.min(buf.len());
        let found = buf
            .get(start..)
            .and_then(|tail| tail.iter().position(|&b| b == b'\n'));
        match found {
            Some(offset) => Some(self.take_line(buf, start + offset)),
            None => self.check_partial(buf),
        }
    }

    /// Like [`decode`](Self::decode), for when the peer has closed: after the complete
    /// lines, an unterminated non-empty rest is one last [`Line::Complete`] (a trailing
    /// `\r` is dropped from it too). The rest of a line being discarded is dropped.
    pub fn decode_eof(&mut self, buf: &mut BytesMut) -> Option<Line> {
        if let Some(line) = self.decode(buf) {
            return Some(line);
        }
        self.scanned = 0;
        if self.discarding {
            self.discarding = false;
            buf.clear();
            return None;
        }
        if buf.is_empty() {
            return None;
        }
        let mut rest = buf.split();
        strip_cr(&mut rest);
        Some(Line::Complete(rest.freeze()))
    }

    /// Drops bytes of an over-long line; true once its `\n` has been consumed.
    fn skip_rest_of_long_line(&mut self, buf: &mut BytesMut) -> bool {
        self.scanned = 0;
        match buf.iter().position(|&b| b == b'\n') {
            Some(newline) => {
                let _ = buf.split_to(newline + 1);
                self.discarding = false;
                true
            }
            None => {
                buf.clear();
                false
            }
        }
    }

    /// Splits off the line ending at the `\n` at index `newline`.
    fn take_line(&mut self, buf: &mut BytesMut, newline: usize) -> Line {
        self.scanned = 0;
        let mut line = buf.split_to(newline + 1);
        line.truncate(newline);
        strip_cr(&mut line);
        if line.len() > self.max {
            Line::TooLong
        } else {
            Line::Complete(line.freeze())
        }
    }

    /// No `\n` buffered: either wait for more, or give up on a line already too long.
    fn check_partial(&mut self, buf: &mut BytesMut) -> Option<Line> {
        self.scanned = buf.len();
        let too_long = match buf.len().checked_sub(self.max) {
            None | Some(0) => false,
            // Exactly one byte over: still fine if it is the `\r` of a `\r\n`.
            Some(1) => buf.last() != Some(&b'\r'),
            Some(_) => true,
        };
        if !too_long {
            return None;
        }
        buf.clear();
        self.scanned = 0;
        self.discarding = true;
        Some(Line::TooLong)
    }
}

/// Drops one `\r` at the end of `line`.
fn strip_cr(line: &mut BytesMut) {
    if line.last() == Some(&b'\r') {
        line.truncate(line.len() - 1);
    }
}

/// Appends `text` so it cannot end or forge a line: a trailing run of `\r`/`\n` is
/// dropped and any other CR, LF or NUL becomes a space (docs/protocols/common.md).
pub fn put_sanitized(out: &mut BytesMut, text: &str) {
    let text = text.trim_end_matches(['\r', '\n']);
    out.reserve(text.len());
    for chunk in text.split_inclusive(['\r', '\n', '\0']) {
        match chunk.strip_suffix(['\r', '\n', '\0']) {
            Some(head) => {
                out.extend_from_slice(head.as_bytes());
                out.extend_from_slice(b" ");
            }
            None => out.extend_from_slice(chunk.as_bytes()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn complete(s: &str) -> Option<Line> {
        Some(Line::Complete(Bytes::copy_from_slice(s.as_bytes())))
    }

    #[test]
    fn splits_lf_and_crlf_lines() {
        let mut d = LineDecoder::new(10);
        let mut buf = BytesMut::from(&b"hello\nworld\r\n\npart"[..]);
        assert_eq!(d.decode(&mut buf), complete("hello"));
        assert_eq!(d.decode(&mut buf), complete("world"));
        assert_eq!(d.decode(&mut buf), complete(""));
        assert_eq!(d.decode(&mut buf), None);
        assert_eq!(&buf[..], b"part");
    }

    #[test]
    fn only_one_cr_is_stripped() {
        let mut d = LineDecoder::new(10);
        let mut buf = BytesMut::from(&b"a\r\r\n"[..]);
        assert_eq!(d.decode(&mut buf), complete("a\r"));
    }

    #[test]
    fn line_of_exactly_max_is_accepted_with_crlf_in_pieces() {
        let mut d = LineDecoder::new(4);
        let mut buf = BytesMut::from(&b"abcd\r"[..]);
        assert_eq!(d.decode(&mut buf), None);
        buf.extend_from_slice(b"\n");
        assert_eq!(d.decode(&mut buf), complete("abcd"));
    }

    #[test]
    fn partial_over_max_is_too_long_once_then_discarded() {
        let mut d = LineDecoder::new(4);
        let mut buf = BytesMut::from(&b"abcde"[..]);
        assert_eq!(d.decode(&mut buf), Some(Line::TooLong));
        assert!(buf.is_empty());
        buf.extend_from_slice(b"fghij");
        assert_eq!(d.decode(&mut buf), None);
        assert!(buf.is_empty(), "discarded bytes must not pile up");
        buf.extend_from_slice(b"klm\nok\n");
        assert_eq!(d.decode(&mut buf), complete("ok"));
        assert_eq!(d.decode(&mut buf), None);
    }

    #[test]
    fn complete_over_max_is_too_long_and_next_line_survives() {
        let mut d = LineDecoder::new(3);
        let mut buf = BytesMut::from(&b"abcdef\nxy\n"[..]);
        assert_eq!(d.decode(&mut buf), Some(Line::TooLong));
        assert_eq!(d.decode(&mut buf), complete("xy"));
    }

    #[test]
    fn scan_offset_survives_many_small_reads() {
        let mut d = LineDecoder::new(100);
        let mut buf = BytesMut::new();
        for b in b"one two three" {
            buf.extend_from_slice(&[*b]);
            assert_eq!(d.decode(&mut buf), None);
        }
        buf.extend_from_slice(b"\n");
        assert_eq!(d.decode(&mut buf), complete("one two three"));
    }

    #[test]
    fn eof_yields_unterminated_rest() {
        let mut d = LineDecoder::new(10);
        let mut buf = BytesMut::from(&b"a\nalice\r"[..]);
        assert_eq!(d.decode_eof(&mut buf), complete("a"));
        assert_eq!(d.decode_eof(&mut buf), complete("alice"));
        assert_eq!(d.decode_eof(&mut buf), None);
    }

    #[test]
    fn eof_drops_rest_of_discarded_line() {
        let mut d = LineDecoder::new(2);
        let mut buf = BytesMut::from(&b"abcdef"[..]);
        assert_eq!(d.decode(&mut buf), Some(Line::TooLong));
        buf.extend_from_slice(b"gh");
        assert_eq!(d.decode_eof(&mut buf), None);
        assert!(buf.is_empty());
    }

    #[test]
    fn sanitize_replaces_breaks_and_drops_trailing_ones() {
        let mut out = BytesMut::new();
        put_sanitized(&mut out, "a\rb\nc\0d\r\n");
        assert_eq!(&out[..], b"a b c d");
    }

    proptest! {
        #[test]
        fn arbitrary_chunks_never_panic_and_stay_bounded(
            data in proptest::collection::vec(any::<u8>(), 0..600),
            cuts in proptest::collection::vec(0usize..600, 0..8),
            max in 0usize..40,
        ) {
            let mut d = LineDecoder::new(max);
            let mut buf = BytesMut::new();
            for piece in crate::chunks::pieces(&data, &cuts) {
                buf.extend_from_slice(piece);
                let mut rounds = 0;
                while let Some(line) = d.decode(&mut buf) {
                    if let Line::Complete(l) = line {
                        prop_assert!(l.len() <= max);
                    }
                    rounds += 1;
                    prop_assert!(rounds <= data.len() + 1, "no progress");
                }
                prop_assert!(buf.len() <= max + 1);
            }
            let mut rounds = 0;
            while d.decode_eof(&mut buf).is_some() {
                rounds += 1;
                prop_assert!(rounds <= data.len() + 1, "no progress at eof");
            }
            prop_assert!(buf.is_empty());
        }

        #[test]
        fn short_lines_round_trip(lines in proptest::collection::vec("[^\r\n]{0,20}", 0..10)) {
            let mut d = LineDecoder::new(80);
            let mut buf = BytesMut::new();
            for l in &lines {
                buf.extend_from_slice(l.as_bytes());
                buf.extend_from_slice(b"\r\n");
            }
            for l in &lines {
                prop_assert_eq!(d.decode(&mut buf), complete(l));
            }
            prop_assert_eq!(d.decode(&mut buf), None);
        }
    }
}
