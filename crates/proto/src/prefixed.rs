//! The `prefixed` protocol (seeds 000 and 001): an ASCII decimal length zero-padded to
//! 2 or 4 digits, then that many bytes of payload. Owns the framing (with per-connection
//! width detection), the typed client commands and the exact reply strings.

use bytes::{Bytes, BytesMut};
use std::fmt::Write as _;

/// How many digits the length field has; fixed per connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Width {
    Two,
    Four,
}

impl Width {
    /// Digits in the length field.
    pub fn digits(self) -> usize {
        match self {
            Width::Two => 2,
            Width::Four => 4,
        }
    }

    /// The largest payload one frame can carry: 99 or 9999 bytes.
    pub fn max_payload(self) -> usize {
        match self {
            Width::Two => 99,
            Width::Four => 9999,
        }
    }
}

/// One result of [`Decoder::decode`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    Payload(Bytes),
    /// The length field was not a number; the buffer has been emptied.
    BadLength,
}

/// Frames a byte stream; detects the width from the first frame unless told it.
#[derive(Debug, Clone, Default)]
pub struct Decoder {
    width: Option<Width>,
}

impl Decoder {
    /// Server side: the width is detected from the first frame.
    pub fn new() -> Self {
        Decoder { width: None }
    }

    /// Client side: the width is fixed.
    pub fn with_width(width: Width) -> Self {
        Decoder { width: Some(width) }
    }

    /// The width, once decided.
    pub fn width(&self) -> Option<Width> {
        self.width
    }

    /// Called by the driver after 500 ms of silence with fewer than 4 bytes buffered,
    /// since a 2-digit client's short first frame (`00`, `01X`) may never reach 4 bytes.
    pub fn settle_width(&mut self) {
        self.width.get_or_insert(Width::Two);
    }

    /// Takes the next frame out of `buf`; `None` means more bytes are needed.
    ///
    /// Until the width is decided (4 bytes buffered: `Four` if bytes 3 and 4 are digits,
    /// else `Two`) this returns `None`. A length field with a non-digit yields
    /// [`Frame::BadLength`] and empties `buf`, as docs/protocols/prefixed.md says the server does.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Option<Frame> {
        let width = match self.width {
            Some(width) => width,
            None => self.detect_width(buf)?,
        };
        let digits = width.digits();
        let field = buf.get(..digits.min(buf.len()))?;
        // A non-digit is reported as soon as it arrives, not only when the field is full.
        if !field.iter().all(u8::is_ascii_digit) {
            buf.clear();
            return Some(Frame::BadLength);
        }
        if field.len() < digits {
            return None;
        }
        let len = parse_digits(field);
        if buf.len() < digits + len {
            buf.reserve(digits + len - buf.len());
            return None;
        }
        let _ = buf.split_to(digits);
        Some(Frame::Payload(buf.split_to(len).freeze()))
    }

    /// Decides the width once 4 bytes are buffered.
    fn detect_width(&mut self, buf: &BytesMut) -> Option<Width> {
        let probe = buf.get(2..4)?;
        let width = if probe.iter().all(u8::is_ascii_digit) {
            Width::Four
        } else {
            Width::Two
        };
        self.width = Some(width);
        Some(width)
    }
}

/// The value of a field already checked to be at most 4 ASCII digits.
fn parse_digits(field: &[u8]) -> usize {
    field
        .iter()
        .fold(0, |n, d| n * 10 + usize::from(d.saturating_sub(b'0')))
}

/// Appends `payload` as one frame, or as consecutive frames whose payloads joined equal
/// it when it is longer than `width.max_payload()`. Each split falls after the last
/// space that fits (the space ends the earlier chunk), else at a UTF-8 character
/// boundary, else (payload not UTF-8) at the maximum. An empty payload is `00`/`0000`.
pub fn encode(width: Width, payload: &[u8], out: &mut BytesMut) {
    let max = width.max_payload();
    let is_utf8 = std::str::from_utf8(payload).is_ok();
    let mut rest = payload;
    while rest.len() > max {
        let (chunk, tail) = rest.split_at(split_point(rest, max, is_utf8));
        put_frame(width, chunk, out);
        rest = tail;
    }
    put_frame(width, rest, out);
}

