//! The IRC side of the harness: a test server with known IRC settings and `Irc`, a
//! scripted client speaking raw lines over the byte-level [`Wire`], every step bounded by
//! its timeout.

use std::time::Duration;

use confab_server::Oper;

// The rest of the harness an IRC test needs, so `use confab_testkit::irc::*` is enough.
pub use crate::{ok, Failure, Step, TestServer, Wire};

/// The server name the tests see in every reply.
pub const SERVER: &str = "irc.test";

/// A server with every listener, IRC named `irc.test`, one MOTD line and one operator.
pub async fn server() -> TestServer {
    server_with(|_| {}).await
}

/// Like [`server`], after `adjust` has changed the configuration further.
pub async fn server_with(adjust: impl FnOnce(&mut confab_server::Config)) -> TestServer {
    TestServer::start_with(|config| {
        config.irc.server_name = SERVER.into();
        config.irc.network = "TestNet".into();
        config.irc.motd = vec!["hello".into()];
        config.irc.opers = vec![Oper {
            name: "operuser".into(),
            password: "operpassword".into(),
        }];
        adjust(config);
    })
    .await
}

/// `alice`, with message-tags and echo-message (she reads her own messages back, with
/// their tags and msgid), and `bob`, with message-tags: the two sides of a tagged message.
pub async fn tagged_alice_and_bob(server: &TestServer) -> Result<(Irc, Irc), Failure> {
    let alice = Irc::register_with_caps(server, "alice", "message-tags echo-message").await?;
    let bob = Irc::register_with_caps(server, "bob", "message-tags").await?;
    Ok((alice, bob))
}

/// One IRC client.
pub struct Irc {
    pub wire: Wire,
    pub nick: String,
}

impl Irc {
    /// Connects without registering.
    pub async fn connect(server: &TestServer, label: &str) -> Result<Irc, Failure> {
        let wire = Wire::connect(server.addr("irc"), label).await?;
        Ok(Irc {
            wire,
            nick: label.to_string(),
        })
    }

    /// Connects and registers as `nick` (user name `nick`, real name `Real nick`), then
    /// skips the welcome burst up to the end of the MOTD.
    pub async fn register(server: &TestServer, nick: &str) -> Result<Irc, Failure> {
        let mut irc = Irc::connect(server, nick).await?;
        irc.send(&format!("NICK {nick}")).await?;
        irc.send(&format!("USER {nick} 0 * :Real {nick}")).await?;
        irc.skip_past(&format!(" 376 {nick} :End of /MOTD command."))
            .await?;
        Ok(irc)
    }

    /// Like `register`, with `CAP REQ :<caps>` negotiated first.
    pub async fn register_with_caps(
        server: &TestServer,
        nick: &str,
        caps: &str,
    ) -> Result<Irc, Failure> {
        let mut irc = Irc::connect(server, nick).await?;
        irc.send(&format!("CAP REQ :{caps}")).await?;
        let colon = if caps.contains(' ') { ":" } else { "" };
        irc.expect(&format!(":{SERVER} CAP * ACK {colon}{caps}"))
            .await?;
        irc.send(&format!("NICK {nick}")).await?;
        irc.send(&format!("USER {nick} 0 * :Real {nick}")).await?;
        irc.send("CAP END").await?;
        irc.skip_past(&format!(" 376 {nick} :End of /MOTD command."))
            .await?;
        Ok(irc)
    }

    /// `nick!nick@127.0.0.1`, how others see this client.
    pub fn mask(&self) -> String {
        format!("{0}!{0}@127.0.0.1", self.nick)
    }

    /// Sends one line; the CRLF is added.
    pub async fn send(&mut self, line: &str) -> Step {
        self.wire.send(format!("{line}\r\n").as_bytes()).await
    }

    /// Expects exactly this line (CRLF added) next.
    pub async fn expect(&mut self, line: &str) -> Step {
        self.wire.expect(format!("{line}\r\n").as_bytes()).await
    }

    /// Sends `line` and expects exactly `answer` next.
    pub async fn ask(&mut self, line: &str, answer: &str) -> Step {
        self.send(line).await?;
        self.expect(answer).await
    }

    /// Asks each `(line, answer)` in turn, as [`Irc::ask`]: a table of requests to one
    /// client, each answered by one line.
    pub async fn ask_all(&mut self, cases: &[(&str, &str)]) -> Step {
        for (line, answer) in cases {
            self.ask(line, answer).await?;
        }
        Ok(())
    }

