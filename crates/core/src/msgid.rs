//! Message ids unique across restarts and nodes, and the clock-driven counter that makes
//! them.
//!
//! A [`MsgId`] is 128 bits, big-endian: 48 bits of Unix milliseconds, 16 bits of node id,
//! 64 bits of counter within that millisecond. Comparing ids (or their bytes) orders them by
//! time, so history can be paged by msgid. Written as 26 characters of Crockford base32,
//! the form of a ULID, which IRC carries in its `msgid` tag.

use std::fmt;
use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

/// One event's id: see the module docs for the layout.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct MsgId(u128);

/// Crockford's base32 alphabet (no I, L, O, U).
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Characters in the written form: 26 × 5 bits ≥ 128.
pub const MSGID_LEN: usize = 26;

impl MsgId {
    /// The id made of its three parts.
    pub const fn new(millis: u64, node: u16, counter: u64) -> MsgId {
        let millis = (millis & 0xFFFF_FFFF_FFFF) as u128;
        MsgId(millis << 80 | (node as u128) << 64 | counter as u128)
    }

    pub const fn from_bytes(bytes: [u8; 16]) -> MsgId {
        MsgId(u128::from_be_bytes(bytes))
    }

    /// Big-endian bytes: their order is the ids' order.
    pub const fn to_bytes(self) -> [u8; 16] {
        self.0.to_be_bytes()
    }

    /// Unix milliseconds when the id was made.
    pub const fn millis(self) -> u64 {
        (self.0 >> 80) as u64
    }

    /// The node that made it.
    pub const fn node(self) -> u16 {
        (self.0 >> 64) as u16
    }

    pub const fn counter(self) -> u64 {
        self.0 as u64
    }
}

impl fmt::Display for MsgId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut text = [0u8; MSGID_LEN];
        for (i, slot) in text.iter_mut().enumerate() {
            let shift = 5 * (MSGID_LEN - 1 - i);
            *slot = ALPHABET[((self.0 >> shift) & 31) as usize];
        }
        // Every byte comes from the ASCII alphabet above.
        f.write_str(std::str::from_utf8(&text).map_err(|_| fmt::Error)?)
    }
}

impl fmt::Debug for MsgId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MsgId({self})")
    }
}

/// A string that is not 26 characters of Crockford base32 within 128 bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a message id")]
pub struct BadMsgId;

impl FromStr for MsgId {
    type Err = BadMsgId;

    fn from_str(s: &str) -> Result<MsgId, BadMsgId> {
        if s.len() != MSGID_LEN {
            return Err(BadMsgId);
        }
        let mut value: u128 = 0;
        for (i, c) in s.bytes().enumerate() {
            let digit = ALPHABET
                .iter()
                .position(|&a| a == c.to_ascii_uppercase())
                .ok_or(BadMsgId)? as u128;
            // The first character holds only the top 3 bits (130 - 128 = 2 spare).
            if i == 0 && digit > 7 {
                return Err(BadMsgId);
            }
            value = value << 5 | digit;
        }
        Ok(MsgId(value))
    }
}

/// Written as its 26 characters where people read the format (JSON), as its 16 bytes
/// elsewhere (not every format has 128-bit numbers).
impl serde::Serialize for MsgId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            serializer.collect_str(self)
        } else {
            serializer.serialize_bytes(&self.to_bytes())
        }
    }
}

impl<'de> serde::Deserialize<'de> for MsgId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        if deserializer.is_human_readable() {
            let text = std::borrow::Cow::<str>::deserialize(deserializer)?;
            text.parse().map_err(D::Error::custom)
        } else {
            let bytes = serde_bytes_16(deserializer)?;
            Ok(MsgId::from_bytes(bytes))
        }
    }
}

/// Reads exactly 16 bytes, given as bytes or as a sequence.
fn serde_bytes_16<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<[u8; 16], D::Error> {
    struct Sixteen;
    impl<'de> serde::de::Visitor<'de> for Sixteen {
        type Value = [u8; 16];
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("16 bytes of message id")
        }
        fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<[u8; 16], E> {
            v.try_into().map_err(|_| E::invalid_length(v.len(), &self))
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<[u8; 16], A::Error> {
            let mut bytes = [0u8; 16];
            for (i, slot) in bytes.iter_mut().enumerate() {
                *slot = seq
                    .next_element()?
                    .ok_or_else(|| serde::de::Error::invalid_length(i, &self))?;
            }
            Ok(bytes)
        }
    }
    deserializer.deserialize_bytes(Sixteen)
}

