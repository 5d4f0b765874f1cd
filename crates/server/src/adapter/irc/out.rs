//! What one IRC client is about to be sent in answer to one command: numerics from the
//! server and echoed lines, gathered in one buffer and queued as one reply.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::{Bytes, BytesMut};
use confab_proto::irc::{render, render_truncated, Numeric};

/// The reply being built. `client` is the first parameter of every numeric: the nick, or
/// `*` before there is one.
pub struct Out {
    buf: BytesMut,
    server: Arc<str>,
    pub client: String,
    /// The client negotiated `server-time`: echoed lines carry `@time=`.
    pub time_tags: bool,
}

impl Out {
    pub fn new(server: Arc<str>) -> Out {
        Out {
            buf: BytesMut::new(),
            server,
            client: "*".into(),
            time_tags: false,
        }
    }

    pub fn server(&self) -> &str {
        &self.server
    }

    /// `:server CODE client params... :default text`.
    pub fn num(&mut self, numeric: Numeric, params: &[&str]) {
        numeric.render(&mut self.buf, &self.server, &self.client, params, None);
    }

    /// `:server CODE client params... :text`.
    pub fn num_text(&mut self, numeric: Numeric, params: &[&str], text: &str) {
        numeric.render(
            &mut self.buf,
            &self.server,
            &self.client,
            params,
            Some(text),
        );
    }

    /// Like [`Out::num`], tagged (`batch=<ref>` for a line of a batch).
    pub fn num_tagged(&mut self, tags: Option<&str>, numeric: Numeric, params: &[&str]) {
        if let Some(tags) = tags {
            self.buf.extend_from_slice(b"@");
            self.buf
                .extend_from_slice(tags.replace([' ', '\r', '\n'], "_").as_bytes());
            self.buf.extend_from_slice(b" ");
        }
        self.num(numeric, params);
    }

    /// A line from `source` (the client's own mask for echoes, or the server), cut to 512
    /// bytes without its tags like every relayed line.
    pub fn line(&mut self, source: &str, command: &str, params: &[&str]) {
        self.line_tagged(None, source, command, params);
    }

    /// Like [`Out::line`], with more tags after the time (a message's `msgid` and client
    /// tags, for an echo to a `message-tags` client).
    pub fn line_tagged(
        &mut self,
        tags: Option<&str>,
        source: &str,
        command: &str,
        params: &[&str],
    ) {
        self.line_tagged_at(SystemTime::now(), tags, source, command, params);
    }

    /// Like [`Out::line_tagged`], showing the time `at` (an echo shows its message's own
    /// time, as the other recipients and history show it).
    pub fn line_tagged_at(
        &mut self,
        at: SystemTime,
        tags: Option<&str>,
        source: &str,
        command: &str,
        params: &[&str],
    ) {
        let time = self.time_tags.then(|| time_tag(at));
        let all = match (time, tags) {
            (Some(time), Some(tags)) => Some(format!("{time};{tags}")),
            (time, tags) => time.or(tags.map(str::to_string)),
        };
        render_truncated(&mut self.buf, all.as_deref(), Some(source), command, params);
    }

    /// A line from the server itself (`PONG`, `CAP`, `ERROR` has no source).
    pub fn server_line(&mut self, command: &str, params: &[&str]) {
        let server = self.server.clone();
        self.line(&server, command, params);
    }

    /// `ERROR :text`, the last line before the server closes the connection.
    pub fn error(&mut self, text: &str) {
        self.bare("ERROR", &[text]);
    }

    /// A line with neither source nor tags (`ERROR`, the server's own `PING`).
    pub fn bare(&mut self, command: &str, params: &[&str]) {
        render(&mut self.buf, None, None, command, params);
    }

    /// Lines rendered elsewhere (a multiline echo), as they are.
    pub fn raw(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Everything gathered, leaving no buffer behind while the client is idle.
    pub fn take(&mut self) -> Option<Bytes> {
        (!self.buf.is_empty()).then(|| std::mem::take(&mut self.buf).freeze())
    }
}

/// The IRCv3 `server-time` tag for `at`: `time=2024-05-01T12:00:00.000Z`.
pub fn time_tag(at: SystemTime) -> String {
    format!("time={}", iso8601(at))
}

/// `at` as `YYYY-MM-DDTHH:MM:SS.mmmZ` in UTC.
pub fn iso8601(at: SystemTime) -> String {
    let since = at.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60,
        since.subsec_millis()
    )
}

/// Seconds since the Unix epoch, as IRC numerics show times.
pub fn unix_secs(at: SystemTime) -> String {
    at.duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs()
        .to_string()
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn times_are_utc_iso8601_with_milliseconds() {
        assert_eq!(iso8601(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        let at = UNIX_EPOCH + Duration::from_millis(1_709_208_000_123);
        assert_eq!(iso8601(at), "2024-02-29T12:00:00.123Z");
        let at = UNIX_EPOCH + Duration::from_secs(951_782_400);
        assert_eq!(iso8601(at), "2000-02-29T00:00:00.000Z");
        assert_eq!(time_tag(UNIX_EPOCH), "time=1970-01-01T00:00:00.000Z");
        assert_eq!(unix_secs(at), "951782400");
    }

    #[test]
    fn numerics_use_the_client_and_lines_stay_single() {
        let mut out = Out::new(Arc::from("srv"));
        out.num(Numeric::ERR_NOSUCHNICK, &["bob"]);
        out.client = "al".into();
        out.num_text(Numeric::RPL_TOPIC, &["#a"], "hi there");
        out.line("al!u@h", "PRIVMSG", &["#a", "x\r\nQUIT"]);
        out.error("Closing link");
        let bytes = out.take().unwrap();
        assert_eq!(
            &bytes[..],
            b":srv 401 * bob :No such nick/channel\r\n:srv 332 al #a :hi there\r\n\
              :al!u@h PRIVMSG #a :x  QUIT\r\nERROR :Closing link\r\n"
        );
        assert!(out.take().is_none());
    }
}
