//! One IRC line as a [`Message`] borrowing from the buffer, and the renderer that writes
//! one back: the two halves of the wire format in one place, so they cannot drift apart.
//!
//! Grammar (Modern IRC, "Message format"):
//! `['@' tags SPACE] [':' source SPACE] command *(SPACE middle) [SPACE ':' trailing]`,
//! where parts are separated by one or more spaces.

use super::tags::Tags;
use super::{MAX_LINE, MAX_TAGS};
use crate::line::put_sanitized;
use bytes::BytesMut;
use std::borrow::Cow;

/// Why a line is not a message. Each has an answer in the protocol: an `Empty` line is
/// ignored (Modern IRC), `TagsTooLong` is `417 ERR_INPUTTOOLONG`, the rest are dropped or
/// answered as the server sees fit; none ends the connection by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("empty line")]
    Empty,
    #[error("line is not valid UTF-8")]
    NotUtf8,
    /// A NUL, or a CR or LF left inside the line. Like ergo, the line is refused rather
    /// than guessed at.
    #[error("line contains NUL, CR or LF")]
    ForbiddenByte,
    /// Tags or a source with nothing after them (`@a=b`, `:nick`).
    #[error("line has no command")]
    NoCommand,
    /// The `@tags ` section is longer than [`MAX_TAGS`].
    #[error("tags longer than {MAX_TAGS} bytes")]
    TagsTooLong,
}

/// One parsed line. Everything borrows from the line it was parsed from.
///
/// Parameters: like ergo (irc-go `ircmsg`) and as Modern IRC requires of parsers, any
/// number is kept, each as sent; none are merged or refused past the 15 of RFC 1459
/// ([`MAX_PARAMS`](super::MAX_PARAMS)). Their count is bounded by the line length, which
/// the [`Decoder`](super::Decoder) bounds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message<'a> {
    /// The raw tags section, without the `@` and the space; read it with [`Self::tags`].
    pub tags: Option<&'a str>,
    /// The source (prefix) without its `:`; may be empty if the line had a bare `: `.
    pub source: Option<&'a str>,
    /// The command as sent (any case); compare it with [`Self::is`].
    pub command: &'a str,
    /// Middle parameters, then the trailing one (without its `:`) if any.
    pub params: Vec<&'a str>,
}

impl<'a> Message<'a> {
    /// Parses one line without its CRLF. Leading spaces, runs of spaces between parts and
    /// trailing spaces are tolerated; `PRIVMSG #a :` has an empty last parameter. The
    /// length of the part after the tags is not checked here: see
    /// [`is_input_too_long`](super::is_input_too_long).
    pub fn parse(line: &'a [u8]) -> Result<Message<'a>, ParseError> {
        if line.iter().all(|&b| b == b' ') {
            return Err(ParseError::Empty);
        }
        let line = std::str::from_utf8(line).map_err(|_| ParseError::NotUtf8)?;
        if line.contains(['\0', '\r', '\n']) {
            return Err(ParseError::ForbiddenByte);
        }
        let mut rest = line;
        let mut tags = None;
        if let Some(after) = rest.strip_prefix('@') {
            let end = after.find(' ').unwrap_or(after.len());
            if end + 2 > MAX_TAGS {
                return Err(ParseError::TagsTooLong);
            }
            let (raw, tail) = after.split_once(' ').ok_or(ParseError::NoCommand)?;
            tags = Some(raw);
            rest = tail;
        }
        rest = rest.trim_start_matches(' ');
        let mut source = None;
        if let Some(after) = rest.strip_prefix(':') {
            let (raw, tail) = after.split_once(' ').ok_or(ParseError::NoCommand)?;
            source = Some(raw);
            rest = tail.trim_start_matches(' ');
        }
        let (command, mut rest) = rest.split_once(' ').unwrap_or((rest, ""));
        if command.is_empty() {
            return Err(ParseError::NoCommand);
        }
        let mut params = Vec::new();
        loop {
            rest = rest.trim_start_matches(' ');
            if rest.is_empty() {
                break;
            }
            if let Some(trailing) = rest.strip_prefix(':') {
                params.push(trailing);
                break;
            }
            let (param, tail) = rest.split_once(' ').unwrap_or((rest, ""));
            params.push(param);
            rest = tail;
        }
        Ok(Message {
            tags,
            source,
            command,
            params,
        })
    }

    /// The tags, unescaped; empty when the line had none.
    pub fn tags(&self) -> Tags<'a> {
        Tags::new(self.tags.unwrap_or(""))
    }

