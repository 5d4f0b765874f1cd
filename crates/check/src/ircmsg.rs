//! One IRC line read apart (RFC 1459 section 2.3.1, as docs/irc.md's server writes it):
//! optional `@tags`, optional `:prefix`, the command, the parameters with the trailing
//! one unescaped of its `:`; and the scripted IRC client the IRC scenarios use.

use crate::wire::Wire;
use crate::Failure;
use std::net::SocketAddr;

/// The most lines a step skips while waiting for one command: more is a flood, not a burst.
const MAX_SKIPPED: usize = 200;

/// A parsed IRC message; `params` holds the trailing parameter last, without its `:`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Msg {
    pub prefix: Option<String>,
    pub command: String,
    pub params: Vec<String>,
}

impl Msg {
    /// Parses one line (without its CR LF); None for a line with no command.
    pub fn parse(line: &str) -> Option<Msg> {
        let mut rest = line.trim_end_matches(['\r', '\n']);
        if rest.starts_with('@') {
            rest = rest.split_once(' ')?.1;
        }
        let mut prefix = None;
        if let Some(p) = rest.strip_prefix(':') {
            let (p, r) = p.split_once(' ')?;
            prefix = Some(p.to_owned());
            rest = r;
        }
        let (head, trailing) = match rest.split_once(" :") {
            Some((head, trailing)) => (head, Some(trailing)),
            None => (rest, None),
        };
        let mut words = head.split(' ').filter(|w| !w.is_empty());
        let command = words.next()?.to_ascii_uppercase();
        let mut params: Vec<String> = words.map(str::to_owned).collect();
        params.extend(trailing.map(str::to_owned));
        Some(Msg {
            prefix,
            command,
            params,
        })
    }

    /// The nick of the prefix (`bob` of `bob!bob@host`).
    pub fn nick(&self) -> Option<&str> {
        let prefix = self.prefix.as_deref()?;
        Some(prefix.split('!').next().unwrap_or(prefix))
    }

    /// Parameter `i`, or "" when there are fewer.
    pub fn param(&self, i: usize) -> &str {
        self.params.get(i).map_or("", String::as_str)
    }
}

/// A registered (or registering) IRC client: a [`Wire`] and its nick.
pub struct Irc {
    pub wire: Wire,
    pub nick: String,
}

impl Irc {
    /// Connects without registering; the client is labelled by `nick`.
    pub async fn connect(addr: SocketAddr, nick: &str) -> Result<Irc, Failure> {
        Ok(Irc {
            wire: Wire::connect(addr, nick).await?,
            nick: nick.to_owned(),
        })
    }

    /// Connects and registers (NICK, USER), reading through 001 and the end of the MOTD.
    pub async fn registered(addr: SocketAddr, nick: &str) -> Result<Irc, Failure> {
        let mut c = Irc::connect(addr, nick).await?;
        c.send(&format!("NICK {nick}")).await?;
        c.send(&format!("USER {nick} 0 * :confab check")).await?;
        let welcome = c.until(&["001"]).await?;
        c.check(&welcome, "001", &[nick])?;
        c.until(&["376", "422"]).await?;
        Ok(c)
    }

    /// Sends one line; CR LF is added.
    pub async fn send(&mut self, line: &str) -> Result<(), Failure> {
        self.wire.send(format!("{line}\r\n").as_bytes()).await
    }

    /// The next message, answering any PING on the way (a server may ping at any time).
    pub async fn next(&mut self) -> Result<Msg, Failure> {
        for _ in 0..MAX_SKIPPED {
            let line = self.wire.read_line().await?;
            let text = String::from_utf8_lossy(&line);
            let Some(msg) = Msg::parse(&text) else {
                continue;
            };
            if msg.command == "PING" {
                let token = msg.param(0).to_owned();
                self.send(&format!("PONG :{token}")).await?;
                continue;
            }
            return Ok(msg);
        }
        Err(self.flooded("a message"))
    }

    /// Reads until a message whose command is one of `commands`, skipping others (a
    /// server may add notices and numerics of its own around the ones checked).
    pub async fn until(&mut self, commands: &[&str]) -> Result<Msg, Failure> {
        for _ in 0..MAX_SKIPPED {
            let msg = self.next().await?;
            if commands.contains(&msg.command.as_str()) {
                return Ok(msg);
            }
            if msg.command == "ERROR" {
                let step = format!(
                    "{}: expect {} (the server said ERROR)",
                    self.nick,
                    commands.join(" or ")
                );
                return Err(Failure::new(
                    step,
                    commands.join(" ").as_bytes(),
                    render(&msg).as_bytes(),
                ));
            }
        }
        Err(self.flooded(&commands.join(" or ")))
    }

    /// Reads until `command` and checks its first parameters are `params`.
    pub async fn expect(&mut self, command: &str, params: &[&str]) -> Result<Msg, Failure> {
        let msg = self.until(&[command]).await?;
        self.check(&msg, command, params)?;
        Ok(msg)
    }

    /// Checks the next message (nothing skipped but PINGs) is `command` from `from` with
    /// these first parameters: for what must arrive in order.
    pub async fn expect_next_from(
        &mut self,
        from: &str,
        command: &str,
        params: &[&str],
    ) -> Result<Msg, Failure> {
        let msg = self.next().await?;
        let from_ok = msg.nick().is_some_and(|n| n.eq_ignore_ascii_case(from));
        if !from_ok || msg.command != command {
            let want = format!(":{from}!... {command} {}", params.join(" "));
            let step = format!("{}: expect the next message", self.nick);
            return Err(Failure::new(step, want.as_bytes(), render(&msg).as_bytes()));
        }
        self.check(&msg, command, params)?;
        Ok(msg)
    }

    /// Fails unless `msg` is `command` with `params` as its first parameters (nicks and
    /// channels compared ignoring ASCII case, as CASEMAPPING=ascii says).
    pub fn check(&self, msg: &Msg, command: &str, params: &[&str]) -> Result<(), Failure> {
        let same = msg.command == command
            && params.len() <= msg.params.len()
            && params
                .iter()
                .zip(&msg.params)
                .all(|(want, got)| want.eq_ignore_ascii_case(got));
        if same {
            return Ok(());
        }
        let want = format!("{command} {}", params.join(" "));
        let step = format!("{}: expect {command}", self.nick);
        Err(Failure::new(step, want.as_bytes(), render(msg).as_bytes()))
    }

    fn flooded(&self, what: &str) -> Failure {
        Failure::note(format!(
            "{}: expect {what}: more than {MAX_SKIPPED} other lines came first",
            self.nick
        ))
    }
}

/// A message back as a line, for failure output.
fn render(msg: &Msg) -> String {
    let mut out = String::new();
    if let Some(p) = &msg.prefix {
        out.push_str(&format!(":{p} "));
    }
    out.push_str(&msg.command);
    for p in &msg.params {
        out.push(' ');
        out.push_str(p);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_prefix_middle_and_trailing() {
        let m = Msg::parse(":confab 353 alice = #chk :@alice bob").unwrap();
        assert_eq!(m.prefix.as_deref(), Some("confab"));
        assert_eq!(m.command, "353");
        assert_eq!(m.params, ["alice", "=", "#chk", "@alice bob"]);
        let m = Msg::parse("@time=x :bob!b@h privmsg alice hi\r").unwrap();
        assert_eq!(m.nick(), Some("bob"));
        assert_eq!(m.command, "PRIVMSG");
        assert_eq!(m.params, ["alice", "hi"]);
        assert_eq!(Msg::parse(""), None);
    }
}