    /// Expects these lines, in order.
    pub async fn expect_all(&mut self, lines: &[&str]) -> Step {
        for line in lines {
            self.expect(line).await?;
        }
        Ok(())
    }

    /// Expects a line carrying a `server-time` tag (checked for shape, then masked) and
    /// then exactly `rest`.
    pub async fn expect_timed(&mut self, rest: &str) -> Step {
        let line = self.wire.read_line().await?;
        let text = String::from_utf8_lossy(&line).into_owned();
        let ok = text
            .strip_prefix("@time=")
            .and_then(|t| t.split_once(' '))
            .is_some_and(|(time, after)| is_iso_time(time) && after.trim_end_matches('\r') == rest);
        if ok {
            Ok(())
        } else {
            Err(Failure::new(
                format!("{}: expect a timed line", self.nick),
                format!("@time=YYYY-MM-DDThh:mm:ss.sssZ {rest}\r").as_bytes(),
                &line,
            ))
        }
    }

    /// Reads the next line, which must be `@msgid=<id>[;<tags>] <rest>` with `<tags>` and
    /// `<rest>` as given; returns the id.
    pub async fn expect_msgid(&mut self, tags: &str, rest: &str) -> Result<String, Failure> {
        let line = self.wire.read_line().await?;
        let text = String::from_utf8_lossy(&line).into_owned();
        let id = text
            .strip_prefix("@msgid=")
            .and_then(|t| t.split([';', ' ']).next())
            .unwrap_or("")
            .to_string();
        let expected = if tags.is_empty() {
            format!("@msgid={id} {rest}\r")
        } else {
            format!("@msgid={id};{tags} {rest}\r")
        };
        if !id.is_empty() && text == expected {
            Ok(id)
        } else {
            Err(Failure::new(
                format!("{}: expect a line with a msgid", self.nick),
                format!("@msgid=<id>;{tags} {rest}\r").as_bytes(),
                &line,
            ))
        }
    }

    /// Reads up to and including the line ending with `tail`.
    pub async fn skip_past(&mut self, tail: &str) -> Step {
        self.wire.skip_until(format!("{tail}\r\n").as_bytes()).await
    }

    /// Joins a channel and skips its names list.
    pub async fn join(&mut self, chan: &str) -> Step {
        self.send(&format!("JOIN {chan}")).await?;
        self.skip_past(&format!(" 366 {} {chan} :End of /NAMES list", self.nick))
            .await
    }

    /// Nothing arrives for a moment.
    pub async fn silence(&mut self) -> Step {
        self.wire.expect_silence(Duration::from_millis(200)).await
    }

    /// Sends a PING and expects its PONG: everything the server sent before is in.
    pub async fn sync(&mut self) -> Step {
        self.send("PING sync").await?;
        self.expect(&format!(":{SERVER} PONG {SERVER} sync")).await
    }

    /// Sends a PING and skips everything up to its PONG (JOINs of others, say).
    pub async fn skip_to_sync(&mut self) -> Step {
        self.send("PING sync").await?;
        self.skip_past(&format!(":{SERVER} PONG {SERVER} sync"))
            .await
    }
}

/// Every client of `clients` expects `@msgid=<id>[;<tags>] <rest>` (as
/// [`Irc::expect_msgid`]) with one and the same id, as an echo and its relays carry;
/// returns the id.
pub async fn all_expect_msgid(
    clients: &mut [&mut Irc],
    tags: &str,
    rest: &str,
) -> Result<String, Failure> {
    let mut first: Option<String> = None;
    for client in clients.iter_mut() {
        let id = client.expect_msgid(tags, rest).await?;
        match &first {
            None => first = Some(id),
            Some(same) if *same == id => {}
            Some(same) => {
                let step = format!("{}: the same msgid as the others", client.nick);
                return Err(Failure::new(step, same.as_bytes(), id.as_bytes()));
            }
        }
    }
    Ok(first.unwrap_or_default())
}

/// Every client of `clients` expects exactly `line` next (one line seen by many, such as
/// a channel's members).
pub async fn all_expect(clients: &mut [&mut Irc], line: &str) -> Step {
    for client in clients.iter_mut() {
        client.expect(line).await?;
    }
    Ok(())
}

/// `YYYY-MM-DDThh:mm:ss.sssZ`.
fn is_iso_time(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 24
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b'T',
            13 | 16 => *c == b':',
            19 => *c == b'.',
            23 => *c == b'Z',
            _ => c.is_ascii_digit(),
        })
}