    /// The value of the last tag named `key`: `None` if absent, `Some(None)` if present
    /// without a value.
    pub fn tag(&self, key: &str) -> Option<Option<Cow<'a, str>>> {
        self.tags()
            .filter(|(k, _)| *k == key)
            .last()
            .map(|(_, v)| v)
    }

    /// True if the command is `name`, ignoring ASCII case (`privmsg` is `PRIVMSG`).
    pub fn is(&self, name: &str) -> bool {
        self.command.eq_ignore_ascii_case(name)
    }

    /// The command in upper case; borrows when it already is.
    pub fn command_upper(&self) -> Cow<'a, str> {
        if self.command.bytes().any(|b| b.is_ascii_lowercase()) {
            Cow::Owned(self.command.to_ascii_uppercase())
        } else {
            Cow::Borrowed(self.command)
        }
    }

    /// Parameter `index`, if present.
    pub fn param(&self, index: usize) -> Option<&'a str> {
        self.params.get(index).copied()
    }

    /// Appends this message as one line with `\r\n`; see [`render`].
    pub fn render(&self, out: &mut BytesMut) {
        render(out, self.tags, self.source, self.command, &self.params);
    }
}

/// Appends one line ending in `\r\n`. Nothing given can end the line early or add one:
///
/// - the last parameter gets a `:` when it is empty, starts with `:` or holds a space (or
///   a CR, LF or NUL); in it CR, LF and NUL become spaces (a trailing run of CR/LF is
///   dropped, as everywhere in confab, see [`put_sanitized`]);
/// - the tags, source, command and middle parameters are single words: there a space,
///   CR, LF or NUL becomes `_`, a leading `:` of a middle parameter or the command (or `@`
///   of the command) becomes `_` and an empty word is `*`, so the line always parses
///   back with the same number of parameters. Callers should never rely on this (nicks
///   and channels are validated long before): it only keeps a bug from corrupting the
///   stream. An empty source or tags section is left out.
pub fn render(
    out: &mut BytesMut,
    tags: Option<&str>,
    source: Option<&str>,
    command: &str,
    params: &[&str],
) {
    let body_start = put_head(out, tags, source, command);
    put_params(out, body_start, params, None);
}

/// Like [`render`], but the part after the tags fits [`MAX_LINE`] bytes with its CRLF:
/// the last parameter is cut at a UTF-8 boundary if needed (as servers do when relaying a
/// long PRIVMSG whose source made it grow), and when the middle parameters alone leave no
/// room, the longest of them are cut first (see [`put_params`]). Returns true if it cut.
/// Only a line whose source and command alone exceed the limit stays long.
pub fn render_truncated(
    out: &mut BytesMut,
    tags: Option<&str>,
    source: Option<&str>,
    command: &str,
    params: &[&str],
) -> bool {
    let body_start = put_head(out, tags, source, command);
    put_params(out, body_start, params, Some(MAX_LINE))
}

