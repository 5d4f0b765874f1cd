//! What nodes say to each other on the cluster's channel, and its bytes: MessagePack, with
//! field names (so a field one node version adds reads as its default on another), of
//! an [`Envelope`], made from the hub's events themselves (never re-parsed from any
//! protocol's bytes). Whatever arrives is checked before it is believed: an oversized or
//! malformed payload is refused with an error the link logs and counts.

use std::sync::Arc;

use confab_core::hub::NodeSnapshot;
use confab_core::Event;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::records::Record;

/// The largest payload a node reads (a snapshot part of a few hundred users is well
/// under it; an event batch is one verb's events).
pub const MAX_PAYLOAD: usize = 4 << 20;

/// One message on the channel: who sent it, which of its runs (a restarted node with the
/// same id starts a new one), its place in that node's sequence, and what it says.
#[derive(Debug, Serialize, Deserialize)]
pub struct Envelope {
    pub node: u16,
    pub run: u64,
    /// 1, 2, 3... per node and run: a missing number is a message Redis pub/sub dropped.
    pub seq: u64,
    pub body: Body,
}

#[derive(Debug, Serialize, Deserialize)]
pub enum Body {
    /// Events the node's hub made, in its order (one verb's worth).
    Events(Vec<WireEvent>),
    /// The node (re)joined the channel: every other node answers with its snapshot.
    Hello,
    /// Part of the node's snapshot; the receiver applies the parts together at `last`.
    Snapshot { last: bool, part: NodeSnapshot },
    /// The node is stopping: its users are gone, its names free.
    Goodbye,
    /// Accounts and bans changed on the node (or pushed by it as it reconciled), each
    /// newer than what Redis held: every other node takes those newer than its own.
    Records(Vec<Record>),
}

/// An event as it crosses: [`Event::serialize`] and [`Event::deserialize`], which keep its
/// id and time and leave its render cache behind.
#[derive(Debug, Clone)]
pub struct WireEvent(pub Arc<Event>);

impl Serialize for WireEvent {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for WireEvent {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<WireEvent, D::Error> {
        Event::deserialize(deserializer).map(WireEvent)
    }
}

/// Why a payload was refused.
#[derive(Debug, thiserror::Error)]
pub enum WireError {
    #[error("payload of {0} bytes is over the limit of {MAX_PAYLOAD}")]
    TooLarge(usize),
    #[error("malformed payload: {0}")]
    Malformed(#[from] rmp_serde::decode::Error),
}

impl Envelope {
    /// The envelope's bytes.
    pub fn encode(&self) -> Vec<u8> {
        // Only a serializer failing on a type it was made for could fail here: events,
        // names and snapshots are plain data.
        rmp_serde::to_vec_named(self).unwrap_or_default()
    }

    /// Reads an envelope, refusing what is too large or not one.
    pub fn decode(payload: &[u8]) -> Result<Envelope, WireError> {
        if payload.len() > MAX_PAYLOAD {
            return Err(WireError::TooLarge(payload.len()));
        }
        Ok(rmp_serde::from_slice(payload)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use confab_core::{EventKind, MsgId, Name, Peer, Text, Tone};

    fn said() -> Arc<Event> {
        let kind = EventKind::Said {
            room: Name::parse("c", 32).unwrap(),
            from: Peer::classroom(Name::parse("amy", 32).unwrap(), "rooms"),
            text: Text::new("hi"),
            tone: Tone::Chat,
            client_tags: None,
            lines: None,
            rank: None,
        };
        Event::new(MsgId::new(1_700_000_000_000, 3, 7), None, kind)
    }

    #[test]
    fn an_event_crosses_with_its_id_time_and_kind() {
        let event = said();
        let sent = Envelope {
            node: 3,
            run: 99,
            seq: 12,
            body: Body::Events(vec![WireEvent(event.clone())]),
        };
        let read = Envelope::decode(&sent.encode()).unwrap();
        assert_eq!((read.node, read.run, read.seq), (3, 99, 12));
        let Body::Events(events) = read.body else {
            panic!("not events");
        };
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].0.msgid(), event.msgid());
        assert_eq!(events[0].0.at(), event.at());
        assert_eq!(events[0].0.kind(), event.kind());
    }

    #[test]
    fn accounts_and_bans_cross_as_records_and_a_bad_one_reads_but_fails_its_check() {
        use crate::records::{AccountRecord, RecordError};
        let amy = AccountRecord {
            key: "amy".into(),
            name: "Amy".into(),
            hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
            created_ms: 1,
            oper: false,
            updated_ms: 2,
            deleted: false,
        };
        let plain = AccountRecord {
            hash: "sesame".into(),
            ..amy.clone()
        };
        let sent = Envelope {
            node: 2,
            run: 1,
            seq: 3,
            body: Body::Records(vec![Record::Account(amy.clone()), Record::Account(plain)]),
        };
        let Body::Records(read) = Envelope::decode(&sent.encode()).unwrap().body else {
            panic!("not records");
        };
        assert_eq!(read[0], Record::Account(amy));
        assert_eq!(read[0].check(), Ok(()));
        // A password that is not a PHC hash is never believed.
        assert_eq!(read[1].check(), Err(RecordError::Bad("hash")));
    }

    #[test]
    fn garbage_and_oversized_payloads_are_refused() {
        assert!(matches!(
            Envelope::decode(b"\xc1 not msgpack"),
            Err(WireError::Malformed(_))
        ));
        assert!(matches!(
            Envelope::decode(&[]),
            Err(WireError::Malformed(_))
        ));
        let huge = vec![0u8; MAX_PAYLOAD + 1];
        assert!(matches!(
            Envelope::decode(&huge),
            Err(WireError::TooLarge(n)) if n == MAX_PAYLOAD + 1
        ));
        // A well-formed envelope cut short is malformed, not a panic.
        let bytes = Envelope {
            node: 1,
            run: 1,
            seq: 1,
            body: Body::Hello,
        }
        .encode();
        assert!(Envelope::decode(&bytes[..bytes.len() - 1]).is_err());
    }

    proptest::proptest! {
        /// Whatever arrives on the channel, decoding answers: an envelope or an error.
        #[test]
        fn any_bytes_decode_to_an_envelope_or_an_error(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            let _ = Envelope::decode(&bytes);
        }

        /// An envelope cut anywhere, or with any byte changed, never panics the reader.
        #[test]
        fn damaged_envelopes_are_refused_not_a_panic(cut in 0usize..200, at in 0usize..200, byte in proptest::num::u8::ANY) {
            let mut bytes = Envelope {
                node: 2,
                run: 7,
                seq: 9,
                body: Body::Events(vec![WireEvent(said())]),
            }
            .encode();
            if at < bytes.len() {
                bytes[at] = byte;
            }
            bytes.truncate(cut.min(bytes.len()));
            let _ = Envelope::decode(&bytes);
        }
    }
}
