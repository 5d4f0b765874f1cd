//! The `rooms` protocol (seed 003): newline-delimited lines of at most 1024 bytes (framed
//! by [`crate::line::LineDecoder`]). Owns the typed commands and every server line.

use crate::line::put_sanitized;
use bytes::BytesMut;
use std::fmt::Write as _;

/// The longest line a client may send, in bytes, not counting the `\n`.
pub const DEFAULT_MAX_LINE: usize = 1024;

/// One client line.
#[derive(Debug, PartialEq, Eq)]
pub enum Command<'a> {
    /// `/list`
    List,
    /// `/join ROOM` (argument `""` when missing)
    Join(&'a str),
    /// `/nick NAME` (argument `""` when missing)
    Nick(&'a str),
    /// `/who`
    Who,
    /// `/logout`
    Logout,
    /// Any other `/word`, as typed (`/foo`).
    Unknown(&'a str),
    /// Anything not starting with `/`, including an empty line.
    Chat(&'a str),
}

/// Parses one line. A command word matches case-insensitively; its argument is the rest
/// after the word with surrounding spaces trimmed. Arguments of `/list`, `/who` and
/// `/logout` are ignored.
pub fn parse(line: &str) -> Command<'_> {
    if !line.starts_with('/') {
        return Command::Chat(line);
    }
    let (word, rest) = line.split_once(' ').unwrap_or((line, ""));
    let arg = rest.trim_matches(' ');
    let is = |name: &str| word.eq_ignore_ascii_case(name);
    if is("/list") {
        Command::List
    } else if is("/join") {
        Command::Join(arg)
    } else if is("/nick") {
        Command::Nick(arg)
    } else if is("/who") {
        Command::Who
    } else if is("/logout") {
        Command::Logout
    } else {
        Command::Unknown(word)
    }
}

/// A server notice line, starting with `* `.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice<'a> {
    /// `* bob joined`
    Joined(&'a str),
    /// `* bob left`
    Left(&'a str),
    /// `* alice is now known as bob`
    Renamed { old: &'a str, new: &'a str },
    /// `* A (private): hi`
    Private { from: &'a str, text: &'a str },
    /// `* A (action): waves`, an IRC `/me`: a form of its own, so that no action text can
    /// read as a notice the server sends (`* A left`).
    Action { from: &'a str, text: &'a str },
    /// `* line over 1024 bytes dropped`
    LineTooLong(usize),
    /// `* join a room first: /join ROOM`
    JoinFirst,
    /// `* choose a nickname first: /nick NAME`
    NickFirst,
    /// `* line is not UTF-8, dropped`
    NotUtf8,
    /// `* unknown command /foo`
    UnknownCommand(&'a str),
    /// `* <text>`, e.g. `* server shutting down`
    Other(&'a str),
}

impl Notice<'_> {
    /// Appends the notice with its trailing `\n`; relayed text cannot break the line.
    pub fn render(&self, out: &mut BytesMut) {
        out.extend_from_slice(b"* ");
        match self {
            Notice::Joined(name) => put_parts(out, &[name, " joined"]),
            Notice::Left(name) => put_parts(out, &[name, " left"]),
            Notice::Renamed { old, new } => put_parts(out, &[old, " is now known as ", new]),
            Notice::Private { from, text } => put_parts(out, &[from, " (private): ", text]),
            Notice::Action { from, text } => put_parts(out, &[from, " (action): ", text]),
            Notice::LineTooLong(max) => {
                // Writing into a BytesMut cannot fail.
                let _ = write!(out, "line over {max} bytes dropped");
            }
            Notice::JoinFirst => put_parts(out, &["join a room first: /join ROOM"]),
            Notice::NickFirst => put_parts(out, &["choose a nickname first: /nick NAME"]),
            Notice::NotUtf8 => put_parts(out, &["line is not UTF-8, dropped"]),
            Notice::UnknownCommand(word) => put_parts(out, &["unknown command ", word]),
            Notice::Other(text) => put_parts(out, &[text]),
        }
        out.extend_from_slice(b"\n");
    }
}

/// Appends each part sanitized, so no part can end the line early.
fn put_parts(out: &mut BytesMut, parts: &[&str]) {
    for part in parts {
        put_sanitized(out, part);
    }
}

/// `NAME: text\n`, a chat line relayed to the room.
pub fn render_chat(from: &str, text: &str, out: &mut BytesMut) {
    put_parts(out, &[from, ": ", text]);
    out.extend_from_slice(b"\n");
}

/// `0\n`, `1\n` or `2\n`: the answer to `/join` and `/nick`.
pub fn render_code(code: u8, out: &mut BytesMut) {
    let _ = writeln!(out, "{code}");
}

/// `N\n` then one item per line: the answer to `/list` and `/who`.
pub fn render_list<'a>(items: impl ExactSizeIterator<Item = &'a str>, out: &mut BytesMut) {
    let _ = writeln!(out, "{}", items.len());
    for item in items {
        put_sanitized(out, item);
        out.extend_from_slice(b"\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn rendered(f: impl FnOnce(&mut BytesMut)) -> String {
        let mut out = BytesMut::new();
        f(&mut out);
        String::from_utf8(out.to_vec()).unwrap()
    }

    #[test]
    fn parses_commands() {
        assert_eq!(parse("/list"), Command::List);
        assert_eq!(parse("/LIST extra"), Command::List);
        assert_eq!(parse("/join  lobby "), Command::Join("lobby"));
        assert_eq!(parse("/join"), Command::Join(""));
        assert_eq!(parse("/Nick bob"), Command::Nick("bob"));
        assert_eq!(parse("/who"), Command::Who);
        assert_eq!(parse("/logout"), Command::Logout);
        assert_eq!(parse("/Foo bar"), Command::Unknown("/Foo"));
        assert_eq!(parse("/"), Command::Unknown("/"));
    }

    #[test]
    fn anything_else_is_chat() {
        assert_eq!(parse("hello /join"), Command::Chat("hello /join"));
        assert_eq!(parse(""), Command::Chat(""));
        assert_eq!(parse(" /list"), Command::Chat(" /list"));
    }

    #[test]
    fn renders_notices_exactly() {
        let cases: &[(Notice, &str)] = &[
            (Notice::Joined("bob"), "* bob joined\n"),
            (Notice::Left("bob"), "* bob left\n"),
            (
                Notice::Renamed {
                    old: "alice",
                    new: "bob",
                },
                "* alice is now known as bob\n",
            ),
            (
                Notice::Private {
                    from: "A",
                    text: "hi",
                },
                "* A (private): hi\n",
            ),
            (
                Notice::Action {
                    from: "A",
                    text: "left",
                },
                "* A (action): left\n",
            ),
            (
                Notice::LineTooLong(1024),
                "* line over 1024 bytes dropped\n",
            ),
            (Notice::JoinFirst, "* join a room first: /join ROOM\n"),
            (Notice::NickFirst, "* choose a nickname first: /nick NAME\n"),
            (Notice::NotUtf8, "* line is not UTF-8, dropped\n"),
            (Notice::UnknownCommand("/foo"), "* unknown command /foo\n"),
            (
                Notice::Other("server shutting down"),
                "* server shutting down\n",
            ),
        ];
        for (notice, text) in cases {
            assert_eq!(rendered(|o| notice.render(o)), *text);
        }
    }

    #[test]
    fn renders_chat_codes_and_lists() {
        assert_eq!(
            rendered(|o| render_chat("bob", "hi there", o)),
            "bob: hi there\n"
        );
        assert_eq!(rendered(|o| render_chat("A", "x\ny\r\n", o)), "A: x y\n");
        assert_eq!(rendered(|o| render_code(2, o)), "2\n");
        assert_eq!(
            rendered(|o| render_list(["a", "b"].into_iter(), o)),
            "2\na\nb\n"
        );
        assert_eq!(rendered(|o| render_list(std::iter::empty(), o)), "0\n");
    }

    proptest! {
        #[test]
        fn parse_never_panics(line in ".{0,60}") {
            let _ = parse(&line);
        }

        #[test]
        fn relayed_text_stays_one_line(text in ".{0,60}") {
            let out = rendered(|o| render_chat("A", &text, o));
            prop_assert_eq!(out.matches('\n').count(), 1);
            prop_assert!(out.ends_with('\n'));
        }
    }
}
