//! The `packet` protocol (seed 002): `type: u8`, `length: u32` big-endian of the body,
//! then the body. Inside a body a name is a u8 length + UTF-8 and a text a u32 length +
//! UTF-8. Owns the framing, the typed packets of both directions and their layouts.

use bytes::{BufMut, Bytes, BytesMut};

/// Bytes before the body: the type and the body length.
pub const HEADER_LEN: usize = 5;
/// A larger body is refused (RESPONSE malformed, then the server closes).
pub const DEFAULT_MAX_BODY: usize = 70_000;
/// The longest text a sendto may carry, in characters (checked by the server).
pub const MAX_TEXT_CHARS: usize = 65_535;

/// Packet type bytes.
pub mod kind {
    pub const LOGIN: u8 = 0x01;
    pub const LIST: u8 = 0x02;
    pub const SENDTO: u8 = 0x03;
    pub const LOGOUT: u8 = 0x04;
    pub const LIST_REPLY: u8 = 0x81;
    pub const RESPONSE: u8 = 0x82;
    pub const SENDTO_REPLY: u8 = 0x83;
}

/// One result of [`Decoder::decode`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded {
    Packet {
        kind: u8,
        body: Bytes,
    },
    /// The header announced a body over the limit. The buffer has been emptied: the
    /// stream cannot be resynchronised, so the caller answers and closes.
    TooLarge,
}

/// Frames a byte stream into packets, refusing bodies over `max_body` bytes.
#[derive(Debug, Clone)]
pub struct Decoder {
    max_body: usize,
}

impl Decoder {
    pub fn new(max_body: usize) -> Self {
        Decoder { max_body }
    }

    /// Takes the next packet out of `buf`; `None` means more bytes are needed. An
    /// oversized length is reported from the header alone, without waiting for the body.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Option<Decoded> {
        let header = buf.get(..HEADER_LEN)?;
        let (&kind, len) = header.split_first()?;
        let len = u32::from_be_bytes(len.try_into().ok()?);
        let len = match usize::try_from(len) {
            Ok(len) if len <= self.max_body => len,
            _ => {
                buf.clear();
                return Some(Decoded::TooLarge);
            }
        };
        if buf.len() < HEADER_LEN + len {
            buf.reserve(HEADER_LEN + len - buf.len());
            return None;
        }
        let _ = buf.split_to(HEADER_LEN);
        let body = buf.split_to(len).freeze();
        Some(Decoded::Packet { kind, body })
    }
}

/// Why a body could not be parsed; the server answers RESPONSE malformed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Malformed {
    #[error("unknown packet type 0x{0:02x}")]
    UnknownType(u8),
    #[error("body shorter than its fields")]
    Short,
    #[error("body longer than its fields")]
    Trailing,
    #[error("string is not valid UTF-8")]
    NotUtf8,
    #[error("unknown result code {0}")]
    UnknownResult(u8),
}

/// A packet a client sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientPacket {
    /// 0x01: name.
    Login { name: String },
    /// 0x02: empty.
    List,
    /// 0x03: name, text.
    SendTo { to: String, text: String },
    /// 0x04: empty.
    Logout,
}

/// The RESPONSE result byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResultCode {
    Ok = 0,
    Failure = 1,
    Malformed = 2,
}

impl TryFrom<u8> for ResultCode {
    type Error = Malformed;

    fn try_from(byte: u8) -> Result<Self, Malformed> {
        match byte {
            0 => Ok(ResultCode::Ok),
            1 => Ok(ResultCode::Failure),
            2 => Ok(ResultCode::Malformed),
            other => Err(Malformed::UnknownResult(other)),
        }
    }
}

/// A packet the server sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerPacket {
    /// 0x81: u16 count, then that many names.
    List(Vec<String>),
    /// 0x82: u8 result.
    Response(ResultCode),
    /// 0x83: sender's name, text.
    SendTo { from: String, text: String },
}

impl ClientPacket {
    /// Parses a body of type `kind`; the whole body must be used.
    pub fn parse(kind: u8, body: &[u8]) -> Result<Self, Malformed> {
        let mut r = Reader(body);
        let packet = match kind {
            kind::LOGIN => ClientPacket::Login { name: r.name()? },
            kind::LIST => ClientPacket::List,
            kind::SENDTO => ClientPacket::SendTo {
                to: r.name()?,
                text: r.text()?,
            },
            kind::LOGOUT => ClientPacket::Logout,
            other => return Err(Malformed::UnknownType(other)),
        };
        r.finish()?;
        Ok(packet)
    }

