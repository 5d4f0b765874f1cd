//! `null_fanout`: the loopback limit for a fan-out, the baseline `bench/compare` measures
//! every server against. It speaks just enough IRC for `confab bench` (001 after NICK and
//! USER, 366 after JOIN, PONG for PING) and otherwise only relays: each PRIVMSG line from
//! a member goes, as `:nick!u@null PRIVMSG ...`, to every other member of the one room
//! (whatever channel name was joined). Nothing is parsed beyond the command word, nothing
//! is checked, no state is kept but the member list.
//!
//! One blocking reader thread per connection; one writer thread per core, each owning a
//! share of the members. A reader appends what its client sent to every writer's pending
//! buffer; a writer takes all that is pending at once and sends it, coalesced, with one
//! non-blocking `send` per member (the sender's own lines left out), at most once per
//! `--tick-us` (1 ms: messages arriving within a tick share one send per member, which is
//! what keeps the syscalls, and the generator's reads, per member bounded). What a socket
//! does not take waits in a per-member backlog; a member whose backlog passes
//! `--backlog-max` is dropped.
//!
//! `null_fanout [--listen ADDR] [--threads N] [--backlog-max BYTES] [--tick-us US]`;
//! prints `listening ADDR` once bound and runs until killed.

use std::io::{ErrorKind, Read as _};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering::Relaxed};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rustix::io::Errno;
use rustix::net::{send, SendFlags};

/// One connection as the writers see it.
struct Member {
    id: u32,
    stream: TcpStream,
    /// Bytes the socket has not taken yet.
    backlog: Mutex<Vec<u8>>,
    dead: AtomicBool,
}

/// What a writer still has to send: the bytes, and which member sent each segment.
#[derive(Default)]
struct Pending {
    buf: Vec<u8>,
    segs: Vec<(u32, usize, usize)>,
}

struct Writer {
    pending: Mutex<Pending>,
    wake: Condvar,
    members: Mutex<Vec<Arc<Member>>>,
}

struct Hub {
    writers: Vec<Writer>,
    next_id: AtomicU32,
    backlog_max: usize,
    tick: Duration,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Member {
    /// Queues `data` behind the backlog and sends what the socket takes without blocking.
    /// `None` when the member is gone (error, or backlog over the limit); else whether a
    /// backlog remains.
    fn deliver(&self, data: &[u8], max: usize) -> Option<bool> {
        if self.dead.load(Relaxed) {
            return None;
        }
        let mut backlog = lock(&self.backlog);
        let mut rest = data;
        if backlog.is_empty() {
            let sent = self.send(rest)?;
            rest = &rest[sent..];
        }
        backlog.extend_from_slice(rest);
        let mut done = 0;
        while done < backlog.len() {
            match self.send(&backlog[done..])? {
                0 => break,
                n => done += n,
            }
        }
        backlog.drain(..done);
        if backlog.len() > max {
            return None;
        }
        Some(!backlog.is_empty())
    }

    /// One non-blocking send: bytes taken (0 when the socket is full), `None` on error.
    fn send(&self, data: &[u8]) -> Option<usize> {
        if data.is_empty() {
            return Some(0);
        }
        loop {
            match send(
                &self.stream,
                data,
                SendFlags::DONTWAIT | SendFlags::NOSIGNAL,
            ) {
                Ok(n) => return Some(n),
                Err(Errno::AGAIN) => return Some(0),
                Err(Errno::INTR) => continue,
                Err(_) => return None,
            }
        }
    }

    fn kill(&self) {
        self.dead.store(true, Relaxed);
        let _ = self.stream.shutdown(Shutdown::Both);
    }
}

/// A writer: take everything pending, send it to each of its members, repeat.
fn write_loop(hub: Arc<Hub>, index: usize) {
    let w = &hub.writers[index];
    let mut batch = Pending::default();
    let mut senders: Vec<u32> = Vec::new();
    let mut filtered: Vec<u8> = Vec::new();
    let mut backlogged = false;
    let mut last_round = Instant::now();
    loop {
        {
            let mut p = lock(&w.pending);
            if p.buf.is_empty() {
                p = if backlogged {
                    // Retry the backlogs soon even if nothing new arrives.
                    w.wake
                        .wait_timeout(p, Duration::from_millis(1))
                        .map_or_else(|e| e.into_inner().0, |r| r.0)
                } else {
                    w.wake.wait(p).unwrap_or_else(|e| e.into_inner())
                };
            }
        }
        // At most one round per tick: what arrives meanwhile joins this round, so a busy
        // room costs one send per member per tick rather than one per message.
        let since = last_round.elapsed();
        if since < hub.tick {
            std::thread::sleep(hub.tick - since);
        }
        std::mem::swap(&mut *lock(&w.pending), &mut batch);
        last_round = Instant::now();
        senders.clear();
        senders.extend(batch.segs.iter().map(|s| s.0));
        senders.sort_unstable();
        senders.dedup();
        backlogged = false;
        let mut members = lock(&w.members);
        members.retain(|m| {
            let data: &[u8] = if senders.binary_search(&m.id).is_ok() {
                filtered.clear();
                for &(from, start, end) in &batch.segs {
                    if from != m.id {
                        filtered.extend_from_slice(&batch.buf[start..end]);
                    }
                }
                &filtered
            } else {
                &batch.buf
            };
            match m.deliver(data, hub.backlog_max) {
                Some(more) => {
                    backlogged |= more;
                    true
                }
                None => {
                    m.kill();
                    false
                }
            }
        });
        drop(members);
        batch.buf.clear();
        batch.segs.clear();
    }
}

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
fn serve(hub: Arc<Hub>, mut stream: TcpStream) {
    let _ = stream.set_nodelay(true);
    let Ok(clone) = stream.try_clone() else {
        return;
    };
    let id = hub.next_id.fetch_add(1, Relaxed);
    let member = Arc::new(Member {
        id,
        stream: clone,
        backlog: Mutex::new(Vec::new()),
        dead: AtomicBool::new(false),
    });
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
            let w = &hub.writers[member.id as usize % hub.writers.len()];
            lock(&w.members).push(member.clone());
        }
    }
}