/// Makes this node's ids: strictly increasing, even when the clock steps back.
#[derive(Debug, Clone)]
pub struct MsgIds {
    node: u16,
    last: MsgId,
}

impl Default for MsgIds {
    fn default() -> Self {
        MsgIds::new(0)
    }
}

impl MsgIds {
    pub fn new(node: u16) -> MsgIds {
        MsgIds {
            node,
            last: MsgId::new(0, node, 0),
        }
    }

    pub fn node(&self) -> u16 {
        self.node
    }

    /// Never gives an id at or below `id` (the newest one stored before a restart), so
    /// ids stay unique and increasing across restarts whatever the clock did meanwhile.
    pub fn resume_after(&mut self, id: MsgId) {
        if id.millis() > self.last.millis()
            || (id.millis() == self.last.millis() && id.counter() > self.last.counter())
        {
            self.last = MsgId::new(id.millis(), self.node, id.counter());
        }
    }

    /// The next id at `now`.
    pub fn next_at(&mut self, now: SystemTime) -> MsgId {
        let millis = now
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        self.last = if millis > self.last.millis() {
            MsgId::new(millis, self.node, 0)
        } else {
            MsgId::new(self.last.millis(), self.node, self.last.counter() + 1)
        };
        self.last
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn the_parts_come_back_out_and_order_follows_time_then_node_then_counter() {
        let id = MsgId::new(1_700_000_000_123, 7, 42);
        assert_eq!(
            (id.millis(), id.node(), id.counter()),
            (1_700_000_000_123, 7, 42)
        );
        assert!(MsgId::new(1, 0, 9) < MsgId::new(2, 0, 0));
        assert!(MsgId::new(2, 1, 0) < MsgId::new(2, 2, 0));
        assert!(id.to_bytes() < MsgId::new(1_700_000_000_124, 0, 0).to_bytes());
        assert_eq!(MsgId::from_bytes(id.to_bytes()), id);
    }

    #[test]
    fn written_as_26_crockford_characters_and_read_back() {
        assert_eq!(MsgId::default().to_string(), "0".repeat(26));
        let id = MsgId::new(1_700_000_000_123, 7, 42);
        let text = id.to_string();
        assert_eq!(text, "01HF7YAT3V003G00000000001A");
        assert_eq!(text.parse(), Ok(id));
        assert_eq!(text.to_lowercase().parse(), Ok(id));
        assert_eq!(MsgId(u128::MAX).to_string(), "7ZZZZZZZZZZZZZZZZZZZZZZZZZ");
        assert_eq!("8ZZZZZZZZZZZZZZZZZZZZZZZZZ".parse::<MsgId>(), Err(BadMsgId));
        assert_eq!("01HF7YAT3V003G0000000000IL".parse::<MsgId>(), Err(BadMsgId));
        assert_eq!("42".parse::<MsgId>(), Err(BadMsgId));
    }

    #[test]
    fn ids_increase_within_a_millisecond_and_when_the_clock_steps_back() {
        let mut ids = MsgIds::new(3);
        let t = UNIX_EPOCH + Duration::from_millis(5_000);
        let a = ids.next_at(t);
        let b = ids.next_at(t);
        let c = ids.next_at(t - Duration::from_secs(1));
        let d = ids.next_at(t + Duration::from_millis(1));
        assert_eq!(a, MsgId::new(5_000, 3, 0));
        assert_eq!(b, MsgId::new(5_000, 3, 1));
        assert_eq!(c, MsgId::new(5_000, 3, 2));
        assert_eq!(d, MsgId::new(5_001, 3, 0));
    }

    #[test]
    fn a_restart_resumes_after_the_newest_stored_id() {
        let mut ids = MsgIds::new(1);
        ids.resume_after(MsgId::new(9_000, 1, 4));
        let earlier_clock = UNIX_EPOCH + Duration::from_millis(8_000);
        assert_eq!(ids.next_at(earlier_clock), MsgId::new(9_000, 1, 5));
        // An older stored id changes nothing.
        ids.resume_after(MsgId::new(10, 1, 0));
        assert_eq!(ids.next_at(earlier_clock), MsgId::new(9_000, 1, 6));
    }
}
