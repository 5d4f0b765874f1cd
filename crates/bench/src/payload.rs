//! The text every benchmark message carries: `cbm:SENDER:SEQ:NANOS` then padding, so a
//! receiver on any protocol finds who sent it, its place in the sender's sequence and
//! when it left (nanoseconds since the run's shared epoch), wherever the server put it.

use std::fmt::Write as _;

/// Starts the stamp; chosen so that no name, numeric or notice can contain it.
pub const MARKER: &[u8] = b"cbm:";

/// What one message says about itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    pub sender: u32,
    pub seq: u64,
    pub sent_ns: u64,
}

/// Appends `stamp` as text, padded with `x` after a space up to `size` bytes (a stamp
/// longer than `size` is written whole).
pub fn encode(stamp: Stamp, size: usize, out: &mut String) {
    let start = out.len();
    // Writing into a String cannot fail.
    let _ = write!(out, "cbm:{}:{}:{}", stamp.sender, stamp.seq, stamp.sent_ns);
    let used = out.len() - start;
    if used + 1 < size {
        out.push(' ');
        out.extend(std::iter::repeat_n('x', size - used - 1));
    }
}

/// Finds and parses the stamp anywhere in `text` (a whole line or frame as received).
pub fn find(text: &[u8]) -> Option<Stamp> {
    let at = text.windows(MARKER.len()).position(|w| w == MARKER)?;
    let mut fields = text[at + MARKER.len()..]
        .split(|&b| b == b' ' || b == b'\r' || b == b'\n')
        .next()?
        .split(|&b| b == b':');
    let sender = number(fields.next()?)?;
    let seq = number(fields.next()?)?;
    let sent_ns = number(fields.next()?)?;
    if fields.next().is_some() {
        return None;
    }
    Some(Stamp {
        sender: u32::try_from(sender).ok()?,
        seq,
        sent_ns,
    })
}

/// A non-empty run of ASCII digits that fits a u64.
fn number(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || digits.len() > 20 {
        return None;
    }
    digits.iter().try_fold(0u64, |n, &d| {
        if d.is_ascii_digit() {
            n.checked_mul(10)?.checked_add(u64::from(d - b'0'))
        } else {
            None
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const STAMP: Stamp = Stamp {
        sender: 7,
        seq: 42,
        sent_ns: 1_234_567_890,
    };

    #[test]
    fn encodes_and_pads_to_the_size() {
        let mut text = String::new();
        encode(STAMP, 32, &mut text);
        assert_eq!(text, "cbm:7:42:1234567890 xxxxxxxxxxxx");
        assert_eq!(text.len(), 32);
        // Too small a size: the stamp is whole, never cut.
        let mut short = String::new();
        encode(STAMP, 4, &mut short);
        assert_eq!(short, "cbm:7:42:1234567890");
    }

    #[test]
    fn finds_the_stamp_in_every_protocol_s_rendering() {
        let mut text = String::new();
        encode(STAMP, 40, &mut text);
        for line in [
            format!(":bab0!u@h PRIVMSG #lobby :{text}"),
            format!("bab0: {text}"),
            format!("bab0 sent {text}"),
            format!("* bab0 (private): {text}"),
            "cbm:7:42:1234567890".to_owned(),
            "cbm:7:42:1234567890\r".to_owned(),
        ] {
            assert_eq!(find(line.as_bytes()), Some(STAMP), "{line}");
        }
    }

    #[test]
    fn refuses_broken_stamps() {
        for bad in [
            "no stamp here",
            "cbm:7:42",
            "cbm:7:42:",
            "cbm:7:x:9",
            "cbm:7:42:9:1",
            "cbm:99999999999:1:1",
            "cbm:1:1:123456789012345678901234",
        ] {
            assert_eq!(find(bad.as_bytes()), None, "{bad}");
        }
    }
}
