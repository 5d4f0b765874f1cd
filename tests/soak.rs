//! The soak test: 2,000 clients over all five protocols against the real `confab serve`
//! for a bounded time (`CONFAB_SOAK_SECS`, default 45), with exact accounting.
//!
//! The choreography keeps every accounted room's membership known: fixed clients join at
//! the start and stay to the end, and only they are accounted.
//!
//! - 60 group rooms `g0`..`g59`, each with 4 IRC and 6 rooms members, all sending room
//!   messages (IRC members alternate with direct messages to random fixed users).
//! - `lobby` (IRC `#lobby`, broadcast's conversation): 60 broadcast, 10 rooms and 10 IRC
//!   members, sending room messages more slowly (each reaches 79 others).
//! - 150 prefixed (half with 2-digit, half with 4-digit frames) and 150 packet users,
//!   sending direct messages to random fixed users of every protocol.
//! - 718 churn slots: connect over a random protocol, take a name, join one of 40 churn
//!   rooms, talk (unaccounted, some of it direct to fixed users, some in `lobby`), then
//!   leave politely or vanish with a reset in the middle of a frame; again and again.
//! - 300 garbage slots: random bytes to a random protocol, named or not, then a reset in
//!   the middle of a frame or a close.
//! - 2 probes: an IRC PING and a rooms `/list` every second, each answered within a bound.
//!
//! Every accounted message's text is `soak <sender> <seq> <padding>`. At the end each
//! (sender, recipient) pair's received sequence numbers must equal those sent to it:
//! nothing lost, nothing twice, nothing out of order, nothing to anyone else, and each
//! attributed to its sender in the recipient's protocol. A warm-up round (the same
//! choreography for a few seconds) comes first; the server's RSS after it, once everyone
//! has left, is the baseline, and after the main round everyone leaves again and the RSS
//! must be back within 10% of it.

mod serve_support;

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serve_support::{mib, Serve};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::time::{sleep, sleep_until, timeout};
use tokio_util::sync::CancellationToken;

const GROUPS: usize = 60;
const GROUP_IRC: usize = 4;
const GROUP_ROOMS: usize = 6;
const LOBBY_BROADCAST: usize = 60;
const LOBBY_ROOMS: usize = 10;
const LOBBY_IRC: usize = 10;
const PREFIXED: usize = 150;
const PACKET: usize = 150;
const CHURN: usize = 718;
const GARBAGE: usize = 300;
const CHURN_ROOMS: usize = 40;
/// How often a fixed client speaks, on average.
const GROUP_PERIOD: Duration = Duration::from_millis(3000);
const LOBBY_PERIOD: Duration = Duration::from_millis(8000);
const DIRECT_PERIOD: Duration = Duration::from_millis(3000);
/// The longest a probe may wait for its answer.
const PROBE_BOUND: Duration = Duration::from_secs(5);
/// Seconds of the warm-up round.
const WARM_UP_SECS: u64 = 10;

const WELCOME: &[u8] = b"Welcome to the chat. Enter 'bye' anytime to exit.";

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Proto {
    Irc,
    Rooms,
    Broadcast,
    Prefixed(usize),
    Packet,
}

impl Proto {
    fn listener(self) -> &'static str {
        match self {
            Proto::Irc => "irc",
            Proto::Rooms => "rooms",
            Proto::Broadcast => "broadcast",
            Proto::Prefixed(_) => "prefixed",
            Proto::Packet => "packet",
        }
    }

    fn random(rng: &mut Rng) -> Proto {
        match rng.below(6) {
            0 => Proto::Irc,
            1 => Proto::Rooms,
            2 => Proto::Broadcast,
            3 => Proto::Prefixed(2),
            4 => Proto::Prefixed(4),
            _ => Proto::Packet,
        }
    }
}

/// xorshift: deterministic per client, so a failing run can be replayed.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// A duration around `mean` (half to one and a half of it).
    fn around(&mut self, mean: Duration) -> Duration {
        let ms = mean.as_millis() as u64;
        Duration::from_millis(ms / 2 + self.next() % ms.max(1))
    }

    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| (self.next() >> 24) as u8).collect()
    }
}

/// One unit of a server's stream.
enum Unit {
    Line(Vec<u8>),
    Frame(Vec<u8>),
    Packet(u8, Vec<u8>),
}

/// A client connection with its own read buffer (so reading is cancel-safe in select!).
struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
    proto: Proto,
}

impl Conn {
    /// Connects from 127.0.0.`2 + n % 250`, so no single source address carries them all.
    async fn connect(serve: &Serve, proto: Proto, n: usize) -> std::io::Result<Conn> {
        let socket = TcpSocket::new_v4()?;
        let source = Ipv4Addr::new(127, 0, 0, 2 + (n % 250) as u8);
        socket.bind(SocketAddr::from((source, 0)))?;
        let stream = timeout(
            Duration::from_secs(10),
            socket.connect(serve.addr(proto.listener())),
        )
        .await
        .map_err(|_| std::io::Error::other("connect timed out"))??;
        stream.set_nodelay(true)?;
        Ok(Conn {
            stream,
            buf: Vec::new(),
            proto,
        })
    }