impl Hub {
    fn new(threads: usize, backlog_max: usize, tick_us: u64) -> Hub {
        Hub {
            writers: (0..threads)
                .map(|_| Writer {
                    pending: Mutex::new(Pending::default()),
                    wake: Condvar::new(),
                    members: Mutex::new(Vec::new()),
                })
                .collect(),
            next_id: AtomicU32::new(0),
            backlog_max,
            tick: Duration::from_micros(tick_us),
        }
    }

    /// Appends member `id`'s PRIVMSG lines to every writer's pending buffer and wakes it.
    fn relay(&self, id: u32, relay: &[u8]) {
        for w in &self.writers {
            let mut p = lock(&w.pending);
            let at = p.buf.len();
            p.buf.extend_from_slice(relay);
            let seg = (id, at, p.buf.len());
            p.segs.push(seg);
            drop(p);
            w.wake.notify_one();
        }
    }
}

/// The command line's flags.
struct Flags {
    listen: String,
    threads: usize,
    backlog_max: usize,
    tick_us: u64,
}

/// The flags, or the usage line's exit code.
fn parse_flags() -> Result<Flags, ExitCode> {
    let mut flags = Flags {
        listen: "127.0.0.1:0".to_owned(),
        threads: std::thread::available_parallelism().map_or(2, |n| n.get()),
        backlog_max: 4 << 20,
        tick_us: 1000,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next();
        match (flag.as_str(), value) {
            ("--listen", Some(v)) => flags.listen = v,
            ("--threads", Some(v)) if v.parse::<usize>().is_ok_and(|n| n > 0) => {
                flags.threads = v.parse().unwrap_or(1)
            }
            ("--backlog-max", Some(v)) if v.parse::<usize>().is_ok() => {
                flags.backlog_max = v.parse().unwrap_or(flags.backlog_max)
            }
            ("--tick-us", Some(v)) if v.parse::<u64>().is_ok() => {
                flags.tick_us = v.parse().unwrap_or(flags.tick_us)
            }
            _ => {
                eprintln!("usage: null_fanout [--listen ADDR] [--threads N] [--backlog-max BYTES] [--tick-us US]");
                return Err(ExitCode::from(2));
            }
        }
    }
    Ok(flags)
}

fn main() -> ExitCode {
    let flags = match parse_flags() {
        Ok(flags) => flags,
        Err(code) => return code,
    };
    let listen = flags.listen;
    let listener = match TcpListener::bind(&listen) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("null_fanout: cannot listen on {listen}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let hub = Arc::new(Hub::new(flags.threads, flags.backlog_max, flags.tick_us));
    for i in 0..flags.threads {
        let hub = hub.clone();
        std::thread::spawn(move || write_loop(hub, i));
    }
    match listener.local_addr() {
        Ok(addr) => println!("listening {addr}"),
        Err(e) => {
            eprintln!("null_fanout: {e}");
            return ExitCode::FAILURE;
        }
    }
    accept(&listener, &hub);
    ExitCode::SUCCESS
}

/// A reader thread for each connection, until the listener fails for good.
fn accept(listener: &TcpListener, hub: &Arc<Hub>) {
    for stream in listener.incoming() {
        let Ok(stream) = stream else {
            // Out of descriptors or similar: back off instead of spinning.
            std::thread::sleep(Duration::from_millis(10));
            continue;
        };
        let hub = hub.clone();
        let spawned = std::thread::Builder::new()
            .stack_size(128 * 1024)
            .spawn(move || serve(hub, stream));
        if spawned.is_err() {
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}