    /// Appends the whole packet. A name over 255 bytes is truncated at a char boundary.
    pub fn encode(&self, out: &mut BytesMut) {
        match self {
            ClientPacket::Login { name } => put_packet(out, kind::LOGIN, |o| put_name(o, name)),
            ClientPacket::List => put_packet(out, kind::LIST, |_| ()),
            ClientPacket::SendTo { to, text } => put_packet(out, kind::SENDTO, |o| {
                put_name(o, to);
                put_text(o, text);
            }),
            ClientPacket::Logout => put_packet(out, kind::LOGOUT, |_| ()),
        }
    }
}

impl ServerPacket {
    /// Parses a body of type `kind`; the whole body must be used.
    pub fn parse(kind: u8, body: &[u8]) -> Result<Self, Malformed> {
        let mut r = Reader(body);
        let packet = match kind {
            kind::LIST_REPLY => {
                let count = r.u16()?;
                let names = (0..count).map(|_| r.name()).collect::<Result<_, _>>()?;
                ServerPacket::List(names)
            }
            kind::RESPONSE => ServerPacket::Response(ResultCode::try_from(r.u8()?)?),
            kind::SENDTO_REPLY => ServerPacket::SendTo {
                from: r.name()?,
                text: r.text()?,
            },
            other => return Err(Malformed::UnknownType(other)),
        };
        r.finish()?;
        Ok(packet)
    }

    /// Appends the whole packet (see [`encode_list`] for the list's limits).
    pub fn encode(&self, out: &mut BytesMut) {
        match self {
            ServerPacket::List(names) => encode_list(names.iter().map(String::as_str), out),
            ServerPacket::Response(code) => encode_response(*code, out),
            ServerPacket::SendTo { from, text } => encode_sendto(from, text, out),
        }
    }
}

/// Appends a LIST packet: a u16 count, then the names. Only the first 65535 names fit;
/// the rest are left out, and a name over 255 bytes is truncated at a char boundary.
pub fn encode_list<'a>(names: impl ExactSizeIterator<Item = &'a str>, out: &mut BytesMut) {
    put_packet(out, kind::LIST_REPLY, |o| {
        let count_at = o.len();
        o.put_u16(0);
        let mut count: u16 = 0;
        for name in names.take(usize::from(u16::MAX)) {
            put_name(o, name);
            count += 1;
        }
        // Counted as written, so a miscounting iterator cannot corrupt the packet.
        if let Some(field) = o.get_mut(count_at..count_at + 2) {
            field.copy_from_slice(&count.to_be_bytes());
        }
    });
}

/// Appends a RESPONSE packet.
pub fn encode_response(code: ResultCode, out: &mut BytesMut) {
    put_packet(out, kind::RESPONSE, |o| o.put_u8(code as u8));
}

/// Appends a SENDTO packet (server to client).
pub fn encode_sendto(from: &str, text: &str, out: &mut BytesMut) {
    put_packet(out, kind::SENDTO_REPLY, |o| {
        put_name(o, from);
        put_text(o, text);
    });
}

/// Appends a header, lets `body` write the body, then fills in the body length.
fn put_packet(out: &mut BytesMut, kind: u8, body: impl FnOnce(&mut BytesMut)) {
    let start = out.len();
    out.put_u8(kind);
    out.put_u32(0);
    body(out);
    let len = out.len() - start - HEADER_LEN;
    let len = u32::try_from(len).unwrap_or(u32::MAX);
    if let Some(field) = out.get_mut(start + 1..start + HEADER_LEN) {
        field.copy_from_slice(&len.to_be_bytes());
    }
}

/// A name: u8 length + UTF-8, truncated to 255 bytes at a char boundary.
fn put_name(out: &mut BytesMut, name: &str) {
    let name = truncate(name, usize::from(u8::MAX));
    out.put_u8(name.len() as u8);
    out.put_slice(name.as_bytes());
}

/// A text: u32 length + UTF-8 (truncated at a char boundary past 4 GiB).
fn put_text(out: &mut BytesMut, text: &str) {
    let max = usize::try_from(u32::MAX).unwrap_or(usize::MAX);
    let text = truncate(text, max);
    out.put_u32(text.len() as u32);
    out.put_slice(text.as_bytes());
}