    async fn send(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.stream.write_all(bytes).await
    }

    /// The next complete unit already buffered.
    fn take(&mut self) -> Option<Unit> {
        match self.proto {
            Proto::Irc | Proto::Rooms | Proto::Broadcast => {
                let end = self.buf.iter().position(|&b| b == b'\n')?;
                let mut line: Vec<u8> = self.buf.drain(..=end).collect();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                Some(Unit::Line(line))
            }
            Proto::Prefixed(width) => {
                let len: usize = std::str::from_utf8(self.buf.get(..width)?)
                    .ok()?
                    .parse()
                    .ok()?;
                let payload = self.buf.get(width..width + len)?.to_vec();
                self.buf.drain(..width + len);
                Some(Unit::Frame(payload))
            }
            Proto::Packet => {
                let header = self.buf.get(..5)?;
                let len = u32::from_be_bytes([header[1], header[2], header[3], header[4]]);
                let kind = header[0];
                let body = self.buf.get(5..5 + len as usize)?.to_vec();
                self.buf.drain(..5 + len as usize);
                Some(Unit::Packet(kind, body))
            }
        }
    }

    /// Reads more; `false` at EOF or on an error. Cancel-safe.
    async fn fill(&mut self) -> bool {
        self.buf.reserve(16 * 1024);
        matches!(self.stream.read_buf(&mut self.buf).await, Ok(n) if n > 0)
    }

