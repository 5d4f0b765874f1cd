//! A multiline message (IRC `draft/multiline`) as one recipient sees it: a
//! `draft/multiline` batch for clients with the cap (the batch's start carries the
//! message's tags, each line the concat tag where it continues the one before), or each
//! non-blank line as a message of its own for the others (the first with the msgid, each
//! with the time and client tags). Rendered per recipient, not cached: such messages are
//! few. The sender's echo is rendered here too, from the same parts.

use std::sync::Arc;
use std::time::SystemTime;

use bytes::BytesMut;
use confab_core::{lines, Event, EventKind, Lines, MsgId, Name, Peer, Text, Tone};
use confab_proto::irc::render_truncated;

use super::caps::{Cap, Caps};
use super::multiline::{BATCH_TYPE, CONCAT};
use super::out::time_tag;
use super::statusmsg;

/// Everything a multiline message shows.
pub struct Multiline<'a> {
    pub source: &'a str,
    pub tone: Tone,
    pub target: &'a str,
    pub text: &'a Text,
    pub lines: &'a Lines,
    pub msgid: MsgId,
    pub at: SystemTime,
    pub bot: bool,
    pub client_tags: Option<&'a Arc<str>>,
    pub account: Option<&'a Name>,
}

/// Renders `event` if it is a multiline message; false for any other event.
pub fn event(event: &Event, caps: Caps, out: &mut BytesMut) -> bool {
    let (from, target, text, tone, client_tags, lines) = match event.kind() {
        EventKind::Said {
            room,
            from,
            text,
            tone,
            client_tags,
            lines: Some(lines),
            rank,
        } => (
            from,
            statusmsg::channel(room, *rank),
            text,
            tone,
            client_tags,
            lines,
        ),
        EventKind::Direct {
            from,
            to,
            text,
            tone,
            client_tags,
            lines: Some(lines),
            ..
        } => (from, to.to_string(), text, tone, client_tags, lines),
        _ => return false,
    };
    let source = source(from);
    Multiline {
        source: &source,
        tone: *tone,
        target: &target,
        text,
        lines,
        msgid: event.msgid(),
        at: event.at(),
        bot: from.bot,
        client_tags: client_tags.as_ref(),
        account: from.account.as_ref(),
    }
    .render(caps, out);
    true
}

fn source(peer: &Peer) -> String {
    format!("{}!{}@{}", peer.name, peer.user(), peer.host)
}

impl Multiline<'_> {
    pub fn render(&self, caps: Caps, out: &mut BytesMut) {
        if caps.has(Cap::Multiline) && caps.has(Cap::Batch) {
            self.batch(caps, out);
        } else {
            self.fallback(caps, out);
        }
    }

    fn command(&self) -> &'static str {
        match self.tone {
            Tone::Chat => "PRIVMSG",
            Tone::Notice => "NOTICE",
        }
    }

    /// The tags a line shows: the time, the message's own tags (the msgid only where
    /// `msgid`), the account.
    fn tags(&self, caps: Caps, msgid: bool) -> Vec<String> {
        let mut tags = Vec::new();
        if caps.has(Cap::ServerTime) {
            tags.push(time_tag(self.at));
        }
        if caps.has(Cap::MessageTags) {
            if msgid {
                tags.push(format!("msgid={}", self.msgid));
            }
            if self.bot {
                tags.push("bot".into());
            }
            tags.extend(self.client_tags.map(|t| t.to_string()));
        }
        if let Some(account) = self.account.filter(|_| caps.has(Cap::AccountTag)) {
            tags.push(format!("account={account}"));
        }
        tags
    }

    /// `BATCH +<id> draft/multiline <target>` with the message's tags, the lines, `BATCH
    /// -<id>`; the id is the msgid, unique on every connection.
    fn batch(&self, caps: Caps, out: &mut BytesMut) {
        let id = self.msgid.to_string();
        let tags = self.tags(caps, true).join(";");
        let open = format!("+{id}");
        let tags = (!tags.is_empty()).then_some(tags.as_str());
        render_truncated(
            out,
            tags,
            Some(self.source),
            "BATCH",
            &[&open, BATCH_TYPE, self.target],
        );
        let inner = format!("batch={id}");
        let concat = format!("batch={id};{CONCAT}");
        for line in self.lines.all() {
            let tags = if line.concat { &concat } else { &inner };
            let params = [self.target, line.text.as_str()];
            render_truncated(out, Some(tags), Some(self.source), self.command(), &params);
        }
        render_truncated(out, None, Some(self.source), "BATCH", &[&format!("-{id}")]);
    }

    /// Each non-blank line as a message of its own.
    fn fallback(&self, caps: Caps, out: &mut BytesMut) {
        for (i, text) in lines::shown(self.text, Some(self.lines))
            .into_iter()
            .enumerate()
        {
            let tags = self.tags(caps, i == 0).join(";");
            let tags = (!tags.is_empty()).then_some(tags.as_str());
            let params = [self.target, text];
            render_truncated(out, tags, Some(self.source), self.command(), &params);
        }
    }
}