/// The longest prefix of `s` of at most `max` bytes ending on a char boundary.
fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or_default()
}

/// Reads fields off the front of a body; every read checks the remaining length.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], Malformed> {
        if self.0.len() < n {
            return Err(Malformed::Short);
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }

    fn u8(&mut self) -> Result<u8, Malformed> {
        Ok(self.take(1)?.first().copied().unwrap_or_default())
    }

    fn u16(&mut self) -> Result<u16, Malformed> {
        let bytes = self.take(2)?.try_into().map_err(|_| Malformed::Short)?;
        Ok(u16::from_be_bytes(bytes))
    }

    fn u32(&mut self) -> Result<u32, Malformed> {
        let bytes = self.take(4)?.try_into().map_err(|_| Malformed::Short)?;
        Ok(u32::from_be_bytes(bytes))
    }

    fn string(&mut self, len: usize) -> Result<String, Malformed> {
        let bytes = self.take(len)?;
        let text = std::str::from_utf8(bytes).map_err(|_| Malformed::NotUtf8)?;
        Ok(text.to_owned())
    }

    fn name(&mut self) -> Result<String, Malformed> {
        let len = self.u8()?;
        self.string(usize::from(len))
    }

    fn text(&mut self) -> Result<String, Malformed> {
        let len = self.u32()?;
        self.string(usize::try_from(len).map_err(|_| Malformed::Short)?)
    }

    fn finish(&self) -> Result<(), Malformed> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(Malformed::Trailing)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn bytes_of(f: impl FnOnce(&mut BytesMut)) -> Vec<u8> {
        let mut out = BytesMut::new();
        f(&mut out);
        out.to_vec()
    }

    #[test]
    fn encodes_client_packets_exactly() {
        let login = ClientPacket::Login { name: "bob".into() };
        assert_eq!(bytes_of(|o| login.encode(o)), b"\x01\0\0\0\x04\x03bob");
        assert_eq!(bytes_of(|o| ClientPacket::List.encode(o)), b"\x02\0\0\0\0");
        let send = ClientPacket::SendTo {
            to: "A".into(),
            text: "hi".into(),
        };
        assert_eq!(
            bytes_of(|o| send.encode(o)),
            b"\x03\0\0\0\x08\x01A\0\0\0\x02hi"
        );
        assert_eq!(
            bytes_of(|o| ClientPacket::Logout.encode(o)),
            b"\x04\0\0\0\0"
        );
    }

    #[test]
    fn encodes_server_packets_exactly() {
        let list = bytes_of(|o| encode_list(["A", "bc"].into_iter(), o));
        assert_eq!(list, b"\x81\0\0\0\x07\0\x02\x01A\x02bc");
        let resp = bytes_of(|o| encode_response(ResultCode::Malformed, o));
        assert_eq!(resp, b"\x82\0\0\0\x01\x02");
        let send = bytes_of(|o| encode_sendto("A", "hi", o));
        assert_eq!(send, b"\x83\0\0\0\x08\x01A\0\0\0\x02hi");
    }

    #[test]
    fn long_names_are_truncated_at_char_boundary() {
        let name = "é".repeat(200); // 400 bytes
        let out = bytes_of(|o| encode_sendto(&name, "", o));
        assert_eq!(out.get(5), Some(&254));
        let parsed = ServerPacket::parse(kind::SENDTO_REPLY, out.get(5..).unwrap_or_default());
        let expected = ServerPacket::SendTo {
            from: "é".repeat(127),
            text: String::new(),
        };
        assert_eq!(parsed, Ok(expected));
    }

    #[test]
    fn decoder_waits_then_yields_packet() {
        let mut d = Decoder::new(DEFAULT_MAX_BODY);
        let mut buf = BytesMut::from(&b"\x01\0\0"[..]);
        assert_eq!(d.decode(&mut buf), None);
        buf.extend_from_slice(b"\0\x04\x03bo");
        assert_eq!(d.decode(&mut buf), None);
        buf.extend_from_slice(b"b\x02");
        let body = Bytes::from_static(b"\x03bob");
        assert_eq!(d.decode(&mut buf), Some(Decoded::Packet { kind: 1, body }));
        assert_eq!(&buf[..], b"\x02");
    }

    #[test]
    fn decoder_refuses_oversized_header_at_once() {
        let mut d = Decoder::new(DEFAULT_MAX_BODY);
        let mut buf = BytesMut::from(&b"\x03\0\x01\x11\x71"[..]); // 70_001
        assert_eq!(d.decode(&mut buf), Some(Decoded::TooLarge));
        let mut buf = BytesMut::from(&b"\x03\0\x01\x11\x70"[..]); // 70_000
        assert_eq!(d.decode(&mut buf), None);
    }

    #[test]
    fn malformed_bodies() {
        assert_eq!(
            ClientPacket::parse(0x09, b""),
            Err(Malformed::UnknownType(9))
        );
        assert_eq!(ClientPacket::parse(1, b"\x03bo"), Err(Malformed::Short));
        assert_eq!(ClientPacket::parse(1, b""), Err(Malformed::Short));
        assert_eq!(ClientPacket::parse(1, b"\x01ab"), Err(Malformed::Trailing));
        assert_eq!(ClientPacket::parse(2, b"x"), Err(Malformed::Trailing));
        assert_eq!(ClientPacket::parse(1, b"\x01\xff"), Err(Malformed::NotUtf8));
        assert_eq!(
            ClientPacket::parse(3, b"\x01A\0\0\0\x05hi"),
            Err(Malformed::Short)
        );
        assert_eq!(
            ServerPacket::parse(0x82, b"\x07"),
            Err(Malformed::UnknownResult(7))
        );
        assert_eq!(
            Malformed::UnknownType(9).to_string(),
            "unknown packet type 0x09"
        );
    }

    fn any_client() -> impl Strategy<Value = ClientPacket> {
        prop_oneof![
            "[a-zA-Z0-9]{0,40}".prop_map(|name| ClientPacket::Login { name }),
            Just(ClientPacket::List),
            ("[a-z]{0,20}", ".{0,80}").prop_map(|(to, text)| ClientPacket::SendTo { to, text }),
            Just(ClientPacket::Logout),
        ]
    }

    fn any_server() -> impl Strategy<Value = ServerPacket> {
        prop_oneof![
            proptest::collection::vec("[a-z]{0,20}", 0..10).prop_map(ServerPacket::List),
            (0u8..3).prop_map(|c| ServerPacket::Response(ResultCode::try_from(c).unwrap())),
            ("[a-z]{0,20}", ".{0,80}").prop_map(|(from, text)| ServerPacket::SendTo { from, text }),
        ]
    }

    /// Decodes one whole packet from `bytes`.
    fn frame(bytes: &mut BytesMut) -> (u8, Bytes) {
        match Decoder::new(DEFAULT_MAX_BODY).decode(bytes) {
            Some(Decoded::Packet { kind, body }) => (kind, body),
            other => panic!("expected a packet, got {other:?}"),
        }
    }

    proptest! {
        #[test]
        fn client_packets_round_trip(p in any_client()) {
            let mut buf = BytesMut::new();
            p.encode(&mut buf);
            let (kind, body) = frame(&mut buf);
            prop_assert_eq!(ClientPacket::parse(kind, &body), Ok(p));
            prop_assert!(buf.is_empty());
        }

        #[test]
        fn server_packets_round_trip(p in any_server()) {
            let mut buf = BytesMut::new();
            p.encode(&mut buf);
            let (kind, body) = frame(&mut buf);
            prop_assert_eq!(ServerPacket::parse(kind, &body), Ok(p));
        }

        #[test]
        fn parse_never_panics(kind in any::<u8>(), body in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = ClientPacket::parse(kind, &body);
            let _ = ServerPacket::parse(kind, &body);
        }

        #[test]
        fn arbitrary_chunks_never_panic(
            data in proptest::collection::vec(any::<u8>(), 0..400),
            cuts in proptest::collection::vec(0usize..400, 0..8),
            max in 0usize..64,
        ) {
            let mut d = Decoder::new(max);
            let mut buf = BytesMut::new();
            'feed: for piece in crate::chunks::pieces(&data, &cuts) {
                buf.extend_from_slice(piece);
                let mut rounds = 0;
                while let Some(decoded) = d.decode(&mut buf) {
                    match decoded {
                        // The caller closes here; so does this feed.
                        Decoded::TooLarge => break 'feed,
                        Decoded::Packet { body, .. } => prop_assert!(body.len() <= max),
                    }
                    rounds += 1;
                    prop_assert!(rounds <= data.len() + 1, "no progress");
                }
                prop_assert!(buf.len() < HEADER_LEN + max + data.len());
            }
        }
    }
}