    /// The next unit, waiting at most `limit`.
    async fn next(&mut self, limit: Duration) -> Option<Unit> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            if let Some(unit) = self.take() {
                return Some(unit);
            }
            match tokio::time::timeout_at(deadline, self.fill()).await {
                Ok(true) => {}
                _ => return None,
            }
        }
    }

    /// Waits for a line containing `needle`.
    async fn line_with(&mut self, needle: &str, limit: Duration) -> Result<(), String> {
        let deadline = Instant::now() + limit;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.next(left).await {
                Some(Unit::Line(line)) if contains(&line, needle.as_bytes()) => return Ok(()),
                Some(_) => {}
                None => break,
            }
        }
        Err(format!("no line with {needle:?} within {limit:?}"))
    }

    fn frame(&self, payload: &[u8]) -> Vec<u8> {
        let Proto::Prefixed(width) = self.proto else {
            unreachable!()
        };
        let mut out = format!("{:0width$}", payload.len()).into_bytes();
        out.extend_from_slice(payload);
        out
    }

    /// Takes `name` in the protocol's own way and, for IRC and rooms, joins `room`.
    async fn register(&mut self, name: &str, room: Option<&str>) -> Result<(), String> {
        let limit = Duration::from_secs(20);
        let proto = self.proto;
        let fail = move |what: &str| format!("{name} ({proto:?}): {what}");
        match self.proto {
            Proto::Irc => {
                self.send(format!("NICK {name}\r\nUSER {name} 0 * :{name}\r\n").as_bytes())
                    .await
                    .map_err(|e| fail(&e.to_string()))?;
                self.line_with(&format!(" 376 {name} "), limit).await?;
                if let Some(room) = room {
                    self.send(format!("JOIN #{room}\r\n").as_bytes())
                        .await
                        .map_err(|e| fail(&e.to_string()))?;
                    self.line_with(&format!(" 366 {name} #{room} "), limit)
                        .await?;
                }
            }
            Proto::Rooms => {
                let room = room.unwrap_or("lobby");
                self.send(format!("/join {room}\n/nick {name}\n").as_bytes())
                    .await
                    .map_err(|e| fail(&e.to_string()))?;
                for _ in 0..2 {
                    match self.next(limit).await {
                        Some(Unit::Line(line)) if line == b"0" => {}
                        _ => return Err(fail("no 0 for /join and /nick")),
                    }
                }
            }
            Proto::Broadcast => {
                self.send(format!("{name}\n").as_bytes())
                    .await
                    .map_err(|e| fail(&e.to_string()))?;
                match self.next(limit).await {
                    Some(Unit::Line(line)) if line == WELCOME => {}
                    _ => return Err(fail("no welcome")),
                }
            }
            Proto::Prefixed(_) => {
                let frame = self.frame(format!("NAME {name}").as_bytes());
                self.send(&frame).await.map_err(|e| fail(&e.to_string()))?;
                match self.next(limit).await {
                    Some(Unit::Frame(p)) if p == format!("Hello {name}").as_bytes() => {}
                    _ => return Err(fail("no Hello")),
                }
            }
            Proto::Packet => {
                self.send(&packet(0x01, &name_field(name)))
                    .await
                    .map_err(|e| fail(&e.to_string()))?;
                match self.next(limit).await {
                    Some(Unit::Packet(0x82, body)) if body == [0] => {}
                    _ => return Err(fail("no RESPONSE ok to login")),
                }
            }
        }
        Ok(())
    }

    /// The bytes that say `text` to `room` (IRC, rooms, broadcast: one's own room).
    fn say(&self, room: &str, text: &str) -> Vec<u8> {
        match self.proto {
            Proto::Irc => format!("PRIVMSG #{room} :{text}\r\n").into_bytes(),
            _ => format!("{text}\n").into_bytes(),
        }
    }

    /// The bytes that send `text` to `to` directly (IRC, prefixed, packet).
    fn direct(&self, to: &str, text: &str) -> Vec<u8> {
        match self.proto {
            Proto::Irc => format!("PRIVMSG {to} :{text}\r\n").into_bytes(),
            Proto::Prefixed(_) => self.frame(format!("MSG {to} {text}").as_bytes()),
            Proto::Packet => {
                let mut body = name_field(to);
                body.extend_from_slice(&(text.len() as u32).to_be_bytes());
                body.extend_from_slice(text.as_bytes());
                packet(0x03, &body)
            }
            _ => unreachable!("no direct messages on {:?}", self.proto),
        }
    }

    /// A polite goodbye in the protocol's own words.
    fn goodbye(&self) -> Vec<u8> {
        match self.proto {
            Proto::Irc => b"QUIT :done\r\n".to_vec(),
            Proto::Rooms => b"/logout\n".to_vec(),
            Proto::Broadcast => b"bye\n".to_vec(),
            Proto::Prefixed(_) => self.frame(b"EXIT"),
            Proto::Packet => packet(0x04, &[]),
        }
    }

    /// The first part of a frame, never finished.
    fn half_frame(&self) -> Vec<u8> {
        match self.proto {
            Proto::Irc => b"PRIVMSG #lobby :this line never en".to_vec(),
            Proto::Rooms | Proto::Broadcast => b"this line never en".to_vec(),
            Proto::Prefixed(4) => b"0050MSG someone hal".to_vec(),
            Proto::Prefixed(_) => b"50MSG someone hal".to_vec(),
            Proto::Packet => {
                let mut p = packet(0x03, &[0; 100]);
                p.truncate(30);
                p
            }
        }
    }

    /// Vanishes: RST instead of FIN (SO_LINGER 0), like a crashed client.
    fn reset(self) {
        let _ = self.stream.set_zero_linger();
        drop(self.stream);
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn packet(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![kind];
    out.extend_from_slice(&(body.len() as u32).to_be_bytes());
    out.extend_from_slice(body);
    out
}

fn name_field(name: &str) -> Vec<u8> {
    let mut out = vec![name.len() as u8];
    out.extend_from_slice(name.as_bytes());
    out
}

/// `soak <sender> <seq> ...` anywhere in `text`.
fn parse_soak(text: &str) -> Option<(&str, u64)> {
    let at = text.find("soak ")?;
    let mut words = text[at + 5..].split(' ');
    let sender = words.next()?;
    let seq = words.next()?.parse().ok()?;
    Some((sender, seq))
}

/// What one fixed client received that was accounted: (sender, seq) in arrival order, and
/// how many were shown under another sender's name.
#[derive(Default)]
struct Received {
    got: Vec<(String, u64)>,
    misattributed: u64,
    refused: u64,
}

impl Received {
    /// Records one unit if it carries an accounted message.
    fn record(&mut self, unit: &Unit) {
        let (text, shown): (String, String) = match unit {
            Unit::Line(line) => {
                let line = String::from_utf8_lossy(line).into_owned();
                let Some((sender, _)) = parse_soak(&line) else {
                    return;
                };
                let ok = line.starts_with(&format!(":{sender}!"))
                    || line.starts_with(&format!("{sender}: soak "))
                    || line.starts_with(&format!("* {sender} (private): soak "));
                let shown = if ok {
                    sender.to_string()
                } else {
                    String::new()
                };
                (line, shown)
            }
            Unit::Frame(payload) => {
                let text = String::from_utf8_lossy(payload).into_owned();
                if text.starts_with("Error") {
                    self.refused += 1;
                    return;
                }
                let shown = text.split(" sent ").next().unwrap_or("").to_string();
                (text, shown)
            }
            Unit::Packet(0x83, body) => {
                let n = body.first().copied().unwrap_or(0) as usize;
                let shown = String::from_utf8_lossy(body.get(1..1 + n).unwrap_or(b"")).into_owned();
                let text =
                    String::from_utf8_lossy(body.get(1 + n + 4..).unwrap_or(b"")).into_owned();
                (text, shown)
            }
            Unit::Packet(0x82, body) => {
                if body != &[0] {
                    self.refused += 1;
                }
                return;
            }
            Unit::Packet(..) => return,
        };
        if let Some((sender, seq)) = parse_soak(&text) {
            if shown != sender {
                self.misattributed += 1;
            }
            self.got.push((sender.to_string(), seq));
        }
    }
}

/// One fixed (accounted) client: who it is and what it does.
#[derive(Clone)]
struct Fixed {
    name: String,
    proto: Proto,
    /// The room it is in (IRC, rooms, broadcast), with its members' indexes.
    room: Option<(String, Arc<Vec<usize>>)>,
}

/// One message an accounted sender sent: its sequence number and recipients.
struct Sent {
    seq: u64,
    to: Vec<usize>,
}

/// Counters shared by every task.
/// What every background task (churn, garbage, probes) shares: the server, the signal
/// to stop, and the counters.
#[derive(Clone)]
struct Load {
    serve: Arc<Serve>,
    stop: CancellationToken,
    totals: Arc<Totals>,
}

#[derive(Default)]
struct Totals {
    received: AtomicU64,
    churn_sessions: AtomicU64,
    garbage_sessions: AtomicU64,
    resets: AtomicU64,
    probes: AtomicU64,
    probe_failures: AtomicU64,
    probe_max_ms: AtomicU64,
    errors: AtomicU64,
}

fn fixed_clients() -> Vec<Fixed> {
    let mut fixed = Vec::new();
    let room_of = |fixed: &mut Vec<Fixed>, room: &str, members: Vec<(String, Proto)>| {
        let first = fixed.len();
        let indexes: Arc<Vec<usize>> = Arc::new((first..first + members.len()).collect());
        for (name, proto) in members {
            fixed.push(Fixed {
                name,
                proto,
                room: Some((room.to_string(), indexes.clone())),
            });
        }
    };
    for g in 0..GROUPS {
        let mut members: Vec<(String, Proto)> = (0..GROUP_IRC)
            .map(|m| (format!("i{g}_{m}"), Proto::Irc))
            .collect();
        members.extend((0..GROUP_ROOMS).map(|m| (format!("r{g}_{m}"), Proto::Rooms)));
        room_of(&mut fixed, &format!("g{g}"), members);
    }
    let mut lobby: Vec<(String, Proto)> = (0..LOBBY_BROADCAST)
        .map(|m| (format!("b{m}"), Proto::Broadcast))
        .collect();
    lobby.extend((0..LOBBY_ROOMS).map(|m| (format!("rl{m}"), Proto::Rooms)));
    lobby.extend((0..LOBBY_IRC).map(|m| (format!("il{m}"), Proto::Irc)));
    room_of(&mut fixed, "lobby", lobby);
    for n in 0..PREFIXED {
        let width = if n % 2 == 0 { 2 } else { 4 };
        fixed.push(Fixed {
            name: format!("p{n}"),
            proto: Proto::Prefixed(width),
            room: None,
        });
    }
    for n in 0..PACKET {
        fixed.push(Fixed {
            name: format!("k{n}"),
            proto: Proto::Packet,
            room: None,
        });
    }
    fixed
}

/// A fixed client's life: speak on schedule until `stop`, read and record until `leave`,
/// then say goodbye (or vanish). Returns what it sent and what it received.
#[allow(
    clippy::too_many_lines,
    reason = "one linear script: a fixed client's life, sending on schedule and reading until told to leave"
)]
async fn run_fixed(
    index: usize,
    mut conn: Conn,
    all: Arc<Vec<Fixed>>,
    stop: CancellationToken,
    leave: CancellationToken,
    totals: Arc<Totals>,
) -> (Vec<Sent>, Received) {
    let me = &all[index];
    let mut rng = Rng::new(index as u64 + 7);
    let mut sent = Vec::new();
    let mut received = Received::default();
    let period = match (&me.room, me.proto) {
        (Some((room, _)), _) if room == "lobby" => LOBBY_PERIOD,
        (Some(_), _) => GROUP_PERIOD,
        (None, _) => DIRECT_PERIOD,
    };
    let mut next_send = tokio::time::Instant::now() + rng.around(period);
    let mut seq = 0u64;
    let mut open = true;
    while open {
        let sending = !stop.is_cancelled();
        tokio::select! {
            biased;
            _ = leave.cancelled() => break,
            more = conn.fill() => {
                open = more;
                while let Some(unit) = conn.take() {
                    received.record(&unit);
                    totals.received.fetch_add(1, Ordering::Relaxed);
                }
            }
            _ = sleep_until(next_send), if sending => {
                next_send = tokio::time::Instant::now() + rng.around(period);
                let pad = "x".repeat(rng.below(40));
                let text = format!("soak {} {seq} {pad}", me.name);
                // IRC members of groups alternate between the room and a direct message.
                let direct = match (&me.room, me.proto) {
                    (None, _) => true,
                    (Some((room, _)), Proto::Irc) => room != "lobby" && seq % 2 == 1,
                    _ => false,
                };
                let (bytes, to) = if direct {
                    let mut target = rng.below(all.len());
                    if target == index {
                        target = (target + 1) % all.len();
                    }
                    (conn.direct(&all[target].name, &text), vec![target])
                } else {
                    let (room, members) = me.room.as_ref().expect("a room");
                    let to = members.iter().copied().filter(|&m| m != index).collect();
                    (conn.say(room, &text), to)
                };
                if conn.send(&bytes).await.is_err() {
                    open = false;
                } else {
                    sent.push(Sent { seq, to });
                    seq += 1;
                }
            }
        }
    }
    if !open {
        totals.errors.fetch_add(1, Ordering::Relaxed);
        eprintln!("fixed client {} lost its connection", me.name);
    }
    // Leaving: most say goodbye, some vanish.
    if rng.below(4) == 0 {
        conn.reset();
    } else {
        let _ = conn.send(&conn.goodbye()).await;
        let _ = timeout(Duration::from_secs(2), conn.stream.shutdown()).await;
    }
    (sent, received)
}