/// Writes `@tags :source command` and returns where the body (after the tags) starts.
pub(super) fn put_head(
    out: &mut BytesMut,
    tags: Option<&str>,
    source: Option<&str>,
    command: &str,
) -> usize {
    if let Some(tags) = tags.filter(|t| !t.is_empty()) {
        out.extend_from_slice(b"@");
        put_word(out, tags, b"");
        out.extend_from_slice(b" ");
    }
    let body_start = out.len();
    if let Some(source) = source.filter(|s| !s.is_empty()) {
        out.extend_from_slice(b":");
        put_word(out, source, b"");
        out.extend_from_slice(b" ");
    }
    // A command starting with `@` would read as tags when it opens the line.
    put_word(out, command, b":@");
    body_start
}

/// Writes ` middle... [:]last\r\n`, keeping the body (from `body_start`) within `limit`.
///
/// Past the limit `last` is cut, as a relayed message's text is. But when the middles
/// leave `last` less than half the room or less than it needs, a middle is what is long:
/// a word the client sent, echoed back (`421 nick <500 bytes> :Unknown command`). Then
/// the longest middles are cut, never below one character, until `last` fits whole (up
/// to half the room), so the reply keeps its reason. Names the server checked are short
/// and never the longest, so only the echo is cut.
pub(super) fn put_params(
    out: &mut BytesMut,
    body_start: usize,
    params: &[&str],
    limit: Option<usize>,
) -> bool {
    let mut cut = false;
    if let Some((last, middles)) = params.split_last() {
        let room = limit.map(|limit| limit.saturating_sub(2 + out.len() - body_start));
        let fitted = room.and_then(|room| fit_middles(middles, last, room));
        cut = fitted.is_some();
        for middle in fitted.as_deref().unwrap_or(middles) {
            put_middle(out, middle);
        }
        let budget = limit.map(|limit| limit.saturating_sub(2 + out.len() - body_start));
        cut |= put_last(out, last, budget);
    }
    out.extend_from_slice(b"\r\n");
    cut
}

/// The middles, the longest cut so that they and `last` (whole, or half the room if it is
/// longer) take at most `room` bytes; `None` when they fit as they are: see [`put_params`].
fn fit_middles<'a>(middles: &[&'a str], last: &str, room: usize) -> Option<Vec<&'a str>> {
    // ` word` each (an empty word is written `*`), and ` :last` at most.
    let used: usize = middles.iter().map(|m| 1 + m.len().max(1)).sum();
    let want_last = (2 + last.len()).min(room / 2);
    let mut excess = (used + want_last).saturating_sub(room);
    if excess == 0 {
        return None;
    }
    let mut kept = middles.to_vec();
    while excess > 0 {
        let Some((at, longest)) = kept.iter().enumerate().max_by_key(|(_, m)| m.len()) else {
            break;
        };
        let first = longest.chars().next().map_or(0, char::len_utf8);
        if longest.len() <= first {
            break;
        }
        let mut end = longest.len().saturating_sub(excess).max(first);
        while !longest.is_char_boundary(end) {
            end -= 1;
        }
        excess = excess.saturating_sub(longest.len() - end);
        kept[at] = &longest[..end];
    }
    Some(kept)
}

/// Writes ` word`.
pub(super) fn put_middle(out: &mut BytesMut, word: &str) {
    out.extend_from_slice(b" ");
    put_word(out, word, b":");
}

/// Writes ` [:]text`, within `budget` bytes if given; true if `text` was cut.
pub(super) fn put_last(out: &mut BytesMut, text: &str, budget: Option<usize>) -> bool {
    let mut colon =
        text.is_empty() || text.starts_with(':') || text.contains([' ', '\r', '\n', '\0']);
    // put_sanitized drops these, so they do not count against the budget.
    let mut kept = text.trim_end_matches(['\r', '\n']);
    let mut cut = false;
    if let Some(budget) = budget {
        if 1 + usize::from(colon) + kept.len() > budget {
            // A cut text may end up empty, which needs the colon: always add it.
            colon = true;
            let mut end = budget.saturating_sub(2).min(kept.len());
            while !kept.is_char_boundary(end) {
                end -= 1;
            }
            kept = &kept[..end];
            cut = true;
        }
    }
    out.extend_from_slice(if colon { b" :" } else { b" " });
    put_sanitized(out, kept);
    cut
}

