//! The line protocols (rooms and broadcast) on the wire: a line and its newline.

use super::Wire;
use crate::report::Failure;

impl Wire {
    /// Sends `line` followed by `\n`.
    pub async fn send_line(&mut self, line: &[u8]) -> Result<(), Failure> {
        let mut bytes = line.to_vec();
        bytes.push(b'\n');
        self.send(&bytes).await
    }

    /// Expects exactly `line` followed by `\n`.
    pub async fn expect_line(&mut self, line: &[u8]) -> Result<(), Failure> {
        let mut bytes = line.to_vec();
        bytes.push(b'\n');
        self.expect(&bytes).await
    }
}
