//! Fuzz target bodies for the pure codecs of `confab-proto`: each takes arbitrary bytes,
//! must never panic, and checks the codec's own promises (bounded buffers, progress,
//! rendered lines that cannot be broken, parse and render round trips).
//!
//! Shared by the AFL binaries of `fuzz/` and, through `#[path]`, by the corpus replay in
//! `crates/proto/tests/fuzz_corpus.rs`, so it uses nothing but `confab_proto` and `bytes`.

use bytes::BytesMut;
use confab_proto::irc::{self, Message};
use confab_proto::line::{put_sanitized, Line, LineDecoder};
use confab_proto::packet::{self, ClientPacket, Decoded, ServerPacket};
use confab_proto::prefixed::{self, Command, Frame, Reply, Width};
use confab_proto::{broadcast, rooms};

/// A fuzz target: arbitrary bytes in, a panic for a finding.
pub type Target = fn(&[u8]);

/// Every target, by the name of its AFL binary and its corpus directory.
pub const TARGETS: &[(&str, Target)] = &[
    ("line", line),
    ("prefixed", prefixed),
    ("packet", packet),
    ("rooms", rooms),
    ("broadcast", broadcast),
    ("irc", irc),
];

/// Splits a fuzz input into a control byte and the rest, fed in chunks of 1 to 64 bytes
/// (the low 6 bits of the control byte), as reads from a socket would arrive.
fn control(data: &[u8]) -> (u8, std::slice::Chunks<'_, u8>) {
    let (&ctl, rest) = data.split_first().unwrap_or((&0, &[]));
    (ctl, rest.chunks(usize::from(ctl & 0x3f) + 1))
}

/// Line framing: lines never exceed `max`, the buffer stays bounded, every call makes
/// progress, and EOF empties the buffer. Relayed text cannot carry a line break.
pub fn line(data: &[u8]) {
    let (ctl, chunks) = control(data);
    // Small maxima reach the over-long paths often; 0 is allowed too.
    let max = usize::from(ctl >> 3);
    let mut d = LineDecoder::new(max);
    let mut buf = BytesMut::new();
    for chunk in chunks {
        buf.extend_from_slice(chunk);
        let mut rounds = 0;
        while let Some(line) = d.decode(&mut buf) {
            if let Line::Complete(l) = line {
                assert!(l.len() <= max, "line of {} over max {max}", l.len());
            }
            rounds += 1;
            assert!(rounds <= data.len() + 1, "no progress");
        }
        assert!(buf.len() <= max + 1, "buffer grew to {}", buf.len());
    }
    let mut rounds = 0;
    while d.decode_eof(&mut buf).is_some() {
        rounds += 1;
        assert!(rounds <= data.len() + 1, "no progress at eof");
    }
    assert!(buf.is_empty());

    let mut out = BytesMut::new();
    put_sanitized(&mut out, &String::from_utf8_lossy(data));
    assert!(!out.iter().any(|b| matches!(b, b'\r' | b'\n' | b'\0')));
}

/// Length-prefixed frames: payloads fit the width, the buffer stays bounded, every
/// payload parses without panicking, and encoding it frames back to the same bytes.
pub fn prefixed(data: &[u8]) {
    let (ctl, chunks) = control(data);
    let settle = ctl & 0x40 != 0;
    let mut d = prefixed::Decoder::new();
    let mut buf = BytesMut::new();
    for chunk in chunks {
        buf.extend_from_slice(chunk);
        if settle {
            d.settle_width();
        }
        let mut rounds = 0;
        while let Some(frame) = d.decode(&mut buf) {
            if let Frame::Payload(payload) = frame {
                let width = d.width().expect("a payload means the width is decided");
                assert!(payload.len() <= width.max_payload());
                check_prefixed_payload(width, &payload);
            }
            rounds += 1;
            assert!(rounds <= data.len() + 1, "no progress");
        }
        assert!(buf.len() < 4 + 10_000, "buffer grew to {}", buf.len());
    }
    // Long payloads split into frames that join back, in both widths.
    for width in [Width::Two, Width::Four] {
        let mut framed = BytesMut::new();
        prefixed::encode(width, data, &mut framed);
        let mut d = prefixed::Decoder::with_width(width);
        let mut joined = Vec::new();
        while let Some(frame) = d.decode(&mut framed) {
            match frame {
                Frame::Payload(p) => joined.extend_from_slice(&p),
                Frame::BadLength => panic!("encode wrote a bad length field"),
            }
        }
        assert!(framed.is_empty());
        assert_eq!(joined, data);
    }
}