/// Writes `word` so that it stays one word, also replacing a first byte in `bad_first`:
/// see [`render`].
fn put_word(out: &mut BytesMut, word: &str, bad_first: &[u8]) {
    let bytes = word.as_bytes();
    let is_bad = |b: &u8| matches!(b, b' ' | b'\r' | b'\n' | b'\0');
    match bytes.split_first() {
        None => out.extend_from_slice(b"*"),
        Some((first, _)) if !bad_first.contains(first) && !bytes.iter().any(is_bad) => {
            out.extend_from_slice(bytes);
        }
        Some(_) => {
            // Only ASCII bytes are replaced, so UTF-8 stays valid.
            out.extend(bytes.iter().enumerate().map(|(i, b)| {
                if is_bad(b) || (i == 0 && bad_first.contains(b)) {
                    b'_'
                } else {
                    *b
                }
            }));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parse(line: &str) -> Result<Message<'_>, ParseError> {
        Message::parse(line.as_bytes())
    }

    fn rendered(
        tags: Option<&str>,
        source: Option<&str>,
        command: &str,
        params: &[&str],
    ) -> String {
        let mut out = BytesMut::new();
        render(&mut out, tags, source, command, params);
        String::from_utf8(out.to_vec()).unwrap()
    }

    #[test]
    fn privmsg_with_spaces_in_trailing() {
        let m = parse("PRIVMSG #a :hello world").unwrap();
        assert_eq!(m.tags, None);
        assert_eq!(m.source, None);
        assert_eq!(m.command, "PRIVMSG");
        assert_eq!(m.params, ["#a", "hello world"]);
    }

    #[test]
    fn full_line_with_tags_and_source() {
        let m = parse(r"@time=12\s3;bot :nick!u@h PRIVMSG #a :hi").unwrap();
        assert_eq!(m.tags, Some(r"time=12\s3;bot"));
        assert_eq!(m.source, Some("nick!u@h"));
        assert_eq!(m.params, ["#a", "hi"]);
        assert_eq!(m.tag("time"), Some(Some(Cow::Borrowed("12 3"))));
        assert_eq!(m.tag("bot"), Some(None));
        assert_eq!(m.tag("nope"), None);
    }

    #[test]
    fn empty_trailing_param_is_kept() {
        assert_eq!(parse("PRIVMSG #a :").unwrap().params, ["#a", ""]);
        assert_eq!(parse("TOPIC #a :").unwrap().params, ["#a", ""]);
    }

    #[test]
    fn no_trailing_and_trailing_without_spaces() {
        assert_eq!(parse("JOIN #a,#b key").unwrap().params, ["#a,#b", "key"]);
        assert_eq!(parse("NICK :bob").unwrap().params, ["bob"]);
        assert!(parse("QUIT").unwrap().params.is_empty());
    }

    #[test]
    fn runs_of_spaces_are_one_separator() {
        let m = parse("  :src   MODE   #a  +o   bob   ").unwrap();
        assert_eq!(m.source, Some("src"));
        assert_eq!(m.command, "MODE");
        assert_eq!(m.params, ["#a", "+o", "bob"]);
        // Spaces inside the trailing param are kept as sent.
        assert_eq!(parse("PRIVMSG #a :  x  ").unwrap().params, ["#a", "  x  "]);
    }

    #[test]
    fn colon_inside_a_middle_param_is_not_trailing() {
        assert_eq!(parse("PRIVMSG a:b :c d").unwrap().params, ["a:b", "c d"]);
    }

    #[test]
    fn more_than_fifteen_params_are_all_kept() {
        let line = format!(
            "CMD {} :last one",
            (1..=17)
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join(" ")
        );
        let m = parse(&line).unwrap();
        assert_eq!(m.params.len(), 18);
        assert_eq!(m.param(16), Some("17"));
        assert_eq!(m.param(17), Some("last one"));
    }

    #[test]
    fn what_is_not_a_message() {
        assert_eq!(parse(""), Err(ParseError::Empty));
        assert_eq!(parse("   "), Err(ParseError::Empty));
        assert_eq!(parse(":x"), Err(ParseError::NoCommand));
        assert_eq!(parse(":x   "), Err(ParseError::NoCommand));
        assert_eq!(parse("@a=b"), Err(ParseError::NoCommand));
        assert_eq!(parse("@a=b :src"), Err(ParseError::NoCommand));
        assert_eq!(parse("@a=b  "), Err(ParseError::NoCommand));
        assert_eq!(
            Message::parse(b"PRIVMSG #a :caf\xe9"),
            Err(ParseError::NotUtf8)
        );
        assert_eq!(Message::parse(b"\xff\xfe"), Err(ParseError::NotUtf8));
    }

    #[test]
    fn lone_cr_lf_or_nul_inside_is_refused() {
        assert_eq!(parse("PRIVMSG #a :a\rb"), Err(ParseError::ForbiddenByte));
        assert_eq!(parse("PRIVMSG #a :a\nb"), Err(ParseError::ForbiddenByte));
        assert_eq!(parse("PRIVMSG #a\0 :x"), Err(ParseError::ForbiddenByte));
    }

    #[test]
    fn tags_limit_is_exact() {
        let mut line = "@".to_string();
        line.push_str(&"t".repeat(MAX_TAGS - 2));
        line.push_str(" PING");
        assert!(parse(&line).is_ok());
        line.insert(1, 't');
        assert_eq!(parse(&line), Err(ParseError::TagsTooLong));
        // Reported even when no command follows.
        assert_eq!(
            parse(&"@".repeat(MAX_TAGS + 5)),
            Err(ParseError::TagsTooLong)
        );
    }

    #[test]
    fn a_very_long_line_still_parses() {
        // Length is the server's call (417), not a parse error.
        let text = "x".repeat(5000);
        let line = format!("PRIVMSG #a :{text}");
        assert_eq!(parse(&line).unwrap().params[1].len(), 5000);
        assert!(super::super::is_input_too_long(line.as_bytes()));
    }

    #[test]
    fn command_matching_ignores_case() {
        let m = parse("privMsg #a :x").unwrap();
        assert!(m.is("PRIVMSG"));
        assert!(!m.is("NOTICE"));
        assert_eq!(m.command_upper(), "PRIVMSG");
        assert!(matches!(
            parse("PING x").unwrap().command_upper(),
            Cow::Borrowed("PING")
        ));
    }

    #[test]
    fn render_adds_colon_only_when_needed() {
        assert_eq!(rendered(None, None, "JOIN", &["#a"]), "JOIN #a\r\n");
        assert_eq!(
            rendered(None, Some("n!u@h"), "PRIVMSG", &["#a", "hello world"]),
            ":n!u@h PRIVMSG #a :hello world\r\n"
        );
        assert_eq!(rendered(None, None, "TOPIC", &["#a", ""]), "TOPIC #a :\r\n");
        assert_eq!(
            rendered(None, None, "PRIVMSG", &["#a", ":)"]),
            "PRIVMSG #a ::)\r\n"
        );
        assert_eq!(rendered(None, None, "QUIT", &[]), "QUIT\r\n");
        assert_eq!(
            rendered(Some("a=b"), Some("srv"), "PING", &["x"]),
            "@a=b :srv PING x\r\n"
        );
        assert_eq!(rendered(Some(""), Some(""), "PING", &["x"]), "PING x\r\n");
    }

    #[test]
    fn render_cannot_inject_a_line() {
        let out = rendered(
            None,
            Some("evil\r\nQUIT"),
            "PRIVMSG",
            &["#a\r\nKICK", "hi\r\nQUIT :bye\0"],
        );
        assert_eq!(out, ":evil__QUIT PRIVMSG #a__KICK :hi  QUIT :bye \r\n");
        // A trailing line break is dropped, a lone CR becomes a space.
        assert_eq!(
            rendered(None, None, "PRIVMSG", &["#a", "x\ry\r\n"]),
            "PRIVMSG #a :x y\r\n"
        );
        assert_eq!(
            rendered(None, None, "PRIVMSG", &["#a", "\r\n"]),
            "PRIVMSG #a :\r\n"
        );
    }

    #[test]
    fn render_keeps_middle_params_single_words() {
        assert_eq!(
            rendered(Some("a b"), None, "MODE", &["", ":x", "a b", "last"]),
            "@a_b MODE * _x a_b last\r\n"
        );
        assert_eq!(rendered(None, None, "", &[]), "*\r\n");
    }

    #[test]
    fn round_trip_of_a_parsed_line() {
        let line = r"@msgid=a\sb :n!u@h PRIVMSG #chan :hello world";
        let mut out = BytesMut::new();
        parse(line).unwrap().render(&mut out);
        assert_eq!(&out[..], format!("{line}\r\n").as_bytes());
    }

    #[test]
    fn truncation_fits_512_and_respects_utf8() {
        let source = "nick!user@host.example";
        let text = "é".repeat(400); // 800 bytes, two per char
        let mut out = BytesMut::new();
        assert!(render_truncated(
            &mut out,
            Some("time=x"),
            Some(source),
            "PRIVMSG",
            &["#a", &text]
        ));
        let line = std::str::from_utf8(&out).expect("cut at a char boundary");
        let body = line.strip_prefix("@time=x ").unwrap();
        assert!(
            body.len() <= MAX_LINE && body.len() >= MAX_LINE - 1,
            "{}",
            body.len()
        );
        let reparsed = parse(body.trim_end_matches("\r\n")).unwrap();
        assert!(text.starts_with(reparsed.params[1]));
    }

    #[test]
    fn truncation_exact_fit_and_no_cut() {
        // "PRIVMSG #a :" is 12 bytes; 12 + 498 + 2 = 512.
        let fits = "x y".repeat(166);
        let mut out = BytesMut::new();
        assert!(!render_truncated(
            &mut out,
            None,
            None,
            "PRIVMSG",
            &["#a", &fits]
        ));
        assert_eq!(out.len(), MAX_LINE);
        // A word without colon that must be cut gains a colon and still fits.
        let word = "w".repeat(600);
        let mut out = BytesMut::new();
        assert!(render_truncated(
            &mut out,
            None,
            None,
            "PRIVMSG",
            &["#a", &word]
        ));
        assert_eq!(out.len(), MAX_LINE);
        assert!(out.starts_with(b"PRIVMSG #a :www"));
    }

    #[test]
    fn a_long_middle_is_cut_so_the_line_fits_with_its_last_whole() {
        let long = "m".repeat(600);
        let mut out = BytesMut::new();
        assert!(render_truncated(
            &mut out,
            None,
            None,
            "CMD",
            &["a", &long, "text here"]
        ));
        assert_eq!(out.len(), MAX_LINE);
        let line = String::from_utf8(out.to_vec()).unwrap();
        let m = parse(line.trim_end_matches("\r\n")).unwrap();
        let kept = MAX_LINE - "CMD a  :text here\r\n".len();
        assert_eq!(m.params, ["a", &long[..kept], "text here"]);
        // At a UTF-8 boundary, never below one character.
        let wide = "é".repeat(300);
        let mut out = BytesMut::new();
        render_truncated(&mut out, None, None, "CMD", &[&wide, "text"]);
        assert!(out.len() <= MAX_LINE && out.len() >= MAX_LINE - 1);
        let line = String::from_utf8(out.to_vec()).unwrap();
        assert_eq!(parse(line.trim_end()).unwrap().params[1], "text");
        // A long last with short middles: only the last is cut (a relayed message).
        let mut out = BytesMut::new();
        render_truncated(&mut out, None, None, "CMD", &["#chan", &long]);
        assert!(out.starts_with(b"CMD #chan :mmm"));
        assert_eq!(out.len(), MAX_LINE);
    }

    fn middle() -> impl Strategy<Value = String> {
        "[^ \r\n\0:][^ \r\n\0]{0,12}"
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(line in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = Message::parse(&line);
        }

        #[test]
        fn arbitrary_text_never_panics(line in "[@: a-zA-Z0-9;=\\\\#]{0,80}") {
            if let Ok(m) = parse(&line) {
                let _ = m.tags().count();
            }
        }

        #[test]
        fn parsed_lines_render_and_reparse_the_same(line in "(@[a-z=;\\\\]{0,10} )?(:[a-z!@.]{0,8} )? *[A-Za-z0-9]{1,8}( {1,2}[^ \r\n\0:][^ \r\n\0]{0,6}){0,17}( :[^\r\n\0]{0,20})? *") {
            let m = parse(&line).unwrap();
            let mut out = BytesMut::new();
            m.render(&mut out);
            let again = Message::parse(out.strip_suffix(b"\r\n").unwrap()).unwrap();
            prop_assert_eq!(again.command, m.command);
            prop_assert_eq!(again.params, m.params);
        }

        #[test]
        fn valid_messages_round_trip(
            command in "[A-Za-z]{1,10}|[0-9]{3}",
            source in proptest::option::of("[^ \r\n\0]{1,12}"),
            middles in proptest::collection::vec(middle(), 0..16),
            last in proptest::option::of("[^\r\n\0]{0,30}"),
        ) {
            let mut params: Vec<&str> = middles.iter().map(String::as_str).collect();
            params.extend(last.as_deref());
            let mut out = BytesMut::new();
            render(&mut out, None, source.as_deref(), &command, &params);
            let m = Message::parse(out.strip_suffix(b"\r\n").unwrap()).unwrap();
            prop_assert_eq!(m.command, command.as_str());
            prop_assert_eq!(m.source, source.as_deref());
            prop_assert_eq!(m.params, params);
        }

        #[test]
        fn rendering_never_breaks_a_line(
            tags in proptest::option::of(any::<String>()),
            source in proptest::option::of(any::<String>()),
            command in any::<String>(),
            params in proptest::collection::vec(any::<String>(), 0..6),
            truncate in any::<bool>(),
        ) {
            let params: Vec<&str> = params.iter().map(String::as_str).collect();
            let mut out = BytesMut::new();
            if truncate {
                render_truncated(&mut out, tags.as_deref(), source.as_deref(), &command, &params);
            } else {
                render(&mut out, tags.as_deref(), source.as_deref(), &command, &params);
            }
            let body = out.strip_suffix(b"\r\n").expect("ends with CRLF");
            prop_assert!(!body.iter().any(|b| matches!(b, b'\r' | b'\n' | b'\0')));
            // Still one well-formed message with every parameter in place.
            let m = Message::parse(body).unwrap();
            prop_assert_eq!(m.params.len(), params.len());
        }

        #[test]
        fn truncated_rendering_fits(
            source in "[a-z!@.]{1,60}",
            text in any::<String>(),
            echo in "[^ \r\n\0:]{1,600}",
        ) {
            let mut out = BytesMut::new();
            render_truncated(&mut out, None, Some(&source), "PRIVMSG", &["#chan", &text]);
            prop_assert!(out.len() <= MAX_LINE);
            prop_assert!(std::str::from_utf8(&out).is_ok());
            // However long an echoed middle is, the line fits.
            let mut out = BytesMut::new();
            render_truncated(&mut out, None, Some(&source), "FAIL", &["X", &echo, &text]);
            prop_assert!(out.len() <= MAX_LINE);
            prop_assert!(std::str::from_utf8(&out).is_ok());
        }
    }
}