/// Where to cut `rest` (longer than `max`) so the first piece fits; always in 1..=max.
fn split_point(rest: &[u8], max: usize, is_utf8: bool) -> usize {
    let window = rest.get(..max).unwrap_or(rest);
    if let Some(space) = window.iter().rposition(|&b| b == b' ') {
        return space + 1;
    }
    if !is_utf8 {
        return max;
    }
    // Back off over continuation bytes (10xxxxxx) to the start of the cut character.
    let mut cut = max;
    while cut > 0 && rest.get(cut).is_some_and(|b| b & 0xC0 == 0x80) {
        cut -= 1;
    }
    if cut == 0 {
        max
    } else {
        cut
    }
}

/// Appends one frame; `chunk` must fit the width.
fn put_frame(width: Width, chunk: &[u8], out: &mut BytesMut) {
    out.reserve(width.digits() + chunk.len());
    // Writing into a BytesMut cannot fail.
    let _ = write!(out, "{:0w$}", chunk.len(), w = width.digits());
    out.extend_from_slice(chunk);
}

/// A client command, borrowed from its payload.
#[derive(Debug, PartialEq, Eq)]
pub enum Command<'a> {
    /// `NAME A`: the rest after `NAME ` as typed (`""` when missing); the server validates.
    Name(&'a str),
    /// `GET_NAMES` (also seed 001's `GETNAMES`).
    GetNames,
    /// `MSG B HELLO WORLD`: `to` is `B`, `text` everything after the space after it.
    Msg { to: &'a str, text: &'a str },
    /// `EXIT`.
    Exit,
}

/// Why a payload is not a command; each has its reply in [`Reply`].
#[derive(Debug, PartialEq, Eq)]
pub enum CommandError<'a> {
    NotUtf8,
    MsgUsage,
    Empty,
    /// The first word as typed.
    Unknown(&'a str),
}

impl<'a> Command<'a> {
    /// Parses one payload. Command words match case-insensitively; names and text are
    /// kept as typed. Trailing `\r`/`\n` and leading spaces are ignored; extra words
    /// after `GET_NAMES` or `EXIT` are too, to be lenient.
    pub fn parse(payload: &'a [u8]) -> Result<Command<'a>, CommandError<'a>> {
        let text = std::str::from_utf8(payload).map_err(|_| CommandError::NotUtf8)?;
        let text = text.trim_end_matches(['\r', '\n']).trim_start_matches(' ');
        if text.is_empty() {
            return Err(CommandError::Empty);
        }
        let (word, rest) = text.split_once(' ').unwrap_or((text, ""));
        let is = |name: &str| word.eq_ignore_ascii_case(name);
        if is("NAME") {
            Ok(Command::Name(rest))
        } else if is("GET_NAMES") || is("GETNAMES") {
            Ok(Command::GetNames)
        } else if is("MSG") {
            parse_msg(rest)
        } else if is("EXIT") {
            Ok(Command::Exit)
        } else {
            Err(CommandError::Unknown(word))
        }
    }
}

/// `MSG <name> <text>`: both parts must be non-empty.
fn parse_msg(rest: &str) -> Result<Command<'_>, CommandError<'_>> {
    match rest.split_once(' ') {
        Some((to, text)) if !to.is_empty() && !text.is_empty() => Ok(Command::Msg { to, text }),
        _ => Err(CommandError::MsgUsage),
    }
}

