//! The IRC client protocol (Modern IRC, modern.ircdocs.horse, plus IRCv3 message-tags):
//! framing, one borrowed [`Message`] that parses and renders, the numeric table and the
//! name rules (case folding, channel names, ban masks). Pure: no sockets, no runtime.
//!
//! Lengths follow the specs: the part of a line after the tags is at most [`MAX_LINE`]
//! bytes with its CRLF, the tags at most [`MAX_TAGS`]. The [`Decoder`] admits longer lines
//! up to its hard limit ([`DEFAULT_READ_MAX`], 16 KiB), so a line that breaks only the
//! specs' limits is still a value the server answers with `417 ERR_INPUTTOOLONG` (see
//! [`is_input_too_long`]) instead of a framing error; past the hard limit the client is
//! broken or hostile and the server disconnects it.

mod casemap;
mod message;
mod numeric;
mod tags;

pub use casemap::{eq_fold, fold_ascii, is_channel_name, DEFAULT_CHANNEL_LEN};
pub use message::{render, render_truncated, Message, ParseError};
pub use numeric::Numeric;
pub use tags::{escape_tag_value, push_tag, unescape_tag_value, Tags};

use crate::line::{Line, LineDecoder};
use bytes::BytesMut;

/// The longest line without tags, in bytes, including its `\r\n` (RFC 1459, Modern IRC).
pub const MAX_LINE: usize = 512;
/// The longest tags section, in bytes, including the leading `@` and the space after it
/// (IRCv3 message-tags).
pub const MAX_TAGS: usize = 8191;
/// Parameters beyond this many SHOULD NOT be sent (Modern IRC); they are still parsed.
pub const MAX_PARAMS: usize = 15;
/// The decoder's default hard limit: the longest line, with its line ending, before the
/// server gives up on the client (ergo's 16 KiB).
pub const DEFAULT_READ_MAX: usize = 16 * 1024;

/// Frames a byte stream into IRC lines of at most a hard limit of bytes with the line
/// ending ([`DEFAULT_READ_MAX`] unless told); longer ones are [`Line::TooLong`].
#[derive(Debug, Clone)]
pub struct Decoder {
    lines: LineDecoder,
}

impl Default for Decoder {
    fn default() -> Self {
        Self::new()
    }
}

impl Decoder {
    pub fn new() -> Self {
        Self::with_max(DEFAULT_READ_MAX)
    }

    /// A decoder whose lines, with their `\r\n`, are at most `read_max` bytes (never less
    /// than `MAX_TAGS + MAX_LINE`, so every line the specs allow is framed).
    pub fn with_max(read_max: usize) -> Self {
        // LineDecoder's max excludes the line ending.
        let read_max = read_max.max(MAX_TAGS + MAX_LINE);
        Decoder {
            lines: LineDecoder::new(read_max - 2),
        }
    }

    /// Takes the next line (without its `\r\n` or `\n`) out of `buf`; `None` means more
    /// bytes are needed. Feed a [`Line::Complete`] to [`Message::parse`].
    pub fn decode(&mut self, buf: &mut BytesMut) -> Option<Line> {
        self.lines.decode(buf)
    }

    /// Like [`decode`](Self::decode) once the peer has closed: an unterminated rest is
    /// one last line.
    pub fn decode_eof(&mut self, buf: &mut BytesMut) -> Option<Line> {
        self.lines.decode_eof(buf)
    }
}

/// Splits a line (without CRLF) into `(tags_len, rest_len)`: `tags_len` counts the `@`,
/// the tags and the one space after them (0 without tags), `rest_len` everything after.
/// A line of only `@tags` with no space is all tags.
pub fn split_tags_len(line: &[u8]) -> (usize, usize) {
    if line.first() != Some(&b'@') {
        return (0, line.len());
    }
    match line.iter().position(|&b| b == b' ') {
        Some(space) => (space + 1, line.len() - space - 1),
        None => (line.len(), 0),
    }
}

/// True when the server should answer `417 ERR_INPUTTOOLONG` instead of handling the
/// line (without CRLF): its tags exceed [`MAX_TAGS`] or the rest exceeds `MAX_LINE - 2`.
pub fn is_input_too_long(line: &[u8]) -> bool {
    let (tags, rest) = split_tags_len(line);
    tags > MAX_TAGS || rest > MAX_LINE - 2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoder_accepts_tags_plus_line_then_refuses_one_byte_more() {
        let mut d = Decoder::with_max(MAX_TAGS + MAX_LINE);
        let longest = vec![b'a'; MAX_TAGS + MAX_LINE - 2];
        let mut buf = BytesMut::from(&longest[..]);
        buf.extend_from_slice(b"\r\n");
        // A long line is a value, the server decides what to answer.
        match d.decode(&mut buf) {
            Some(Line::Complete(line)) => assert_eq!(line.len(), longest.len()),
            other => panic!("expected a complete line, got {other:?}"),
        }
        let mut buf = BytesMut::from(&longest[..]);
        buf.extend_from_slice(b"a\r\nPING x\r\n");
        assert_eq!(d.decode(&mut buf), Some(Line::TooLong));
        // The next line survives.
        assert_eq!(
            d.decode(&mut buf),
            Some(Line::Complete(bytes::Bytes::from_static(b"PING x")))
        );
    }

    #[test]
    fn the_default_hard_limit_is_16_kib_with_the_line_ending() {
        let mut d = Decoder::new();
        let mut buf = BytesMut::from(&vec![b'a'; DEFAULT_READ_MAX - 2][..]);
        buf.extend_from_slice(b"\r\n");
        assert!(matches!(d.decode(&mut buf), Some(Line::Complete(_))));
        // Unterminated, one byte over: refused before the line ends.
        let mut buf = BytesMut::from(&vec![b'a'; DEFAULT_READ_MAX - 1][..]);
        assert_eq!(d.decode(&mut buf), Some(Line::TooLong));
    }

    #[test]
    fn split_tags_len_counts_at_and_space() {
        assert_eq!(split_tags_len(b"PING x"), (0, 6));
        assert_eq!(split_tags_len(b"@a=b PING x"), (5, 6));
        assert_eq!(split_tags_len(b"@a=b"), (4, 0));
        assert_eq!(split_tags_len(b""), (0, 0));
    }

    #[test]
    fn input_too_long_at_the_exact_limits() {
        let body = |n: usize| {
            let mut l = b"PRIVMSG #a :".to_vec();
            l.resize(n, b'x');
            l
        };
        assert!(!is_input_too_long(&body(510)));
        assert!(is_input_too_long(&body(511)));
        // Tags do not count against the 510.
        let mut tagged = b"@t=".to_vec();
        tagged.resize(MAX_TAGS - 1, b'v');
        tagged.push(b' ');
        assert_eq!(split_tags_len(&tagged).0, MAX_TAGS);
        tagged.extend_from_slice(&body(510));
        assert!(!is_input_too_long(&tagged));
        let mut over = b"@t=v".to_vec();
        over.resize(MAX_TAGS, b'v');
        over.extend_from_slice(b" PING");
        assert!(is_input_too_long(&over));
    }
}
