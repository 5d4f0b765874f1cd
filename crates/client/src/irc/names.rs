//! NAMES replies to the IRC client: 353 fills a channel window's nick list (the first of a
//! reply replaces it), and 366 shows it; names of a channel without a window are shown
//! at 366 and kept nowhere.

use crate::session::Kind;

use super::window::nick_of;
use super::{Effects, IrcSession};

impl IrcSession {
    /// 353 `= #chan :@amy bob`.
    pub(super) fn names_reply(&mut self, channel: &str, text: &str) {
        // userhost-in-names would give `nick!user@host`.
        let entries = text.split(' ').filter(|e| !e.is_empty()).map(nick_of);
        if let Some(at) = self.find(channel) {
            let window = &mut self.windows[at];
            if !window.reading_names {
                window.reading_names = true;
                window.names.clear();
            }
            for entry in entries {
                window.add(entry);
            }
        } else {
            match self.other_names.iter_mut().find(|(c, _)| c == channel) {
                Some((_, names)) => names.extend(entries.map(str::to_owned)),
                None => self
                    .other_names
                    .push((channel.to_owned(), entries.map(str::to_owned).collect())),
            }
        }
    }

    /// 366 `#chan :End of /NAMES list`.
    pub(super) fn end_of_names(&mut self, channel: &str, fx: &mut Effects) {
        if let Some(at) = self.find(channel) {
            let window = &mut self.windows[at];
            window.reading_names = false;
            let names = window.names.join(" ");
            let label = window.label();
            fx.push_to(Kind::Info, &label, format!("* Names in {channel}: {names}"));
        }
        for (channel, names) in std::mem::take(&mut self.other_names) {
            fx.info(format!("* Names in {channel}: {}", names.join(" ")));
        }
    }
}
