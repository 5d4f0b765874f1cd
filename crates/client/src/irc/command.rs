//! Typed lines of the IRC client: its own `/commands` (`/join`, `/part`, `/msg`, `/query`,
//! `/me`, `/topic`, `/names`, `/who`, `/window`, `/raw`, `/quit` ...), any other `/word`
//! passed to the server as the command `WORD`, and plain text to the current window.

use crate::session::{End, Kind};

use super::window::label;
use super::{Effects, IrcSession, CTCP};

pub const NO_TARGET: &str = "No channel or query here: /join #CHANNEL or /query NICK first";

pub const HELP: &str = "Commands: /join #C, /part [#C] [reason], /msg NICK TEXT, /query NICK, \
     /me ACTION, /nick NEW, /topic [TEXT], /names, /who [MASK], /whois NICK, /list, \
     /window N|next|prev, /raw LINE, /quit [reason]; other /WORDs go to the server as is. \
     Plain text goes to the current channel or query.";

impl IrcSession {
    /// A typed `/command`: the table of the client's own commands, each one line here or
    /// one function below.
    pub(super) fn on_command(&mut self, line: &str, fx: &mut Effects) {
        let (word, rest) = line.split_once(' ').unwrap_or((line, ""));
        let rest = rest.trim_start();
        let arg = first_word(rest);
        match word.to_ascii_lowercase().as_str() {
            "/join" | "/j" if !arg.is_empty() => self.join(rest, fx),
            "/part" | "/leave" | "/close" => self.part(rest, fx),
            "/msg" | "/query" if word.eq_ignore_ascii_case("/msg") || !arg.is_empty() => {
                self.msg_or_query(word, arg, rest, fx);
            }
            "/me" => self.action(rest, fx),
            "/nick" if !arg.is_empty() => self.send("NICK", &[arg], fx),
            "/topic" => self.topic(rest, fx),
            "/names" => self.ask_about_channel("NAMES", arg, &[], fx),
            "/who" => self.ask_about_channel("WHO", arg, &["*"], fx),
            "/whois" if !arg.is_empty() => self.send("WHOIS", &[arg], fx),
            "/list" if rest.is_empty() => self.send("LIST", &[], fx),
            "/list" => self.send("LIST", &[rest], fx),
            "/quit" | "/exit" => self.quit(rest, fx),
            "/raw" | "/quote" if !rest.is_empty() => {
                fx.send.extend_from_slice(rest.as_bytes());
                fx.send.extend_from_slice(b"\r\n");
            }
            "/away" if rest.is_empty() => self.send("AWAY", &[], fx),
            "/away" => self.send("AWAY", &[rest], fx),
            "/window" | "/win" | "/w" => self.window(arg, fx),
            "/help" => fx.info(HELP),
            "/join" | "/j" | "/nick" | "/whois" | "/raw" | "/quote" | "/query" => {
                fx.info(format!("{word} needs an argument (see /help)"));
            }
            _ => pass_to_server(word, rest, fx),
        }
    }

    /// `/join #a,b [key]`: a channel named without `#` gets one (`0`, "part all", stays).
    fn join(&mut self, rest: &str, fx: &mut Effects) {
        let (channels, key) = rest.split_once(' ').unwrap_or((rest, ""));
        let channels = channels
            .split(',')
            .map(|c| {
                if c.starts_with('#') || c == "0" {
                    c.to_owned()
                } else {
                    format!("#{c}")
                }
            })
            .collect::<Vec<_>>()
            .join(",");
        let mut params = vec![channels.as_str()];
        if !key.trim().is_empty() {
            params.push(key.trim());
        }
        self.send("JOIN", &params, fx);
        self.sync = true;
    }

    /// `/msg NICK TEXT` sends; `/query NICK [TEXT]` opens the query window, takes the
    /// focus, and sends the text if there is any.
    fn msg_or_query(&mut self, word: &str, arg: &str, rest: &str, fx: &mut Effects) {
        let text = rest[arg.len()..].trim_start();
        if word.eq_ignore_ascii_case("/query") {
            let at = self.open(arg);
            self.current = Some(at);
        } else if text.is_empty() {
            fx.info("Usage: /msg NICK TEXT");
            return;
        }
        if !text.is_empty() {
            self.privmsg(arg, text, fx);
        }
    }

    /// `/me ACTION`: a CTCP ACTION to the current window, shown as `* amy ACTION`.
    fn action(&mut self, rest: &str, fx: &mut Effects) {
        let Some(target) = self.target().map(|w| w.name.clone()) else {
            fx.info(NO_TARGET);
            return;
        };
        self.send(
            "PRIVMSG",
            &[&target, &format!("{CTCP}ACTION {rest}{CTCP}")],
            fx,
        );
        let text = format!("[{}] * {} {rest}", label(&target), self.me());
        fx.push_to(Kind::Own, &label(&target), text);
    }

