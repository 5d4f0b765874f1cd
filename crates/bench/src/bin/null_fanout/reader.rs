//! The readers' side of the null fan-out: one blocking thread per connection that answers
//! registration, JOIN and PING itself and hands each PRIVMSG line, prefixed with its
//! sender, to the writers.

use std::io::{ErrorKind, Read as _};
use std::net::TcpStream;
use std::sync::Arc;

use crate::fanout::{Hub, Member};

/// What a reader knows of its client, and what it has to send.
#[derive(Default)]
struct Client {
    nick: Vec<u8>,
    /// `:nick!u@null `, put before the lines it relays.
    prefix: Vec<u8>,
    user: bool,
    registered: bool,
    joined: bool,
    /// PRIVMSG lines for the writers.
    relay: Vec<u8>,
    /// Answers for this client alone.
    reply: Vec<u8>,
}

/// A reader: registration replies, JOIN, PING, and PRIVMSG lines handed to the writers.
pub(crate) fn serve(hub: Arc<Hub>, mut stream: TcpStream) {
    let _ = stream.set_nodelay(true);
    let Ok(clone) = stream.try_clone() else {
        return;
    };
    let member = Arc::new(hub.member(clone));
    let id = member.id;
    let mut buf = vec![0u8; 64 * 1024];
    let mut end = 0;
    let mut client = Client::default();
    'conn: loop {
        if end == buf.len() {
            end = 0; // a line longer than the buffer: dropped
        }
        let n = match stream.read(&mut buf[end..]) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(_) => break,
        };
        end += n;
        let mut start = 0;
        while let Some(pos) = buf[start..end].iter().position(|&b| b == b'\n') {
            let mut line = &buf[start..start + pos];
            start += pos + 1;
            if let [rest @ .., b'\r'] = line {
                line = rest;
            }
            if !client.on_line(line, &hub, &member) {
                break 'conn;
            }
        }
        buf.copy_within(start..end, 0);
        end -= start;
        if !client.reply.is_empty() {
            if member.deliver(&client.reply, hub.backlog_max).is_none() {
                break;
            }
            client.reply.clear();
        }
        if !client.relay.is_empty() {
            hub.relay(id, &client.relay);
            client.relay.clear();
        }
    }
    member.kill();
}

impl Client {
    /// One line from the client, without its CR LF: false for QUIT.
    fn on_line(&mut self, line: &[u8], hub: &Hub, member: &Arc<Member>) -> bool {
        let word_end = line.iter().position(|&b| b == b' ').unwrap_or(line.len());
        let (word, args) = line.split_at(word_end);
        let arg = args.trim_ascii_start();
        let first = arg.split(|&b| b == b' ').next().unwrap_or(b"");
        if word.eq_ignore_ascii_case(b"PRIVMSG") {
            self.relay.extend_from_slice(&self.prefix);
            self.relay.extend_from_slice(line);
            self.relay.extend_from_slice(b"\r\n");
        } else if word.eq_ignore_ascii_case(b"NICK") {
            self.nick = first.strip_prefix(b":").unwrap_or(first).to_vec();
            self.prefix = [b":", &self.nick[..], b"!u@null "].concat();
        } else if word.eq_ignore_ascii_case(b"USER") {
            self.user = true;
        } else if word.eq_ignore_ascii_case(b"JOIN") {
            self.join(first, hub, member);
        } else if word.eq_ignore_ascii_case(b"PING") {
            self.reply
                .extend_from_slice(&[b"PONG null ", arg, b"\r\n"].concat());
        } else if word.eq_ignore_ascii_case(b"QUIT") {
            return false;
        }
        if self.user && !self.nick.is_empty() && !self.registered {
            self.registered = true;
            self.reply
                .extend_from_slice(&[b":null 001 ", &self.nick[..], b" :Welcome\r\n"].concat());
        }
        true
    }

    /// JOIN of any channel: the echo and 366; the first makes the client a member of the
    /// one room.
    fn join(&mut self, channel: &[u8], hub: &Hub, member: &Arc<Member>) {
        self.reply
            .extend_from_slice(&[&self.prefix[..], b"JOIN ", channel, b"\r\n"].concat());
        self.reply.extend_from_slice(
            &[
                b":null 366 ",
                &self.nick[..],
                b" ",
                channel,
                b" :End of /NAMES list.\r\n",
            ]
            .concat(),
        );
        if !self.joined {
            self.joined = true;
            hub.add(member.clone());
        }
    }
}