fn check_prefixed_payload(width: Width, payload: &[u8]) {
    let reply = match Command::parse(payload) {
        Ok(Command::Name(name)) => Reply::Hello(name),
        Ok(Command::GetNames) => Reply::Names(&["a", "b"]),
        Ok(Command::Msg { to, text }) => Reply::Delivered { from: to, text },
        Ok(Command::Exit) => Reply::Notice("bye"),
        Err(prefixed::CommandError::Unknown(word)) => Reply::Unknown(word),
        Err(_) => Reply::Empty,
    };
    let mut out = BytesMut::new();
    reply.encode(width, &mut out);
    assert!(out.len() >= width.digits());
}

/// Binary packets: bodies stay within the limit, parsing never panics, and whatever
/// parses encodes back to the same packet.
pub fn packet(data: &[u8]) {
    let (ctl, chunks) = control(data);
    // Mostly the real limit; sometimes a tiny one, to reach TooLarge.
    let max = if ctl & 0x40 != 0 {
        usize::from(ctl >> 7) * 16
    } else {
        packet::DEFAULT_MAX_BODY
    };
    let mut d = packet::Decoder::new(max);
    let mut buf = BytesMut::new();
    'feed: for chunk in chunks {
        buf.extend_from_slice(chunk);
        let mut rounds = 0;
        while let Some(decoded) = d.decode(&mut buf) {
            match decoded {
                Decoded::TooLarge => {
                    assert!(buf.is_empty());
                    break 'feed;
                }
                Decoded::Packet { kind, body } => {
                    assert!(body.len() <= max);
                    check_packet_body(kind, &body);
                }
            }
            rounds += 1;
            assert!(rounds <= data.len() + 1, "no progress");
        }
        assert!(buf.len() < packet::HEADER_LEN + max + 64, "buffer grew");
    }
}

fn check_packet_body(kind: u8, body: &[u8]) {
    if let Ok(p) = ClientPacket::parse(kind, body) {
        let mut out = BytesMut::new();
        p.encode(&mut out);
        let again = reframe(&mut out);
        assert_eq!(ClientPacket::parse(again.0, &again.1), Ok(p));
    }
    if let Ok(p) = ServerPacket::parse(kind, body) {
        let mut out = BytesMut::new();
        p.encode(&mut out);
        let again = reframe(&mut out);
        assert_eq!(ServerPacket::parse(again.0, &again.1), Ok(p));
    }
}

/// Decodes the one whole packet `encode` just wrote.
fn reframe(out: &mut BytesMut) -> (u8, bytes::Bytes) {
    match packet::Decoder::new(usize::MAX).decode(out) {
        Some(Decoded::Packet { kind, body }) if out.is_empty() => (kind, body),
        other => panic!("encode wrote no single packet: {other:?}"),
    }
}

/// The UTF-8 lines of `data` as the line protocols would see them.
fn text_lines(data: &[u8]) -> impl Iterator<Item = &str> {
    data.split(|&b| b == b'\n')
        .filter_map(|l| std::str::from_utf8(l).ok())
}

/// Asserts `out` is exactly one line: one `\n`, at the end, and no CR or NUL.
fn assert_one_line(out: &[u8]) {
    assert_eq!(out.last(), Some(&b'\n'), "{out:?}");
    let body = &out[..out.len() - 1];
    assert!(
        !body.iter().any(|b| matches!(b, b'\r' | b'\n' | b'\0')),
        "line break in {out:?}"
    );
}

