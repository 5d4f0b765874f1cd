//! Numeric replies to the IRC client: the welcome (which joins `--join`'s channels), a
//! refused nick while registering, and how each reply the user asked for reads. NAMES
//! replies, which keep the nick lists, are in `names.rs`.

use confab_proto::irc::Message;

use crate::session::{End, Kind};

use super::window::label;
use super::{Effects, IrcSession, Stage};

impl IrcSession {
    /// The table of numerics: what each shows, or does. Parameter 0 is our nick.
    pub(super) fn on_numeric(&mut self, code: u16, m: &Message<'_>, fx: &mut Effects) {
        let p = |i: usize| m.param(i).unwrap_or("");
        let rest = m.params.get(1..).unwrap_or(&[]);
        let text = m.params.last().copied().unwrap_or("");
        match code {
            1 => self.welcomed(p(0), text, fx),
            // The rest of the welcome, LUSERS and the MOTD's frame: nothing to read.
            2..=5 | 250..=266 | 375 | 376 | 422 | 315 | 318 | 321 | 333 | 329 => {}
            372 => fx.received(text.strip_prefix("- ").unwrap_or(text)),
            433 | 432 if self.stage != Stage::Registered => self.nick_refused(code, p(1), text, fx),
            353 => self.names_reply(p(2), text),
            366 => self.end_of_names(p(1), fx),
            332 => fx.push_to(
                Kind::Info,
                &label(p(1)),
                format!("* Topic of {}: {text}", p(1)),
            ),
            331 => fx.push_to(Kind::Info, &label(p(1)), format!("* {} has no topic", p(1))),
            322 => list_entry(m, fx),
            323 => fx.info("* End of the channel list"),
            352 => who_entry(m, fx),
            311 => fx.info(format!("* {} is {}@{} ({text})", p(1), p(2), p(3))),
            319 => fx.info(format!("* {} is on {text}", p(1))),
            312 => fx.info(format!("* {} is connected to {} ({text})", p(1), p(2))),
            301 => fx.info(format!("* {} is away: {text}", p(1))),
            305 | 306 => fx.info(format!("* {text}")),
            400..=599 => error_reply(rest, text, fx),
            _ => fx.received(rest.join(" ")),
        }
    }

    /// 001: registered as `nick`; join the channels of `--join` and wait for them.
    fn welcomed(&mut self, nick: &str, text: &str, fx: &mut Effects) {
        self.stage = Stage::Registered;
        self.nick = Some(nick.to_owned());
        fx.received(text);
        for channel in std::mem::take(&mut self.autojoin) {
            let channel = if channel.starts_with('#') {
                channel
            } else {
                format!("#{channel}")
            };
            self.send("JOIN", &[&channel], fx);
            self.sync = true;
        }
        self.ping_if_synced(fx);
    }

    /// 433 or 432 before the welcome: ask for another nick, or (a script) try with `_`.
    fn nick_refused(&mut self, code: u16, nick: &str, text: &str, fx: &mut Effects) {
        fx.error(format!("error: {nick}: {text}"));
        if code == 433 && self.script {
            let next = format!("{nick}_");
            fx.info(format!("Trying the nickname {next}"));
            self.send("NICK", &[&next], fx);
            self.nick = Some(next);
        } else if self.script {
            fx.end(End::Broken);
        } else {
            self.nick = None;
            self.stage = Stage::AskNick;
            fx.info("Choose another nickname.");
        }
    }
}

/// 322 `#chan users :topic`, a line of LIST.
fn list_entry(m: &Message<'_>, fx: &mut Effects) {
    let p = |i: usize| m.param(i).unwrap_or("");
    let text = m.params.last().copied().unwrap_or("");
    let topic = if text.is_empty() || m.params.len() < 4 {
        String::new()
    } else {
        format!(": {text}")
    };
    fx.info(format!("* {} ({} users){topic}", p(1), p(2)));
}

/// 352 `#chan user host server nick flags :hops realname`, a line of WHO.
fn who_entry(m: &Message<'_>, fx: &mut Effects) {
    let p = |i: usize| m.param(i).unwrap_or("");
    let text = m.params.last().copied().unwrap_or("");
    let real = text.split_once(' ').map_or("", |(_, r)| r);
    fx.info(format!(
        "* {} {} {} ({}@{}) {real}",
        p(1),
        p(5),
        p(6),
        p(2),
        p(3)
    ));
}

/// 400 to 599: `error: about: text`, where `about` is the parameters between our nick
/// and the text.
fn error_reply(rest: &[&str], text: &str, fx: &mut Effects) {
    let about: Vec<&str> = rest[..rest.len().saturating_sub(1)].to_vec();
    if about.is_empty() {
        fx.error(format!("error: {text}"));
    } else {
        fx.error(format!("error: {}: {text}", about.join(" ")));
    }
}
