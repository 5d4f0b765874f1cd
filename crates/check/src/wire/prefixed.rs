//! The prefixed protocol on the wire: an ASCII decimal length of 2 or 4 digits, then the
//! payload; how the server must split a long reply; and the client's frame steps.

use super::Wire;
use crate::report::Failure;

/// One frame: `payload`'s length zero-padded to `width` digits, then `payload`.
pub fn frame(width: usize, payload: &[u8]) -> Vec<u8> {
    let mut out = format!("{:0width$}", payload.len()).into_bytes();
    out.extend_from_slice(payload);
    out
}

/// How the server must frame `reply`: split when longer than the width allows, each
/// split after the last space that fits, else at a UTF-8 character boundary.
pub fn framed_reply(width: usize, reply: &[u8]) -> Vec<u8> {
    let max = 10usize.pow(u32::try_from(width).unwrap_or(2)) - 1;
    let mut out = Vec::new();
    let mut rest = reply;
    while rest.len() > max {
        let window = &rest[..max];
        let cut = match window.iter().rposition(|&b| b == b' ') {
            Some(space) => space + 1,
            None => {
                // Back off over UTF-8 continuation bytes to a character start.
                let mut cut = max;
                while cut > 0 && rest[cut] & 0xC0 == 0x80 {
                    cut -= 1;
                }
                if cut == 0 {
                    max
                } else {
                    cut
                }
            }
        };
        out.extend(frame(width, &rest[..cut]));
        rest = &rest[cut..];
    }
    out.extend(frame(width, rest));
    out
}

impl Wire {
    /// Sends one prefixed frame.
    pub async fn send_frame(&mut self, width: usize, payload: &[u8]) -> Result<(), Failure> {
        self.send(&frame(width, payload)).await
    }

    /// Expects one prefixed frame carrying exactly `payload`.
    pub async fn expect_frame(&mut self, width: usize, payload: &[u8]) -> Result<(), Failure> {
        self.expect(&frame(width, payload)).await
    }

    /// Expects `reply`, split into several frames if it is too long for the width.
    pub async fn expect_reply(&mut self, width: usize, reply: &[u8]) -> Result<(), Failure> {
        self.expect(&framed_reply(width, reply)).await
    }

    /// Reads one prefixed frame and returns its payload.
    pub async fn read_frame(&mut self, width: usize) -> Result<Vec<u8>, Failure> {
        let field = self.read_exact(width).await?;
        let len = std::str::from_utf8(&field)
            .ok()
            .and_then(|s| s.parse::<usize>().ok());
        let Some(len) = len else {
            let step = format!("{}: read a length field of {width} digits", self.label);
            return Err(Failure::new(step, b"", &field));
        };
        self.read_exact(len).await
    }
}