/// A churn slot: sessions over random protocols until `stop`.
#[allow(
    clippy::too_many_lines,
    reason = "one linear script: a churn slot's sessions, each from connect to goodbye"
)]
async fn run_churn(slot: usize, load: Load, fixed_names: Arc<Vec<String>>) {
    let mut rng = Rng::new(10_000 + slot as u64);
    let mut round = 0u64;
    // Start spread over the first seconds.
    sleep(Duration::from_millis(rng.below(2000) as u64)).await;
    while !load.stop.is_cancelled() {
        round += 1;
        let proto = Proto::random(&mut rng);
        let name = format!("c{slot}n{round}");
        let room = format!("ch{}", slot % CHURN_ROOMS);
        let Ok(mut conn) = Conn::connect(&load.serve, proto, slot + 7).await else {
            load.totals.errors.fetch_add(1, Ordering::Relaxed);
            continue;
        };
        load.totals.churn_sessions.fetch_add(1, Ordering::Relaxed);
        if conn.register(&name, Some(&room)).await.is_err() {
            load.totals.errors.fetch_add(1, Ordering::Relaxed);
            conn.reset();
            continue;
        }
        for _ in 0..1 + rng.below(4) {
            tokio::select! {
                _ = sleep(rng.around(Duration::from_millis(400))) => {}
                _ = conn.fill() => { conn.buf.clear(); }
            }
            let text = format!("churn {name} says hi");
            let bytes = match proto {
                Proto::Irc | Proto::Prefixed(_) | Proto::Packet if rng.below(2) == 0 => {
                    let to = &fixed_names[rng.below(fixed_names.len())];
                    conn.direct(to, &text)
                }
                Proto::Prefixed(_) => conn.frame(b"GET_NAMES"),
                Proto::Packet => packet(0x02, &[]),
                Proto::Rooms if rng.below(3) == 0 => b"/who\n".to_vec(),
                _ => conn.say(&room, &text),
            };
            if conn.send(&bytes).await.is_err() {
                break;
            }
        }
        // A rooms or IRC user may move to another churn room first.
        if rng.below(4) == 0 {
            let other = format!("ch{}", rng.below(CHURN_ROOMS));
            let bytes = match proto {
                Proto::Irc => format!("PART #{room}\r\nJOIN #{other}\r\n").into_bytes(),
                Proto::Rooms => format!("/join {other}\n").into_bytes(),
                _ => Vec::new(),
            };
            let _ = conn.send(&bytes).await;
        }
        // Leave: politely, by closing, or vanishing in the middle of a frame.
        match rng.below(3) {
            0 => {
                let _ = conn.send(&conn.goodbye()).await;
                let _ = timeout(Duration::from_secs(2), conn.stream.shutdown()).await;
            }
            1 => drop(conn),
            _ => {
                let _ = conn.send(&conn.half_frame()).await;
                load.totals.resets.fetch_add(1, Ordering::Relaxed);
                conn.reset();
            }
        }
        sleep(rng.around(Duration::from_millis(500))).await;
    }
}

