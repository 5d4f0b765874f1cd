//! The IRC client's windows: one per channel and query, each channel's nick list as the
//! server names its members (`@amy`, `+bob`), and which window typed lines go to.

use confab_proto::irc::eq_fold;

use super::IrcSession;

/// A channel or query window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Window {
    /// `#lobby`, or the nick of a query.
    pub(super) name: String,
    /// Channel members as the server names them, prefix included (`@amy`, `+bob`).
    pub(super) names: Vec<String>,
    /// A NAMES reply is being read into `names`: the first 353 replaces them.
    pub(super) reading_names: bool,
}

impl Window {
    fn new(name: &str) -> Window {
        Window {
            name: name.to_owned(),
            names: Vec::new(),
            reading_names: false,
        }
    }

    pub(super) fn is_channel(&self) -> bool {
        self.name.starts_with('#')
    }

    /// The label in lines and in the window list: `#lobby` or `query bob`.
    pub(super) fn label(&self) -> String {
        label(&self.name)
    }

    pub(super) fn member(&self, nick: &str) -> Option<usize> {
        self.names
            .iter()
            .position(|n| eq_fold(strip_prefix(n), nick))
    }

    pub(super) fn add(&mut self, entry: &str) {
        match self.member(strip_prefix(entry)) {
            Some(at) => self.names[at] = entry.to_owned(),
            None => self.names.push(entry.to_owned()),
        }
    }

    pub(super) fn remove(&mut self, nick: &str) -> bool {
        let before = self.names.len();
        self.names.retain(|n| !eq_fold(strip_prefix(n), nick));
        self.names.len() != before
    }
}

/// The label of the window for `name`: `#lobby`, or `query bob`.
pub(super) fn label(name: &str) -> String {
    if name.starts_with('#') {
        name.to_owned()
    } else {
        format!("query {name}")
    }
}

/// `@amy` is `amy`.
pub(super) fn strip_prefix(entry: &str) -> &str {
    entry.trim_start_matches(['@', '+'])
}

/// The nick of a source `nick!user@host` (a server name stays whole).
pub(super) fn nick_of(source: &str) -> &str {
    source.split('!').next().unwrap_or(source)
}

impl IrcSession {
    pub(super) fn find(&self, name: &str) -> Option<usize> {
        self.windows.iter().position(|w| eq_fold(&w.name, name))
    }

    /// The window for `name`, opened at the end of the list if there is none.
    pub(super) fn open(&mut self, name: &str) -> usize {
        match self.find(name) {
            Some(at) => at,
            None => {
                self.windows.push(Window::new(name));
                self.windows.len() - 1
            }
        }
    }

    pub(super) fn close(&mut self, at: usize) {
        self.windows.remove(at);
        self.current = match self.current {
            Some(c) if c == at => self.windows.len().checked_sub(1),
            Some(c) if c > at => Some(c - 1),
            other => other,
        };
    }

    /// The window typed lines go to; `None` is the status.
    pub(super) fn target(&self) -> Option<&Window> {
        self.current.and_then(|c| self.windows.get(c))
    }

    pub(super) fn current_channel(&self) -> Option<&str> {
        self.target()
            .filter(|w| w.is_channel())
            .map(|w| w.name.as_str())
    }
}
