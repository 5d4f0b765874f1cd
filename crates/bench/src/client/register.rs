//! Registering one benchmark connection in its protocol's own way: a name (IRC: NICK and
//! USER, counted once 001 arrived), and a room where the protocol has them, each answer
//! awaited until a deadline.

use anyhow::{anyhow, bail};
use bytes::BytesMut;
use confab_proto::irc::Message;
use confab_proto::packet::{self, ClientPacket};
use confab_proto::prefixed::{self, Width};
use confab_proto::Protocol;
use tokio::time::{timeout_at, Instant};

use super::chat::{is_irc_error, pong};
use super::{Conn, Frame};

impl Conn {
    /// Logs in as `name` and, where the protocol has rooms and `room` is given, joins it.
    /// IRC: NICK/USER, then waits for 001 (answering PING meanwhile), then JOIN and 366.
    pub async fn register(
        &mut self,
        name: &str,
        room: Option<&str>,
        deadline: Instant,
    ) -> anyhow::Result<()> {
        match self.protocol {
            Protocol::Irc => self.register_irc(name, room, deadline).await,
            Protocol::Prefixed => {
                let mut out = BytesMut::new();
                prefixed::encode(Width::Four, format!("NAME {name}").as_bytes(), &mut out);
                self.write(&out).await?;
                let hello = format!("Hello {name}");
                loop {
                    let frame = self.expect_frame(deadline).await?;
                    if frame.bytes == hello.as_bytes() {
                        return Ok(());
                    }
                    if frame.bytes.starts_with(b"Error:") {
                        bail!("NAME {name}: {}", String::from_utf8_lossy(&frame.bytes));
                    }
                }
            }
            Protocol::Packet => {
                let mut out = BytesMut::new();
                ClientPacket::Login {
                    name: name.to_owned(),
                }
                .encode(&mut out);
                self.write(&out).await?;
                loop {
                    let frame = self.expect_frame(deadline).await?;
                    if frame.kind == packet::kind::RESPONSE {
                        return match frame.bytes.first() {
                            Some(0) => Ok(()),
                            other => bail!("login {name}: RESPONSE {other:?}"),
                        };
                    }
                }
            }
            Protocol::Rooms => {
                let room = room.unwrap_or("lobby");
                self.write(format!("/join {room}\n").as_bytes()).await?;
                self.expect_code(&format!("/join {room}"), deadline).await?;
                self.write(format!("/nick {name}\n").as_bytes()).await?;
                self.expect_code(&format!("/nick {name}"), deadline).await
            }
            Protocol::Broadcast => {
                self.write(format!("{name}\n").as_bytes()).await?;
                loop {
                    let frame = self.expect_frame(deadline).await?;
                    if frame.bytes.starts_with(b"Welcome to the chat") {
                        return Ok(());
                    }
                    if frame.bytes.starts_with(b"Username") {
                        bail!("name {name}: {}", String::from_utf8_lossy(&frame.bytes));
                    }
                }
            }
        }
    }

    async fn register_irc(
        &mut self,
        name: &str,
        room: Option<&str>,
        deadline: Instant,
    ) -> anyhow::Result<()> {
        self.write(format!("NICK {name}\r\nUSER {name} 0 * :confab bench\r\n").as_bytes())
            .await?;
        self.irc_until(deadline, "001", |m| m.is("001")).await?;
        if let Some(room) = room {
            self.write(format!("JOIN #{room}\r\n").as_bytes()).await?;
            // 366 ends the NAMES burst that follows a successful JOIN.
            self.irc_until(deadline, "366 after JOIN", |m| m.is("366"))
                .await?;
        }
        Ok(())
    }

    /// Reads IRC lines until `done` holds, answering PING; an error numeric or ERROR fails.
    async fn irc_until(
        &mut self,
        deadline: Instant,
        what: &str,
        done: impl Fn(&Message) -> bool,
    ) -> anyhow::Result<()> {
        loop {
            let frame = self.expect_frame(deadline).await?;
            let Ok(message) = Message::parse(&frame.bytes) else {
                continue;
            };
            if done(&message) {
                return Ok(());
            }
            if message.is("PING") {
                let pong = pong(message.param(0).unwrap_or(""));
                self.write(&pong).await?;
            } else if message.is("ERROR") || is_irc_error(&message) {
                bail!(
                    "waiting for {what}: {}",
                    String::from_utf8_lossy(&frame.bytes)
                );
            }
        }
    }

    /// Reads `rooms` lines until a reply code: `0` succeeds, any other code fails.
    async fn expect_code(&mut self, command: &str, deadline: Instant) -> anyhow::Result<()> {
        loop {
            let frame = self.expect_frame(deadline).await?;
            match &frame.bytes[..] {
                b"0" => return Ok(()),
                [code] if code.is_ascii_digit() => bail!("{command}: reply {}", *code as char),
                _ => {}
            }
        }
    }

    /// The next frame, reading as needed until `deadline`.
    async fn expect_frame(&mut self, deadline: Instant) -> anyhow::Result<Frame> {
        loop {
            if let Some(frame) = self.next_frame() {
                return Ok(frame);
            }
            match timeout_at(deadline, self.fill()).await {
                Err(_) => bail!("timed out"),
                Ok(Ok(false)) => bail!("the server closed the connection"),
                Ok(Ok(true)) => {}
                Ok(Err(e)) => return Err(anyhow!(e).context("read failed")),
            }
        }
    }
}