/// A garbage slot: random bytes to random protocols until `stop`.
async fn run_garbage(slot: usize, load: Load) {
    let mut rng = Rng::new(50_000 + slot as u64);
    let mut round = 0u64;
    sleep(Duration::from_millis(rng.below(2000) as u64)).await;
    while !load.stop.is_cancelled() {
        round += 1;
        let proto = Proto::random(&mut rng);
        let Ok(mut conn) = Conn::connect(&load.serve, proto, slot + 3).await else {
            load.totals.errors.fetch_add(1, Ordering::Relaxed);
            continue;
        };
        load.totals.garbage_sessions.fetch_add(1, Ordering::Relaxed);
        // Some take a name first, so the garbage reaches a session's command handling
        // (a broadcast user's garbage lines are relayed to lobby, cleaned).
        let named = match proto {
            Proto::Broadcast => rng.below(5) == 0,
            _ => rng.below(2) == 0,
        };
        if named {
            let name = format!("g{slot}n{round}");
            let room = format!("ch{}", slot % CHURN_ROOMS);
            if conn.register(&name, Some(&room)).await.is_err() {
                conn.reset();
                continue;
            }
        }
        for _ in 0..1 + rng.below(3) {
            let len = 16 + rng.below(1500);
            let mut junk = rng.bytes(len);
            // Mostly text-like garbage with line ends, sometimes raw bytes.
            if rng.below(2) == 0 {
                for b in junk.iter_mut() {
                    *b = match *b % 40 {
                        0 => b'\n',
                        1 => b'\r',
                        2 => 0,
                        3 => b' ',
                        4 => b'/',
                        5 => b':',
                        n => b'a' + n % 26,
                    };
                }
            }
            if conn.send(&junk).await.is_err() {
                break;
            }
            tokio::select! {
                _ = sleep(rng.around(Duration::from_millis(150))) => {}
                _ = conn.fill() => { conn.buf.clear(); }
            }
        }
        if rng.below(2) == 0 {
            let _ = conn.send(&conn.half_frame()).await;
            load.totals.resets.fetch_add(1, Ordering::Relaxed);
            conn.reset();
        } else {
            drop(conn);
        }
        sleep(rng.around(Duration::from_millis(1200))).await;
    }
}