/// `rooms` lines: parsing never panics and every rendering of fuzzed text is one line.
pub fn rooms(data: &[u8]) {
    for line in text_lines(data) {
        let arg = match rooms::parse(line) {
            rooms::Command::Join(a)
            | rooms::Command::Nick(a)
            | rooms::Command::Unknown(a)
            | rooms::Command::Chat(a) => a,
            _ => line,
        };
        let notices = [
            rooms::Notice::Joined(arg),
            rooms::Notice::Left(arg),
            rooms::Notice::Renamed {
                old: arg,
                new: line,
            },
            rooms::Notice::Private {
                from: arg,
                text: line,
            },
            rooms::Notice::UnknownCommand(arg),
            rooms::Notice::Other(line),
        ];
        for notice in notices {
            let mut out = BytesMut::new();
            notice.render(&mut out);
            assert_one_line(&out);
        }
        let mut out = BytesMut::new();
        rooms::render_chat(arg, line, &mut out);
        assert_one_line(&out);
        let mut out = BytesMut::new();
        rooms::render_list([arg, line].into_iter(), &mut out);
        assert_eq!(out.iter().filter(|&&b| b == b'\n').count(), 3);
    }
}

/// `broadcast` lines: parsing never panics and every rendering of fuzzed text is one line.
pub fn broadcast(data: &[u8]) {
    for line in text_lines(data) {
        let text = match broadcast::parse(line) {
            broadcast::Input::Bye => "bye",
            broadcast::Input::Text(t) => t,
        };
        let lines = [
            broadcast::ServerLine::Joined(text),
            broadcast::ServerLine::Left(text),
            broadcast::ServerLine::LeftUnexpectedly(text),
            broadcast::ServerLine::Said { from: text, text },
            broadcast::ServerLine::Private { from: text, text },
            broadcast::ServerLine::Renamed {
                old: text,
                new: line,
            },
            broadcast::ServerLine::Notice(line),
        ];
        for server_line in lines {
            let mut out = BytesMut::new();
            server_line.render(&mut out);
            assert_one_line(&out);
        }
    }
}

/// IRC: framing stays bounded; a parsed message renders to one line that parses back to
/// the same command, source, tags and parameters; tag values survive escaping; a
/// truncated rendering is still one line.
pub fn irc(data: &[u8]) {
    let (_, chunks) = control(data);
    let mut d = irc::Decoder::new();
    let mut buf = BytesMut::new();
    for chunk in chunks {
        buf.extend_from_slice(chunk);
        while let Some(line) = d.decode(&mut buf) {
            if let Line::Complete(line) = line {
                check_irc_line(&line);
            }
        }
        assert!(buf.len() <= irc::MAX_TAGS + irc::MAX_LINE);
    }
    while let Some(line) = d.decode_eof(&mut buf) {
        if let Line::Complete(line) = line {
            check_irc_line(&line);
        }
    }
    // The whole input as one line too, so short inputs reach the parser directly.
    check_irc_line(data);
}

fn check_irc_line(line: &[u8]) {
    let _ = irc::is_input_too_long(line);
    let Ok(m) = Message::parse(line) else {
        return;
    };
    let _ = m.command_upper();
    let _ = m.tag("label");
    for (key, value) in m.tags() {
        assert!(!key.is_empty());
        if let Some(value) = value {
            let escaped = irc::escape_tag_value(&value);
            assert!(!escaped.contains([';', ' ', '\r', '\n']));
            assert_eq!(irc::unescape_tag_value(&escaped), value);
        }
    }

    let mut out = BytesMut::new();
    m.render(&mut out);
    let body = out
        .strip_suffix(b"\r\n")
        .expect("rendered line ends in CRLF");
    assert!(!body.iter().any(|b| matches!(b, b'\r' | b'\n' | b'\0')));
    let again = Message::parse(body).expect("a rendered message parses");
    // A command opening with `:` or `@` is rendered with `_` so it cannot be read as a
    // source or tags; an empty source or tags section is left out.
    let command = match m.command.strip_prefix([':', '@']) {
        Some(rest) => format!("_{rest}"),
        None => m.command.to_string(),
    };
    assert_eq!(again.command, command);
    assert_eq!(again.params, m.params);
    assert_eq!(again.source, m.source.filter(|s| !s.is_empty()));
    assert_eq!(again.tags, m.tags.filter(|t| !t.is_empty()));

    let mut out = BytesMut::new();
    irc::render_truncated(&mut out, m.tags, m.source, m.command, &m.params);
    let body = out
        .strip_suffix(b"\r\n")
        .expect("rendered line ends in CRLF");
    assert!(!body.iter().any(|b| matches!(b, b'\r' | b'\n' | b'\0')));
    let again = Message::parse(body).expect("a truncated rendering parses");
    assert_eq!(again.params.len(), m.params.len());
}