    /// `/topic` asks for the current channel's topic; `/topic TEXT` sets it.
    fn topic(&mut self, rest: &str, fx: &mut Effects) {
        match self.current_channel().map(str::to_owned) {
            Some(channel) if rest.is_empty() => self.send("TOPIC", &[&channel], fx),
            Some(channel) => self.send("TOPIC", &[&channel, rest], fx),
            None => fx.info("Not in a channel: /join #CHANNEL first"),
        }
    }

    /// `/names [#C]`, `/who [MASK]`: about the argument, else the current channel, else
    /// with `otherwise` as the parameters.
    fn ask_about_channel(
        &mut self,
        command: &str,
        arg: &str,
        otherwise: &[&str],
        fx: &mut Effects,
    ) {
        match (arg, self.current_channel()) {
            ("", Some(channel)) => {
                let channel = channel.to_owned();
                self.send(command, &[&channel], fx);
            }
            ("", None) => self.send(command, otherwise, fx),
            (arg, _) => self.send(command, &[arg], fx),
        }
    }

    /// `/part [#C] [reason]`: leaves a channel, or closes a query window.
    pub(super) fn part(&mut self, rest: &str, fx: &mut Effects) {
        let (name, reason) = match first_word(rest) {
            w if w.starts_with('#') => (w.to_owned(), rest[w.len()..].trim_start()),
            _ => match self.target() {
                Some(w) => (w.name.clone(), rest),
                None => {
                    fx.info("Not in a channel or query");
                    return;
                }
            },
        };
        if name.starts_with('#') {
            let mut params = vec![name.as_str()];
            if !reason.is_empty() {
                params.push(reason);
            }
            self.send("PART", &params, fx);
            self.sync = true;
        } else if let Some(at) = self.find(&name) {
            // A query has nothing to leave on the server: its window closes.
            self.close(at);
        }
    }

    pub(super) fn quit(&mut self, reason: &str, fx: &mut Effects) {
        let reason = if reason.is_empty() { "Leaving" } else { reason };
        self.send("QUIT", &[reason], fx);
        self.quitting = true;
        fx.end(End::WhenClosed);
    }

    /// `/window N` (1 is the status), `/window next`, `/window prev`.
    fn window(&mut self, arg: &str, fx: &mut Effects) {
        // Positions: 0 is the status, then the windows.
        let count = self.windows.len() + 1;
        let now = self.current.map_or(0, |c| c + 1);
        let to = match arg.to_ascii_lowercase().as_str() {
            "next" | "n" => (now + 1) % count,
            "prev" | "p" => (now + count - 1) % count,
            n => match n.parse::<usize>() {
                Ok(n) if (1..=count).contains(&n) => n - 1,
                _ => {
                    fx.info(format!("Windows are 1 to {count}: /window N, next or prev"));
                    return;
                }
            },
        };
        self.current = to.checked_sub(1);
    }

    /// Sends `text` to `target` and shows it (to the full-screen UI, which has no
    /// typed line on screen).
    fn privmsg(&mut self, target: &str, text: &str, fx: &mut Effects) {
        self.send("PRIVMSG", &[target, text], fx);
        let window = if target.starts_with('#') {
            target.to_owned()
        } else {
            let at = self.open(target);
            self.windows[at].name.clone()
        };
        let window = label(&window);
        fx.push_to(
            Kind::Own,
            &window,
            format!("[{window}] <{}> {text}", self.me()),
        );
    }

    /// Text for the current window.
    pub(super) fn plain(&mut self, text: &str, fx: &mut Effects) {
        match self.target().map(|w| w.name.clone()) {
            Some(target) => self.privmsg(&target, text, fx),
            None => fx.info(NO_TARGET),
        }
    }
}

/// Any other command is the server's, sent as typed: `/mode #lobby +m` is `MODE #lobby +m`.
fn pass_to_server(word: &str, rest: &str, fx: &mut Effects) {
    let command = word[1..].to_ascii_uppercase();
    if command.is_empty() {
        return;
    }
    fx.send.extend_from_slice(command.as_bytes());
    if !rest.is_empty() {
        fx.send.extend_from_slice(b" ");
        fx.send.extend_from_slice(rest.as_bytes());
    }
    fx.send.extend_from_slice(b"\r\n");
}

fn first_word(text: &str) -> &str {
    text.split(' ').next().unwrap_or("")
}
