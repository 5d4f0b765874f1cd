//! IRCv3 `labeled-response`: a command sent with `@label=<x>` gets its whole response
//! marked with that label. One line carries the tag itself; several come in a
//! `labeled-response` batch whose start carries it; a response that is one batch already
//! (a CHATHISTORY answer) carries it on that batch's start; no response at all is
//! `@label=<x> :server ACK`.

use std::sync::atomic::{AtomicU64, Ordering};

use bytes::{Bytes, BytesMut};

/// The longest label kept (the spec allows 64 bytes); a longer one is ignored.
const LABEL_MAX: usize = 64;

/// The `label` tag's value in a client's line (still escaped as sent, so it can never
/// end a line it is echoed in), if any; none on a line without a command, which is
/// dropped unanswered.
pub fn of(line: &[u8]) -> Option<String> {
    let rest = line.strip_prefix(b"@")?;
    let space = rest.iter().position(|&b| b == b' ')?;
    if rest[space..].iter().all(|&b| b == b' ') {
        return None;
    }
    let tags = std::str::from_utf8(&rest[..space]).ok()?;
    let value = tags.split(';').find_map(|tag| tag.strip_prefix("label="))?;
    (!value.is_empty() && value.len() <= LABEL_MAX).then(|| value.to_string())
}

/// The response to a command sent with `label`, marked as `labeled-response` says.
/// `batch`: the client has the `batch` cap (without it only the first line is labeled).
pub fn wrap(label: &str, server: &str, response: Option<Bytes>, batch: bool) -> Bytes {
    let tag = format!("label={label}");
    let response = response.unwrap_or_default();
    let lines: Vec<&[u8]> = response
        .split_inclusive(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    let mut out = BytesMut::with_capacity(response.len() + 64);
    match lines.as_slice() {
        [] => out.extend_from_slice(format!("@{tag} :{server} ACK\r\n").as_bytes()),
        [one] => put_tagged(&mut out, &tag, one),
        [first, .., last] if !batch || is_one_batch(first, last) => {
            put_tagged(&mut out, &tag, first);
            for line in &lines[1..] {
                out.extend_from_slice(line);
            }
        }
        _ => {
            static NEXT: AtomicU64 = AtomicU64::new(1);
            let id = format!("lr{}", NEXT.fetch_add(1, Ordering::Relaxed));
            let open = format!("@{tag} :{server} BATCH +{id} labeled-response\r\n");
            out.extend_from_slice(open.as_bytes());
            let inner = format!("batch={id}");
            for line in &lines {
                // Lines of a batch inside this one keep their own batch tag.
                if has_batch_tag(line) {
                    out.extend_from_slice(line);
                } else {
                    put_tagged(&mut out, &inner, line);
                }
            }
            out.extend_from_slice(format!(":{server} BATCH -{id}\r\n").as_bytes());
        }
    }
    out.freeze()
}

/// `line` with `tag` first in its tags section.
fn put_tagged(out: &mut BytesMut, tag: &str, line: &[u8]) {
    out.extend_from_slice(b"@");
    out.extend_from_slice(tag.as_bytes());
    match line.strip_prefix(b"@") {
        Some(rest) => {
            out.extend_from_slice(b";");
            out.extend_from_slice(rest);
        }
        None => {
            out.extend_from_slice(b" ");
            out.extend_from_slice(line);
        }
    }
}

fn has_batch_tag(line: &[u8]) -> bool {
    let Some(rest) = line.strip_prefix(b"@") else {
        return false;
    };
    let tags = &rest[..rest.iter().position(|&b| b == b' ').unwrap_or(rest.len())];
    tags.split(|&b| b == b';').any(|t| t.starts_with(b"batch="))
}

/// Whether `first` opens a batch that `last` closes: the response is one batch.
fn is_one_batch(first: &[u8], last: &[u8]) -> bool {
    let word_after = |line: &[u8], command: &str| -> Option<Vec<u8>> {
        let text = std::str::from_utf8(line).ok()?;
        let at = text.find(command)? + command.len();
        let word = text[at..].split([' ', '\r', '\n']).next()?;
        Some(word.as_bytes().to_vec())
    };
    match (word_after(first, " BATCH +"), word_after(last, " BATCH -")) {
        (Some(open), Some(close)) => !open.is_empty() && open == close,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wrapped(response: &str, batch: bool) -> String {
        let response = (!response.is_empty()).then(|| Bytes::from(response.to_string()));
        String::from_utf8(wrap("L1", "srv", response, batch).to_vec()).unwrap()
    }

    #[test]
    fn the_label_is_read_from_the_tags_only() {
        assert_eq!(of(b"@label=abc PING x").as_deref(), Some("abc"));
        assert_eq!(of(b"@a=1;label=x\\sy;b PING x").as_deref(), Some("x\\sy"));
        assert_eq!(of(b"PING label=x"), None);
        assert_eq!(of(b"@label= PING"), None);
        assert_eq!(of(b"@label=x"), None);
        assert_eq!(of(b"@label=x  "), None);
        assert_eq!(
            of(format!("@label={} PING", "x".repeat(65)).as_bytes()),
            None
        );
    }

    #[test]
    fn one_line_none_several_and_one_batch() {
        assert_eq!(wrapped("", true), "@label=L1 :srv ACK\r\n");
        assert_eq!(
            wrapped(":srv PONG srv x\r\n", true),
            "@label=L1 :srv PONG srv x\r\n"
        );
        assert_eq!(
            wrapped("@time=t :a!b@c PRIVMSG x hi\r\n", true),
            "@label=L1;time=t :a!b@c PRIVMSG x hi\r\n"
        );
        let several = wrapped(":srv 1 a\r\n@time=t :srv 2 a\r\n", true);
        let id = several
            .split("BATCH +")
            .nth(1)
            .and_then(|s| s.split(' ').next())
            .unwrap()
            .to_string();
        assert_eq!(
            several,
            format!(
                "@label=L1 :srv BATCH +{id} labeled-response\r\n@batch={id} :srv 1 a\r\n\
                 @batch={id};time=t :srv 2 a\r\n:srv BATCH -{id}\r\n"
            )
        );
        let history =
            ":srv BATCH +h1 chathistory #c\r\n@batch=h1 :a PRIVMSG #c x\r\n:srv BATCH -h1\r\n";
        assert_eq!(wrapped(history, true), format!("@label=L1 {history}"));
        assert_eq!(
            wrapped(":srv 1 a\r\n:srv 2 a\r\n", false),
            "@label=L1 :srv 1 a\r\n:srv 2 a\r\n"
        );
    }
}
