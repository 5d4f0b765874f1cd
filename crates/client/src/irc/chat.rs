//! PRIVMSG and NOTICE to the IRC client: which window a line goes to (the channel, a query
//! opened for a user, or wherever the user is looking for notices) and how it reads,
//! CTCP ACTION included.

use confab_proto::irc::Message;

use crate::session::Kind;

use super::window::label;
use super::{Effects, IrcSession, CTCP};

impl IrcSession {
    pub(super) fn on_privmsg(&mut self, m: &Message<'_>, source: &str, fx: &mut Effects) {
        let notice = m.is("NOTICE");
        let (target, text) = (m.param(0).unwrap_or(""), m.param(1).unwrap_or(""));
        let from_server = m.source.is_none_or(|s| !s.contains('!'));
        if from_server {
            // Server notices (before registration, or about the connection).
            fx.received(format!("-{source}- {text}"));
            return;
        }
        let window = if target.starts_with('#') {
            target.to_owned()
        } else if notice {
            // Notices from users go where the user is looking (no new window).
            String::new()
        } else {
            let at = self.open(source);
            self.windows[at].name.clone()
        };
        let body = body(source, text, notice);
        if window.is_empty() {
            fx.received(body);
        } else {
            let window = label(&window);
            fx.push_to(Kind::Received, &window, format!("[{window}] {body}"));
        }
    }
}

/// The line as read, without its window: `<bob> hi`, `-bob- note`, `* bob waves`.
fn body(source: &str, text: &str, notice: bool) -> String {
    let ctcp = text
        .strip_prefix(CTCP)
        .map(|t| t.strip_suffix(CTCP).unwrap_or(t));
    match ctcp {
        Some(ctcp) => match ctcp.split_once(' ') {
            Some((action, rest)) if action.eq_ignore_ascii_case("ACTION") => {
                format!("* {source} {rest}")
            }
            _ if ctcp.eq_ignore_ascii_case("ACTION") => format!("* {source}"),
            _ => {
                let (what, _) = ctcp.split_once(' ').unwrap_or((ctcp, ""));
                format!("* {source} sent CTCP {what}")
            }
        },
        None if notice => format!("-{source}- {text}"),
        None => format!("<{source}> {text}"),
    }
}
