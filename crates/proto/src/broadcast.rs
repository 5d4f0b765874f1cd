//! The `broadcast` protocol (seed 004): the first line is the name, then every line is
//! said to everyone; lines of at most 4096 bytes. Owns the input parse and every server
//! line, each ending in `\n`.

use crate::line::put_sanitized;
use bytes::BytesMut;
use std::fmt::Write as _;

/// The longest line a client may send, in bytes, not counting the `\n`.
pub const DEFAULT_MAX_LINE: usize = 4096;

/// One client line after the name.
#[derive(Debug, PartialEq, Eq)]
pub enum Input<'a> {
    /// `bye` alone on the line, any case, surrounding whitespace ignored.
    Bye,
    /// Anything else, relayed as typed.
    Text(&'a str),
}

/// Parses one line after the name.
pub fn parse(line: &str) -> Input<'_> {
    if line.trim().eq_ignore_ascii_case("bye") {
        Input::Bye
    } else {
        Input::Text(line)
    }
}

/// A line the server sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerLine<'a> {
    /// `Welcome to the chat. Enter 'bye' anytime to exit.`
    Welcome,
    /// `Username already taken!`
    Taken,
    /// `Username not allowed!`
    NotAllowed,
    /// `NAME joined the conversation`
    Joined(&'a str),
    /// `NAME left the conversation`
    Left(&'a str),
    /// `NAME left the conversation unexpectedly`
    LeftUnexpectedly(&'a str),
    /// `NAME: text`
    Said { from: &'a str, text: &'a str },
    /// `* A (private): hi`
    Private { from: &'a str, text: &'a str },
    /// `* A (action): waves`, an IRC `/me`: a form of its own, so that no action text can
    /// read as a line the server sends (`A left the conversation`).
    Action { from: &'a str, text: &'a str },
    /// `alice is now known as bob`
    Renamed { old: &'a str, new: &'a str },
    /// `Message not sent: too long (4096 bytes at most).`
    TooLong(usize),
    /// `Message not sent: not UTF-8.`
    NotUtf8,
    /// Free text as given, e.g. `Server shutting down`.
    Notice(&'a str),
}

impl ServerLine<'_> {
    /// Appends the line with its trailing `\n`; relayed text cannot break the line.
    pub fn render(&self, out: &mut BytesMut) {
        match self {
            ServerLine::Welcome => put(out, &["Welcome to the chat. Enter 'bye' anytime to exit."]),
            ServerLine::Taken => put(out, &["Username already taken!"]),
            ServerLine::NotAllowed => put(out, &["Username not allowed!"]),
            ServerLine::Joined(name) => put(out, &[name, " joined the conversation"]),
            ServerLine::Left(name) => put(out, &[name, " left the conversation"]),
            ServerLine::LeftUnexpectedly(name) => {
                put(out, &[name, " left the conversation unexpectedly"])
            }
            ServerLine::Said { from, text } => put(out, &[from, ": ", text]),
            ServerLine::Private { from, text } => put(out, &["* ", from, " (private): ", text]),
            ServerLine::Action { from, text } => put(out, &["* ", from, " (action): ", text]),
            ServerLine::Renamed { old, new } => put(out, &[old, " is now known as ", new]),
            ServerLine::TooLong(max) => {
                // Writing into a BytesMut cannot fail.
                let _ = write!(out, "Message not sent: too long ({max} bytes at most).");
            }
            ServerLine::NotUtf8 => put(out, &["Message not sent: not UTF-8."]),
            ServerLine::Notice(text) => put(out, &[text]),
        }
        out.extend_from_slice(b"\n");
    }
}

/// Appends each part sanitized, so no part can end the line early.
fn put(out: &mut BytesMut, parts: &[&str]) {
    for part in parts {
        put_sanitized(out, part);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn rendered(line: ServerLine) -> String {
        let mut out = BytesMut::new();
        line.render(&mut out);
        String::from_utf8(out.to_vec()).unwrap()
    }

    #[test]
    fn parses_bye_in_any_case() {
        assert_eq!(parse("bye"), Input::Bye);
        assert_eq!(parse("  ByE "), Input::Bye);
        assert_eq!(parse("bye now"), Input::Text("bye now"));
        assert_eq!(parse(""), Input::Text(""));
    }

    #[test]
    fn renders_lines_exactly() {
        let cases: &[(ServerLine, &str)] = &[
            (
                ServerLine::Welcome,
                "Welcome to the chat. Enter 'bye' anytime to exit.\n",
            ),
            (ServerLine::Taken, "Username already taken!\n"),
            (ServerLine::NotAllowed, "Username not allowed!\n"),
            (ServerLine::Joined("bob"), "bob joined the conversation\n"),
            (ServerLine::Left("bob"), "bob left the conversation\n"),
            (
                ServerLine::LeftUnexpectedly("bob"),
                "bob left the conversation unexpectedly\n",
            ),
            (
                ServerLine::Said {
                    from: "bob",
                    text: "hi",
                },
                "bob: hi\n",
            ),
            (
                ServerLine::Private {
                    from: "A",
                    text: "hi",
                },
                "* A (private): hi\n",
            ),
            (
                ServerLine::Action {
                    from: "A",
                    text: "left the conversation",
                },
                "* A (action): left the conversation\n",
            ),
            (
                ServerLine::Renamed {
                    old: "alice",
                    new: "bob",
                },
                "alice is now known as bob\n",
            ),
            (
                ServerLine::TooLong(4096),
                "Message not sent: too long (4096 bytes at most).\n",
            ),
            (ServerLine::NotUtf8, "Message not sent: not UTF-8.\n"),
            (
                ServerLine::Notice("Server shutting down"),
                "Server shutting down\n",
            ),
        ];
        for (line, text) in cases {
            assert_eq!(rendered(line.clone()), *text);
        }
    }

    #[test]
    fn relayed_breaks_become_spaces() {
        let line = ServerLine::Said {
            from: "A",
            text: "x\ry\0z\n",
        };
        assert_eq!(rendered(line), "A: x y z\n");
    }

    proptest! {
        #[test]
        fn parse_never_panics(line in ".{0,60}") {
            let _ = parse(&line);
        }

        #[test]
        fn said_stays_one_line(text in ".{0,60}") {
            let out = rendered(ServerLine::Said { from: "A", text: &text });
            prop_assert_eq!(out.matches('\n').count(), 1);
        }
    }
}