/// The probes: an IRC PING and a rooms `/list` every second, each answered in time.
async fn run_probes(load: Load) {
    let mut irc = Conn::connect(&load.serve, Proto::Irc, 0)
        .await
        .expect("probe");
    irc.register("probe", None).await.expect("probe registers");
    let mut rooms = Conn::connect(&load.serve, Proto::Rooms, 1)
        .await
        .expect("probe");
    let mut n = 0u64;
    while !load.stop.is_cancelled() {
        n += 1;
        let start = Instant::now();
        let mut ok = irc.send(format!("PING p{n}\r\n").as_bytes()).await.is_ok()
            && irc
                .line_with(&format!("PONG confab p{n}"), PROBE_BOUND)
                .await
                .is_ok();
        ok = ok && rooms.send(b"/list\n").await.is_ok();
        if ok {
            ok = match rooms.next(PROBE_BOUND).await {
                Some(Unit::Line(count)) => {
                    let count: usize = String::from_utf8_lossy(&count).parse().unwrap_or(0);
                    let mut all = true;
                    for _ in 0..count {
                        all &= rooms.next(PROBE_BOUND).await.is_some();
                    }
                    all
                }
                _ => false,
            };
        }
        let took = start.elapsed();
        load.totals.probes.fetch_add(1, Ordering::Relaxed);
        load.totals
            .probe_max_ms
            .fetch_max(took.as_millis() as u64, Ordering::Relaxed);
        if !ok || took > PROBE_BOUND {
            load.totals.probe_failures.fetch_add(1, Ordering::Relaxed);
            eprintln!("probe {n} failed or took {took:?}");
            if !ok {
                return;
            }
        }
        sleep(Duration::from_secs(1).saturating_sub(took)).await;
    }
    let _ = irc.send(b"QUIT\r\n").await;
}

/// What a round measured.
struct Round {
    clients_peak: usize,
    sent: u64,
    expected: u64,
    delivered: u64,
    lost: u64,
    duplicated: u64,
    out_of_order: u64,
    unexpected: u64,
    misattributed: u64,
    refused: u64,
    churn: u64,
    garbage: u64,
    resets: u64,
    probes: u64,
    probe_failures: u64,
    probe_max_ms: u64,
    errors: u64,
    rss_peak_kib: u64,
}

