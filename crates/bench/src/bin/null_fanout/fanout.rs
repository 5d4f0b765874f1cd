//! The writers' side of the null fan-out: the hub every reader hands its PRIVMSG lines to,
//! one writer per thread with its share of the members, and the coalesced, non-blocking
//! sends to each member with a backlog for what its socket does not take.

use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering::Relaxed};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rustix::io::Errno;
use rustix::net::{send, SendFlags};

/// One connection as the writers see it.
pub(crate) struct Member {
    pub(crate) id: u32,
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

pub(crate) struct Hub {
    writers: Vec<Writer>,
    next_id: AtomicU32,
    pub(crate) backlog_max: usize,
    tick: Duration,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Member {
    /// Queues `data` behind the backlog and sends what the socket takes without blocking.
    /// `None` when the member is gone (error, or backlog over the limit); else whether a
    /// backlog remains.
    pub(crate) fn deliver(&self, data: &[u8], max: usize) -> Option<bool> {
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

    pub(crate) fn kill(&self) {
        self.dead.store(true, Relaxed);
        let _ = self.stream.shutdown(Shutdown::Both);
    }
}

/// A writer: take everything pending, send it to each of its members, repeat.
pub(crate) fn write_loop(hub: Arc<Hub>, index: usize) {
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

impl Hub {
    pub(crate) fn new(threads: usize, backlog_max: usize, tick_us: u64) -> Hub {
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

    /// A new connection's entry, with the next id; a member once it joins ([`Hub::add`]).
    pub(crate) fn member(&self, stream: TcpStream) -> Member {
        Member {
            id: self.next_id.fetch_add(1, Relaxed),
            stream,
            backlog: Mutex::new(Vec::new()),
            dead: AtomicBool::new(false),
        }
    }

    /// Makes `member` one of the room's: its writer is chosen by its id.
    pub(crate) fn add(&self, member: Arc<Member>) {
        let w = &self.writers[member.id as usize % self.writers.len()];
        lock(&w.members).push(member);
    }

    /// Appends member `id`'s PRIVMSG lines to every writer's pending buffer and wakes it.
    pub(crate) fn relay(&self, id: u32, relay: &[u8]) {
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
