//! JOIN, PART, KICK, QUIT and NICK to the IRC client: who is in which channel's nick
//! list, which windows open and close, and the line each shows.

use confab_proto::irc::{eq_fold, Message};

use crate::session::Kind;

use super::window::label;
use super::{Effects, IrcSession};

impl IrcSession {
    /// `JOIN #c`: ours opens the window and takes the focus; another's adds a member.
    pub(super) fn on_join(&mut self, source: &str, channel: &str, fx: &mut Effects) {
        let at = self.open(channel);
        let window = self.windows[at].label();
        if self.is_me(source) {
            self.current = Some(at);
            self.windows[at].names.clear();
            fx.push_to(Kind::Info, &window, format!("* You joined {channel}"));
        } else {
            self.windows[at].add(source);
            fx.push_to(Kind::Info, &window, format!("* {source} joined {channel}"));
        }
    }

    /// `PART #c [:reason]`: ours closes the window; another's removes a member.
    pub(super) fn on_part(&mut self, m: &Message<'_>, source: &str, fx: &mut Effects) {
        let channel = m.param(0).unwrap_or("");
        let reason = reason(m.param(1));
        let window = label(channel);
        if self.is_me(source) {
            if let Some(at) = self.find(channel) {
                self.close(at);
            }
            fx.push_to(Kind::Info, &window, format!("* You left {channel}{reason}"));
        } else {
            if let Some(at) = self.find(channel) {
                self.windows[at].remove(source);
            }
            fx.push_to(
                Kind::Info,
                &window,
                format!("* {source} left {channel}{reason}"),
            );
        }
    }

    /// `KICK #c nick [:reason]`: as a PART of the one kicked.
    pub(super) fn on_kick(&mut self, m: &Message<'_>, source: &str, fx: &mut Effects) {
        let (channel, kicked) = (m.param(0).unwrap_or(""), m.param(1).unwrap_or(""));
        let reason = reason(m.param(2));
        let window = label(channel);
        let who = if self.is_me(kicked) { "You were" } else { "" };
        let text = if who.is_empty() {
            format!("* {kicked} was kicked from {channel} by {source}{reason}")
        } else {
            format!("* {who} kicked from {channel} by {source}{reason}")
        };
        if let Some(at) = self.find(channel) {
            if self.is_me(kicked) {
                self.close(at);
            } else {
                self.windows[at].remove(kicked);
            }
        }
        fx.push_to(Kind::Info, &window, text);
    }

    /// `QUIT [:reason]`: the user leaves every nick list.
    pub(super) fn on_quit(&mut self, m: &Message<'_>, source: &str, fx: &mut Effects) {
        for window in &mut self.windows {
            window.remove(source);
        }
        fx.info(format!("* {source} quit{}", reason(m.param(0))));
    }

    /// `NICK new`: renamed in every nick list (prefix kept) and query; ours changes
    /// [`IrcSession::me`].
    pub(super) fn on_nick(&mut self, source: &str, new: &str, fx: &mut Effects) {
        for window in &mut self.windows {
            if let Some(at) = window.member(source) {
                let prefix: String = window.names[at]
                    .chars()
                    .take_while(|c| matches!(c, '@' | '+'))
                    .collect();
                window.names[at] = format!("{prefix}{new}");
            } else if !window.is_channel() && eq_fold(&window.name, source) {
                window.name = new.to_owned();
            }
        }
        if self.is_me(source) {
            self.nick = Some(new.to_owned());
            fx.info(format!("* You are now known as {new}"));
        } else {
            fx.info(format!("* {source} is now known as {new}"));
        }
    }
}

/// ` (reason)`, or nothing for none.
fn reason(reason: Option<&str>) -> String {
    match reason {
        Some(r) if !r.is_empty() => format!(" ({r})"),
        _ => String::new(),
    }
}
