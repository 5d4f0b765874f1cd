//! Relayed text: valid UTF-8 that can never forge a line in someone else's stream.
//!
//! Text is cleaned once, when it enters the core, so every protocol's renderer can trust it
//! (docs/protocols/common.md): trailing CR/LF are stripped, any other CR, LF or NUL
//! becomes a space.

use std::fmt;
use std::sync::Arc;

/// Text that crossed into the core: UTF-8, with no CR, LF or NUL inside.
#[derive(Clone, PartialEq, Eq)]
pub struct Text(Arc<str>);

/// The bytes of a message were not UTF-8.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("text is not UTF-8")]
pub struct NotUtf8;

impl Text {
    /// Cleans `raw`, refusing it when it is not UTF-8.
    pub fn from_bytes(raw: &[u8]) -> Result<Text, NotUtf8> {
        let text = std::str::from_utf8(raw).map_err(|_| NotUtf8)?;
        Ok(Text::new(text))
    }

    /// Cleans `text`: strips trailing CR/LF and turns inner CR, LF and NUL into spaces.
    pub fn new(text: &str) -> Text {
        let trimmed = text.trim_end_matches(['\r', '\n']);
        if trimmed.bytes().any(is_line_breaking) {
            let cleaned: String = trimmed
                .chars()
                .map(|c| {
                    if matches!(c, '\r' | '\n' | '\0') {
                        ' '
                    } else {
                        c
                    }
                })
                .collect();
            Text(Arc::from(cleaned))
        } else {
            Text(Arc::from(trimmed))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl serde::Serialize for Text {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// Text read back is cleaned again: a stored or remote event cannot forge a line either.
impl<'de> serde::Deserialize<'de> for Text {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<str>::deserialize(deserializer)?;
        Ok(Text::new(&text))
    }
}

fn is_line_breaking(b: u8) -> bool {
    matches!(b, b'\r' | b'\n' | 0)
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_trailing_line_ends() {
        assert_eq!(Text::new("hi\r\n").as_str(), "hi");
        assert_eq!(Text::new("hi\n\n").as_str(), "hi");
        assert_eq!(Text::new("hi").as_str(), "hi");
    }

    #[test]
    fn inner_breaks_become_spaces_so_no_line_can_be_forged() {
        assert_eq!(Text::new("a\r\nPRIVMSG x\0y\n").as_str(), "a  PRIVMSG x y");
    }

    #[test]
    fn refuses_invalid_utf8() {
        assert_eq!(Text::from_bytes(b"\xff\xfe"), Err(NotUtf8));
        assert_eq!(
            Text::from_bytes("héllo".as_bytes()).unwrap().as_str(),
            "héllo"
        );
    }
}