/// A server reply; [`Reply::render`] gives docs/protocols/prefixed.md's exact payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply<'a> {
    /// `Hello A`
    Hello(&'a str),
    /// `Error: name a is taken`
    Taken(&'a str),
    /// `Error: bad name`
    BadName,
    /// `A B` (empty when nobody is named)
    Names(&'a [&'a str]),
    /// `A sent HELLO`
    Delivered { from: &'a str, text: &'a str },
    /// `Error: no user named X`
    NoSuchUser(&'a str),
    /// `Error: choose a name first with NAME <name>`
    NameFirst,
    /// `Error: usage: MSG <name> <message>`
    MsgUsage,
    /// `Error: text is not UTF-8`
    NotUtf8,
    /// `Error: unknown command FOO`
    Unknown(&'a str),
    /// `Error: empty command`
    Empty,
    /// `Error: bad length field`
    BadLength,
    /// Free text, rendered as given (e.g. `Server shutting down`).
    Notice(&'a str),
}

impl Reply<'_> {
    /// The reply's payload text.
    pub fn render(&self) -> String {
        match self {
            Reply::Hello(name) => format!("Hello {name}"),
            Reply::Taken(name) => format!("Error: name {name} is taken"),
            Reply::BadName => "Error: bad name".to_owned(),
            Reply::Names(names) => names.join(" "),
            Reply::Delivered { from, text } => format!("{from} sent {text}"),
            Reply::NoSuchUser(name) => format!("Error: no user named {name}"),
            Reply::NameFirst => "Error: choose a name first with NAME <name>".to_owned(),
            Reply::MsgUsage => "Error: usage: MSG <name> <message>".to_owned(),
            Reply::NotUtf8 => "Error: text is not UTF-8".to_owned(),
            Reply::Unknown(word) => format!("Error: unknown command {word}"),
            Reply::Empty => "Error: empty command".to_owned(),
            Reply::BadLength => "Error: bad length field".to_owned(),
            Reply::Notice(text) => (*text).to_owned(),
        }
    }

    /// Renders and frames the reply (split into several frames if it is too long; a
    /// direct message into several messages, see [`encode_delivered`]).
    pub fn encode(&self, width: Width, out: &mut BytesMut) {
        match self {
            Reply::Delivered { from, text } => encode_delivered(width, from, text, out),
            _ => encode(width, self.render().as_bytes(), out),
        }
    }
}

/// A direct message too long for one frame: several messages, each `A sent <part>`
/// with its real sender, the text split as [`encode`] splits. A bare continuation frame
/// could begin `bob sent ...` and pass for a message from bob.
fn encode_delivered(width: Width, from: &str, text: &str, out: &mut BytesMut) {
    let head = format!("{from} sent ");
    // Room for at least one character of any size after the head; names are at most
    // 32 bytes, so at width 2 there are 61 bytes or more.
    let Some(room) = width
        .max_payload()
        .checked_sub(head.len())
        .filter(|r| *r >= 4)
    else {
        return encode(width, format!("{head}{text}").as_bytes(), out);
    };
    let mut rest = text.as_bytes();
    loop {
        let cut = if rest.len() > room {
            split_point(rest, room, true)
        } else {
            rest.len()
        };
        let (part, tail) = rest.split_at(cut);
        let mut payload = Vec::with_capacity(head.len() + part.len());
        payload.extend_from_slice(head.as_bytes());
        payload.extend_from_slice(part);
        put_frame(width, &payload, out);
        rest = tail;
        if rest.is_empty() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn payload(s: &str) -> Option<Frame> {
        Some(Frame::Payload(Bytes::copy_from_slice(s.as_bytes())))
    }

    fn encoded(width: Width, payload: &[u8]) -> BytesMut {
        let mut out = BytesMut::new();
        encode(width, payload, &mut out);
        out
    }

    #[test]
    fn detects_two_digits() {
        let mut d = Decoder::new();
        let mut buf = BytesMut::from(&b"06NA"[..]);
        assert_eq!(d.decode(&mut buf), None);
        assert_eq!(d.width(), Some(Width::Two));
        buf.extend_from_slice(b"ME A09GET_NAMES");
        assert_eq!(d.decode(&mut buf), payload("NAME A"));
        assert_eq!(d.decode(&mut buf), payload("GET_NAMES"));
        assert_eq!(d.decode(&mut buf), None);
    }

    #[test]
    fn detects_four_digits() {
        let mut d = Decoder::new();
        let mut buf = BytesMut::from(&b"0006NAME A"[..]);
        assert_eq!(d.decode(&mut buf), payload("NAME A"));
        assert_eq!(d.width(), Some(Width::Four));
    }

    #[test]
    fn undecided_until_four_bytes_or_settled() {
        let mut d = Decoder::new();
        let mut buf = BytesMut::from(&b"00"[..]);
        assert_eq!(d.decode(&mut buf), None);
        assert_eq!(d.width(), None);
        d.settle_width();
        assert_eq!(d.decode(&mut buf), payload(""));
        d.settle_width();
        assert_eq!(d.width(), Some(Width::Two));
    }

    #[test]
    fn bad_length_clears_buffer() {
        let mut d = Decoder::with_width(Width::Two);
        let mut buf = BytesMut::from(&b"x5hello"[..]);
        assert_eq!(d.decode(&mut buf), Some(Frame::BadLength));
        assert!(buf.is_empty());
        let mut buf = BytesMut::from(&b"0"[..]);
        assert_eq!(d.decode(&mut buf), None);
    }

    #[test]
    fn encodes_exact_bytes() {
        assert_eq!(&encoded(Width::Two, b"Hello A")[..], b"07Hello A");
        assert_eq!(&encoded(Width::Four, b"Hello A")[..], b"0007Hello A");
        assert_eq!(&encoded(Width::Two, b"")[..], b"00");
        assert_eq!(&encoded(Width::Four, b"")[..], b"0000");
    }

    #[test]
    fn splits_after_last_space_that_fits() {
        let word = "abcdefghi "; // 10 bytes
        let text = word.repeat(12); // 120 bytes
        let out = encoded(Width::Two, text.as_bytes());
        let first = format!("90{}", word.repeat(9));
        let second = format!("30{}", word.repeat(3));
        assert_eq!(&out[..], format!("{first}{second}").as_bytes());
    }

    #[test]
    fn splits_at_char_boundary_without_spaces() {
        let text = "é".repeat(60); // 120 bytes, 2 per char
        let out = encoded(Width::Two, text.as_bytes());
        let expected = format!("98{}22{}", "é".repeat(49), "é".repeat(11));
        assert_eq!(&out[..], expected.as_bytes());
    }

    #[test]
    fn splits_non_utf8_at_max() {
        let data = vec![0xffu8; 100];
        let out = encoded(Width::Two, &data);
        assert_eq!(out.get(..2), Some(&b"99"[..]));
        assert_eq!(out.get(101..), Some(&b"01\xff"[..]));
    }

    #[test]
    fn parses_commands() {
        assert_eq!(Command::parse(b"NAME A"), Ok(Command::Name("A")));
        assert_eq!(Command::parse(b"name"), Ok(Command::Name("")));
        assert_eq!(Command::parse(b"GET_NAMES"), Ok(Command::GetNames));
        assert_eq!(Command::parse(b"getnames x"), Ok(Command::GetNames));
        assert_eq!(
            Command::parse(b"MSG B HELLO WORLD"),
            Ok(Command::Msg {
                to: "B",
                text: "HELLO WORLD"
            })
        );
        assert_eq!(Command::parse(b"exit\r\n"), Ok(Command::Exit));
    }

    #[test]
    fn command_errors() {
        assert_eq!(Command::parse(b""), Err(CommandError::Empty));
        assert_eq!(Command::parse(b"\xff"), Err(CommandError::NotUtf8));
        assert_eq!(Command::parse(b"MSG"), Err(CommandError::MsgUsage));
        assert_eq!(Command::parse(b"MSG B"), Err(CommandError::MsgUsage));
        assert_eq!(Command::parse(b"MSG B "), Err(CommandError::MsgUsage));
        assert_eq!(
            Command::parse(b"Foo bar"),
            Err(CommandError::Unknown("Foo"))
        );
    }

    #[test]
    fn renders_replies() {
        let cases: &[(Reply, &str)] = &[
            (Reply::Hello("A"), "Hello A"),
            (Reply::Taken("a"), "Error: name a is taken"),
            (Reply::BadName, "Error: bad name"),
            (Reply::Names(&["A", "B"]), "A B"),
            (Reply::Names(&[]), ""),
            (
                Reply::Delivered {
                    from: "A",
                    text: "HELLO",
                },
                "A sent HELLO",
            ),
            (Reply::NoSuchUser("X"), "Error: no user named X"),
            (
                Reply::NameFirst,
                "Error: choose a name first with NAME <name>",
            ),
            (Reply::MsgUsage, "Error: usage: MSG <name> <message>"),
            (Reply::NotUtf8, "Error: text is not UTF-8"),
            (Reply::Unknown("FOO"), "Error: unknown command FOO"),
            (Reply::Empty, "Error: empty command"),
            (Reply::BadLength, "Error: bad length field"),
            (
                Reply::Notice("Server shutting down"),
                "Server shutting down",
            ),
        ];
        for (reply, text) in cases {
            assert_eq!(reply.render(), *text);
        }
        let mut out = BytesMut::new();
        Reply::Hello("A").encode(Width::Two, &mut out);
        assert_eq!(&out[..], b"07Hello A");
    }

    #[test]
    fn a_long_direct_message_cannot_carry_a_forged_one() {
        // Issue 15 #16: the tail of a split message must not read as bob's message.
        let text = format!("{} bob sent you owe me 5 dollars", "y".repeat(85));
        let mut out = BytesMut::new();
        Reply::Delivered {
            from: "atkpre4",
            text: &text,
        }
        .encode(Width::Two, &mut out);
        let want = format!(
            "99atkpre4 sent {} 42atkpre4 sent bob sent you owe me 5 dollars",
            "y".repeat(85)
        );
        assert_eq!(&out[..], want.as_bytes());
    }

    /// Decodes every frame of `buf` with a fixed width.
    fn decode_all(width: Width, buf: &mut BytesMut) -> Vec<u8> {
        let mut d = Decoder::with_width(width);
        let mut joined = Vec::new();
        while let Some(Frame::Payload(p)) = d.decode(buf) {
            assert!(p.len() <= width.max_payload());
            joined.extend_from_slice(&p);
        }
        joined
    }

    proptest! {
        #[test]
        fn arbitrary_chunks_never_panic(
            data in proptest::collection::vec(any::<u8>(), 0..400),
            cuts in proptest::collection::vec(0usize..400, 0..8),
            settle in any::<bool>(),
        ) {
            let mut d = Decoder::new();
            let mut buf = BytesMut::new();
            for piece in crate::chunks::pieces(&data, &cuts) {
                buf.extend_from_slice(piece);
                if settle {
                    d.settle_width();
                }
                let mut rounds = 0;
                while d.decode(&mut buf).is_some() {
                    rounds += 1;
                    prop_assert!(rounds <= data.len() + 1, "no progress");
                }
                prop_assert!(buf.len() < 4 + 10_000);
            }
        }

        #[test]
        fn split_frames_join_back(text in ".{0,300}", four in any::<bool>()) {
            let width = if four { Width::Four } else { Width::Two };
            let mut buf = encoded(width, text.as_bytes());
            prop_assert_eq!(decode_all(width, &mut buf), text.as_bytes());
            prop_assert!(buf.is_empty());
        }

        #[test]
        fn every_part_of_a_long_direct_message_names_its_sender(
            from in "[a-z]{1,32}",
            text in ".{0,400}",
            four in any::<bool>(),
        ) {
            let width = if four { Width::Four } else { Width::Two };
            let mut out = BytesMut::new();
            Reply::Delivered { from: &from, text: &text }.encode(width, &mut out);
            let head = format!("{from} sent ");
            let mut joined = Vec::new();
            let mut decoder = Decoder::with_width(width);
            while !out.is_empty() {
                let Some(Frame::Payload(payload)) = decoder.decode(&mut out) else {
                    panic!("a whole frame");
                };
                prop_assert!(payload.starts_with(head.as_bytes()));
                prop_assert!(std::str::from_utf8(&payload).is_ok());
                joined.extend_from_slice(&payload[head.len()..]);
            }
            prop_assert_eq!(joined, text.as_bytes());
        }

        #[test]
        fn split_bytes_join_back(data in proptest::collection::vec(any::<u8>(), 0..300)) {
            let mut buf = encoded(Width::Two, &data);
            prop_assert_eq!(decode_all(Width::Two, &mut buf), data);
        }

        #[test]
        fn parse_never_panics(data in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = Command::parse(&data);
        }
    }
}
