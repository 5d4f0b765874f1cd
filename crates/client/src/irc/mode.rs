//! MODE to the IRC client: shown, and a channel's `+o`/`+v` kept in its nick list's
//! prefixes (`@amy`, `+bob`).

use confab_proto::irc::Message;

use crate::session::Kind;

use super::window::{label, strip_prefix};
use super::{Effects, IrcSession};

impl IrcSession {
    /// Channel modes: shown, and `+o`/`+v` kept in the nick list's prefixes.
    pub(super) fn on_mode(&mut self, m: &Message<'_>, source: &str, fx: &mut Effects) {
        let target = m.param(0).unwrap_or("");
        let change = m.params.get(1..).unwrap_or(&[]).join(" ");
        if !target.starts_with('#') {
            fx.info(format!("* {source} set mode {change} on {target}"));
            return;
        }
        if let Some(at) = self.find(target) {
            let mut args = m.params.iter().skip(2);
            let mut adding = true;
            for c in m.param(1).unwrap_or("").chars() {
                match c {
                    '+' => adding = true,
                    '-' => adding = false,
                    'o' | 'v' => {
                        let Some(nick) = args.next() else { break };
                        let window = &mut self.windows[at];
                        if let Some(i) = window.member(nick) {
                            window.names[i] = with_mode(&window.names[i], c, adding);
                        }
                    }
                    // Modes with an argument (when set; the key and bans also unset).
                    'b' | 'e' | 'k' => {
                        args.next();
                    }
                    'l' if adding => {
                        args.next();
                    }
                    _ => {}
                }
            }
        }
        fx.push_to(
            Kind::Info,
            &label(target),
            format!("* {source} set mode {change} on {target}"),
        );
    }
}

/// A nick list entry with `+o`/`-o`/`+v`/`-v` applied; it shows the highest (`@`).
fn with_mode(entry: &str, mode: char, adding: bool) -> String {
    let nick = strip_prefix(entry);
    let mut op = entry[..entry.len() - nick.len()].contains('@');
    let mut voice = entry[..entry.len() - nick.len()].contains('+');
    match mode {
        'o' => op = adding,
        _ => voice = adding,
    }
    let prefix = if op {
        "@"
    } else if voice {
        "+"
    } else {
        ""
    };
    format!("{prefix}{nick}")
}
