//! The packet protocol on the wire: type u8, body length u32 big-endian, body; its kinds,
//! results and fields, and the client's packet steps.

use super::Wire;
use crate::report::Failure;

/// Packet types of docs/protocols/packet.md.
pub mod kind {
    pub const LOGIN: u8 = 0x01;
    pub const LIST: u8 = 0x02;
    pub const SENDTO: u8 = 0x03;
    pub const LOGOUT: u8 = 0x04;
    pub const LIST_REPLY: u8 = 0x81;
    pub const RESPONSE: u8 = 0x82;
    pub const SENDTO_REPLY: u8 = 0x83;
}

/// RESPONSE results.
pub mod result {
    pub const OK: u8 = 0;
    pub const FAILURE: u8 = 1;
    pub const MALFORMED: u8 = 2;
}

/// A whole packet: header then body.
pub fn packet(kind: u8, body: &[u8]) -> Vec<u8> {
    let len = u32::try_from(body.len()).unwrap_or(u32::MAX);
    let mut out = vec![kind];
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(body);
    out
}

/// A name field: u8 length, then the bytes (longer input is cut to 255 bytes).
pub fn name_field(name: &[u8]) -> Vec<u8> {
    let name = &name[..name.len().min(255)];
    let mut out = vec![name.len() as u8];
    out.extend_from_slice(name);
    out
}

/// A text field: u32 big-endian length, then the bytes.
pub fn text_field(text: &[u8]) -> Vec<u8> {
    let len = u32::try_from(text.len()).unwrap_or(u32::MAX);
    let mut out = len.to_be_bytes().to_vec();
    out.extend_from_slice(text);
    out
}

/// The body of a LIST reply: u16 count, then the names.
pub fn list_body(names: &[&[u8]]) -> Vec<u8> {
    let count = u16::try_from(names.len()).unwrap_or(u16::MAX);
    let mut out = count.to_be_bytes().to_vec();
    for name in names {
        out.extend(name_field(name));
    }
    out
}

/// The names of a LIST reply's body; None when it is not one.
pub fn parse_list_body(body: &[u8]) -> Option<Vec<String>> {
    let (count, mut rest) = body.split_first_chunk::<2>()?;
    let mut names = Vec::new();
    for _ in 0..u16::from_be_bytes(*count) {
        let (len, tail) = rest.split_first()?;
        let name = tail.get(..usize::from(*len))?;
        names.push(String::from_utf8_lossy(name).into_owned());
        rest = &tail[usize::from(*len)..];
    }
    rest.is_empty().then_some(names)
}

/// The body of a sendto (client) or SENDTO (server) packet: name, then text.
pub fn sendto_body(name: &[u8], text: &[u8]) -> Vec<u8> {
    let mut out = name_field(name);
    out.extend(text_field(text));
    out
}

impl Wire {
    /// Sends one packet.
    pub async fn send_packet(&mut self, kind: u8, body: &[u8]) -> Result<(), Failure> {
        self.send(&packet(kind, body)).await
    }

    /// Expects exactly this packet.
    pub async fn expect_packet(&mut self, kind: u8, body: &[u8]) -> Result<(), Failure> {
        self.expect(&packet(kind, body)).await
    }

    /// Expects a RESPONSE with this result.
    pub async fn expect_response(&mut self, result: u8) -> Result<(), Failure> {
        self.expect_packet(kind::RESPONSE, &[result]).await
    }

    /// Expects a LIST reply with exactly these names, in this order.
    pub async fn expect_list(&mut self, names: &[&[u8]]) -> Result<(), Failure> {
        self.expect_packet(kind::LIST_REPLY, &list_body(names))
            .await
    }

    /// Reads one packet of any type; the body is capped at 1 MiB to stay bounded.
    pub async fn read_packet(&mut self) -> Result<(u8, Vec<u8>), Failure> {
        let header = self.read_exact(5).await?;
        let len = u32::from_be_bytes([header[1], header[2], header[3], header[4]]) as usize;
        if len > 1 << 20 {
            let step = format!(
                "{}: read a packet (body length {len} is absurd)",
                self.label
            );
            return Err(Failure::new(step, b"", &header));
        }
        let body = self.read_exact(len).await?;
        Ok((header[0], body))
    }
}