/// Runs the whole choreography for `secs`, then everyone leaves.
#[allow(
    clippy::too_many_lines,
    reason = "one linear script: a soak round, from the joins through the traffic to the goodbyes and the counts"
)]
async fn round(serve: Arc<Serve>, secs: u64) -> Round {
    let fixed = Arc::new(fixed_clients());
    let fixed_names: Arc<Vec<String>> = Arc::new(fixed.iter().map(|f| f.name.clone()).collect());
    let totals = Arc::new(Totals::default());
    let stop = CancellationToken::new();
    let leave = CancellationToken::new();

    // Every fixed client connects and joins before anyone speaks, so each room's
    // membership is known for the whole round. 64 at a time.
    let mut conns: Vec<Option<Conn>> = Vec::new();
    for chunk in (0..fixed.len()).collect::<Vec<_>>().chunks(64) {
        let joins: Vec<_> = chunk
            .iter()
            .map(|&i| {
                let serve = serve.clone();
                let f = fixed[i].clone();
                tokio::spawn(async move {
                    let mut conn = Conn::connect(&serve, f.proto, i).await.expect("connects");
                    let room = f.room.as_ref().map(|(r, _)| r.as_str());
                    conn.register(&f.name, room).await.expect("registers");
                    conn
                })
            })
            .collect();
        for join in joins {
            conns.push(Some(join.await.expect("fixed client joins")));
        }
    }
    let mut fixed_tasks = Vec::new();
    for (i, conn) in conns.iter_mut().enumerate() {
        let conn = conn.take().expect("connected");
        fixed_tasks.push(tokio::spawn(run_fixed(
            i,
            conn,
            fixed.clone(),
            stop.clone(),
            leave.clone(),
            totals.clone(),
        )));
    }
    let load = Load {
        serve: serve.clone(),
        stop: stop.clone(),
        totals: totals.clone(),
    };
    let mut others = vec![tokio::spawn(run_probes(load.clone()))];
    for slot in 0..CHURN {
        let churn = run_churn(slot, load.clone(), fixed_names.clone());
        others.push(tokio::spawn(churn));
    }
    for slot in 0..GARBAGE {
        others.push(tokio::spawn(run_garbage(slot, load.clone())));
    }
    let clients_peak = fixed.len() + CHURN + GARBAGE + 2;

    let start = Instant::now();
    let mut rss_peak = serve.rss_kib();
    while start.elapsed() < Duration::from_secs(secs) {
        sleep(Duration::from_millis(500)).await;
        rss_peak = rss_peak.max(serve.rss_kib());
    }
    stop.cancel();
    for task in others {
        let _ = timeout(Duration::from_secs(30), task).await;
    }
    // Everything sent is delivered once the stream has been quiet for a while.
    let mut last = totals.received.load(Ordering::Relaxed);
    let quiet_since = Instant::now();
    let mut quiet = Instant::now();
    while quiet.elapsed() < Duration::from_secs(3)
        && quiet_since.elapsed() < Duration::from_secs(60)
    {
        sleep(Duration::from_millis(250)).await;
        let now = totals.received.load(Ordering::Relaxed);
        if now != last {
            last = now;
            quiet = Instant::now();
        }
    }
    leave.cancel();
    let mut sent_by = Vec::new();
    let mut received_by = Vec::new();
    for task in fixed_tasks {
        let (sent, received) = task.await.expect("fixed client task");
        sent_by.push(sent);
        received_by.push(received);
    }

    // Exact accounting per (sender, recipient).
    let index: HashMap<&str, usize> = fixed
        .iter()
        .enumerate()
        .map(|(i, f)| (f.name.as_str(), i))
        .collect();
    let mut expected: HashMap<(usize, usize), Vec<u64>> = HashMap::new();
    let mut total_sent = 0u64;
    for (sender, sent) in sent_by.iter().enumerate() {
        total_sent += sent.len() as u64;
        for s in sent {
            for &to in &s.to {
                expected.entry((sender, to)).or_default().push(s.seq);
            }
        }
    }
    let mut got: HashMap<(usize, usize), Vec<u64>> = HashMap::new();
    let (mut misattributed, mut refused, mut unexpected) = (0, 0, 0);
    for (to, received) in received_by.iter().enumerate() {
        misattributed += received.misattributed;
        refused += received.refused;
        for (sender, seq) in &received.got {
            match index.get(sender.as_str()) {
                Some(&from) => got.entry((from, to)).or_default().push(*seq),
                None => unexpected += 1,
            }
        }
    }
    let (mut delivered, mut lost, mut duplicated, mut out_of_order) = (0, 0, 0, 0);
    let mut expected_total = 0;
    for (pair, want) in &expected {
        expected_total += want.len() as u64;
        let have = got.remove(pair).unwrap_or_default();
        let wanted: std::collections::HashSet<u64> = want.iter().copied().collect();
        let mut seen = std::collections::HashSet::new();
        let mut previous = None;
        for &seq in &have {
            if !wanted.contains(&seq) {
                unexpected += 1;
            } else if !seen.insert(seq) {
                duplicated += 1;
            } else {
                delivered += 1;
            }
            if previous.is_some_and(|p| seq <= p) {
                out_of_order += 1;
            }
            previous = Some(seq);
        }
        lost += wanted.len() as u64 - seen.len() as u64;
    }
    // Whatever is left arrived at someone who was never meant to get it.
    unexpected += got.values().map(|v| v.len() as u64).sum::<u64>();

    Round {
        clients_peak,
        sent: total_sent,
        expected: expected_total,
        delivered,
        lost,
        duplicated,
        out_of_order,
        unexpected,
        misattributed,
        refused,
        churn: totals.churn_sessions.load(Ordering::Relaxed),
        garbage: totals.garbage_sessions.load(Ordering::Relaxed),
        resets: totals.resets.load(Ordering::Relaxed),
        probes: totals.probes.load(Ordering::Relaxed),
        probe_failures: totals.probe_failures.load(Ordering::Relaxed),
        probe_max_ms: totals.probe_max_ms.load(Ordering::Relaxed),
        errors: totals.errors.load(Ordering::Relaxed),
        rss_peak_kib: rss_peak,
    }
}

/// Waits until nobody is named on the server any more (a fresh prefixed GET_NAMES is
/// empty), then lets it settle and returns its RSS.
async fn rss_when_empty(serve: &Serve) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let mut conn = Conn::connect(serve, Proto::Prefixed(4), 1)
            .await
            .expect("connects");
        conn.send(&conn.frame(b"GET_NAMES")).await.expect("sends");
        match conn.next(Duration::from_secs(10)).await {
            Some(Unit::Frame(names)) if names.is_empty() => break,
            Some(Unit::Frame(names)) if Instant::now() > deadline => panic!(
                "users still on the server 30 s after everyone left: {}",
                String::from_utf8_lossy(&names[..names.len().min(200)])
            ),
            _ => {}
        }
        drop(conn);
        sleep(Duration::from_millis(250)).await;
    }
    sleep(Duration::from_secs(1)).await;
    serve.rss_kib()
}

/// Raises the soft limit on open files if it is below what 2,000 clients need here (the
/// server inherits it).
fn enough_files() {
    use rustix::process::{getrlimit, setrlimit, Resource};
    let want = 8192;
    let limit = getrlimit(Resource::Nofile);
    if limit.current.is_some_and(|c| c < want) {
        let raised = limit.maximum.map_or(want, |m| m.min(want));
        setrlimit(
            Resource::Nofile,
            rustix::process::Rlimit {
                current: Some(raised),
                maximum: limit.maximum,
            },
        )
        .expect("raise the open-file limit");
    }
}

fn print_round(label: &str, r: &Round, secs: u64) {
    eprintln!(
        "{label}: {secs} s, {} clients at once ({} fixed, {CHURN} churn slots: {} sessions, \
         {GARBAGE} garbage slots: {} sessions, {} resets mid-frame); accounted messages sent \
         {}, deliveries expected {}, delivered {}, lost {}, duplicated {}, out of order {}, \
         unexpected {}, misattributed {}, refused {}; probes {} (failed {}, slowest {} ms); \
         client errors {}; RSS peak {:.1} MiB",
        r.clients_peak,
        r.clients_peak - CHURN - GARBAGE - 2,
        r.churn,
        r.garbage,
        r.resets,
        r.sent,
        r.expected,
        r.delivered,
        r.lost,
        r.duplicated,
        r.out_of_order,
        r.unexpected,
        r.misattributed,
        r.refused,
        r.probes,
        r.probe_failures,
        r.probe_max_ms,
        r.errors,
        mib(r.rss_peak_kib),
    );
}

fn check_round(label: &str, r: &Round) {
    assert!(r.sent > 0 && r.expected > 0, "{label}: nothing was sent");
    assert_eq!(
        r.delivered, r.expected,
        "{label}: every delivery exactly once"
    );
    assert_eq!(r.lost, 0, "{label}: lost");
    assert_eq!(r.duplicated, 0, "{label}: duplicated");
    assert_eq!(r.out_of_order, 0, "{label}: out of order");
    assert_eq!(r.unexpected, 0, "{label}: delivered to someone not meant");
    assert_eq!(r.misattributed, 0, "{label}: shown under another name");
    assert_eq!(r.refused, 0, "{label}: refused by the server");
    assert_eq!(r.probe_failures, 0, "{label}: the server stopped answering");
    assert!(r.probes > 0, "{label}: no probe ran");
}

#[test]
fn soak_2000_clients_over_every_protocol_with_exact_accounting() {
    enough_files();
    let secs: u64 = std::env::var("CONFAB_SOAK_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(45);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let serve = Arc::new(Serve::start(&[]));
        let fresh = serve.rss_kib();

        // Warm-up: allocator caches, hub tables and socket buffers grow once.
        let warm = round(serve.clone(), WARM_UP_SECS).await;
        print_round("soak warm-up", &warm, WARM_UP_SECS);
        check_round("warm-up", &warm);
        let baseline = rss_when_empty(&serve).await;

        let main = round(serve.clone(), secs).await;
        print_round("soak", &main, secs);
        let after = rss_when_empty(&serve).await;
        eprintln!(
            "soak memory: RSS fresh {:.1} MiB, baseline after warm-up {:.1} MiB, peak {:.1} \
             MiB, after everyone left {:.1} MiB ({:+.1}%)",
            mib(fresh),
            mib(baseline),
            mib(main.rss_peak_kib),
            mib(after),
            (after as f64 / baseline as f64 - 1.0) * 100.0,
        );
        check_round("soak", &main);
        assert!(
            after * 10 <= baseline * 11,
            "RSS after everyone left ({after} KiB) is more than 10% over the baseline \
             ({baseline} KiB)"
        );
        if let Some(mut serve) = Arc::into_inner(serve) {
            assert!(serve.alive(), "the server is still running");
            serve.stop(Duration::from_secs(5));
        }
    });
}
