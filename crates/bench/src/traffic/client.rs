//! One client of a traffic run, a task owning one socket: it registers, reports ready,
//! then reads whatever arrives (counting and timing the stamped messages of the senders
//! it should hear) and, if it sends, writes on its open-loop schedule until cancelled or
//! the server closes.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use hdrhistogram::Histogram;
use tokio::sync::{mpsc, watch};
use tokio::time::{sleep_until, Instant};
use tokio_util::sync::CancellationToken;

use super::plan::Role;
use super::schedule::{Schedule, Shared, SHARDS};
use crate::accounting::Stream;
use crate::client::{encode_chat, Conn, Other};
use crate::payload::{self, Stamp};
use crate::report::histogram;

/// A sender writes at most this many bytes per wake-up before reading again.
const MAX_BATCH: usize = 64 * 1024;

/// What one client task hands back.
#[derive(Default)]
pub(super) struct ClientResult {
    pub(super) streams: HashMap<u32, Stream>,
    pub(super) in_window: u64,
    pub(super) sent_in_window: u64,
    pub(super) unexpected: u64,
    pub(super) errors: u64,
    pub(super) disconnected: bool,
    pub(super) lag: Option<Histogram<u64>>,
}

/// A client's state through the run: its place in the schedule, its buffers, and what it
/// has counted so far.
struct Progress {
    result: ClientResult,
    schedule: Option<Schedule>,
    /// When its next message is due, in ns since the epoch.
    next_due: u64,
    seq: u64,
    /// A sender whose schedule has not ended.
    sending: bool,
    /// Bytes to write: due messages, or answers to the server (PONG).
    out: BytesMut,
    text: String,
    /// Latencies read since the last lock of the shared histogram, in µs.
    latencies: Vec<u64>,
}

/// One client: connect, register, report ready, then read (and send on schedule) until
/// cancelled or the server closes.
pub(super) async fn client(
    role: Role,
    addr: SocketAddr,
    setup_deadline: Instant,
    shared: Arc<Shared>,
    mut start_rx: watch::Receiver<Option<Schedule>>,
    ready: mpsc::Sender<Result<(), String>>,
    cancel: CancellationToken,
) -> ClientResult {
    let Some(mut conn) = register(&role, addr, setup_deadline, &shared, ready, &cancel).await
    else {
        return ClientResult::default();
    };
    let mut p = Progress::new(&role, &shared);
    let far = Instant::now() + Duration::from_secs(86_400);
    loop {
        let wake = match (&p.schedule, p.sending) {
            (Some(_), true) => shared.instant(p.next_due),
            _ => far,
        };
        tokio::select! {
            biased;
            _ = cancel.cancelled() => {
                conn.quit(Duration::from_millis(200)).await;
                break;
            }
            changed = start_rx.changed(), if p.schedule.is_none() => {
                if changed.is_err() {
                    break;
                }
                p.begin(*start_rx.borrow(), &role);
            }
            _ = sleep_until(wake), if p.schedule.is_some() && p.sending => {
                if !p.batch_due(&role, &shared) {
                    continue;
                }
                if conn.write(&p.out).await.is_err() {
                    p.result.disconnected = !cancel.is_cancelled();
                    break;
                }
            }
            filled = conn.fill() => {
                if !matches!(filled, Ok(true)) {
                    p.result.disconnected = !cancel.is_cancelled();
                    break;
                }
                let closing = p.read_frames(&mut conn, &role, &shared);
                if !p.out.is_empty() && conn.write(&p.out).await.is_err() {
                    p.result.disconnected = !cancel.is_cancelled();
                    break;
                }
                if closing {
                    p.result.disconnected = !cancel.is_cancelled();
                    break;
                }
            }
        }
    }
    p.result
}

/// Connects and registers (joining the role's room), then says so on `ready`: the
/// connection, or `None` if it failed (said on `ready` too) or the run was cancelled.
async fn register(
    role: &Role,
    addr: SocketAddr,
    setup_deadline: Instant,
    shared: &Shared,
    ready: mpsc::Sender<Result<(), String>>,
    cancel: &CancellationToken,
) -> Option<Conn> {
    let setup = async {
        let mut conn = Conn::connect(shared.wire, addr, role.source).await?;
        conn.register(&role.name, role.room.as_deref(), setup_deadline)
            .await?;
        anyhow::Ok(conn)
    };
    let conn = tokio::select! {
        _ = cancel.cancelled() => return None,
        conn = setup => match conn {
            Ok(conn) => conn,
            Err(e) => {
                let _ = ready.send(Err(format!("{}: {e:#}", role.name))).await;
                return None;
            }
        },
    };
    let _ = ready.send(Ok(())).await;
    Some(conn)
}

impl Progress {
    fn new(role: &Role, shared: &Shared) -> Progress {
        Progress {
            result: ClientResult::default(),
            schedule: None,
            next_due: 0,
            seq: 0,
            sending: role.send.is_some(),
            out: BytesMut::new(),
            text: String::with_capacity(shared.size + 32),
            latencies: Vec::new(),
        }
    }

    /// The schedule has come: a sender's first message is due at its offset.
    fn begin(&mut self, schedule: Option<Schedule>, role: &Role) {
        self.schedule = schedule;
        if let (Some(s), Some((_, _, offset, _))) = (&self.schedule, &role.send) {
            self.next_due = s.start_ns + offset;
        }
    }

    /// Puts every message now due in `out` (at most [`MAX_BATCH`] bytes, none past the
    /// end of sending), each stamped now, and records how late each went; false if this
    /// client has no schedule or nothing to send.
    fn batch_due(&mut self, role: &Role, shared: &Shared) -> bool {
        let (Some(s), Some((id, target, _, interval))) = (&self.schedule, &role.send) else {
            return false;
        };
        let now = shared.now_ns();
        self.out.clear();
        let lag = self.result.lag.get_or_insert_with(histogram);
        while self.next_due <= now && self.next_due < s.send_end_ns && self.out.len() < MAX_BATCH {
            self.text.clear();
            let stamp = Stamp {
                sender: *id,
                seq: self.seq,
                sent_ns: now,
            };
            payload::encode(stamp, shared.size, &mut self.text);
            encode_chat(shared.wire.protocol(), target, &self.text, &mut self.out);
            crate::report::record(lag, (now - self.next_due) / 1000);
            if self.next_due >= s.warm_end_ns {
                self.result.sent_in_window += 1;
            }
            self.seq += 1;
            self.next_due += interval;
        }
        shared.sent[*id as usize].store(self.seq, Relaxed);
        if self.next_due >= s.send_end_ns {
            self.sending = false;
        }
        true
    }

    /// Reads every whole frame `conn` holds: stamped messages are counted (and timed if
    /// sent in the measured window), anything else answered into `out`. True if the
    /// server said it is closing.
    fn read_frames(&mut self, conn: &mut Conn, role: &Role, shared: &Shared) -> bool {
        let now = shared.now_ns();
        let mut arrivals = 0u64;
        let mut closing = false;
        self.out.clear();
        while let Some(frame) = conn.next_frame() {
            let Some(stamp) = payload::find(&frame.bytes) else {
                match conn.other(&frame, &mut self.out) {
                    Other::Ignore => {}
                    Other::Error => self.result.errors += 1,
                    Other::Closing => closing = true,
                }
                continue;
            };
            if !role.hears.includes(stamp.sender) {
                self.result.unexpected += 1;
                continue;
            }
            arrivals += 1;
            self.result
                .streams
                .entry(stamp.sender)
                .or_default()
                .record(stamp.seq);
            if let Some(s) = &self.schedule {
                if (s.warm_end_ns..s.send_end_ns).contains(&stamp.sent_ns) {
                    self.result.in_window += 1;
                    self.latencies
                        .push(now.saturating_sub(stamp.sent_ns) / 1000);
                }
            }
        }
        if arrivals > 0 {
            shared.arrivals.fetch_add(arrivals, Relaxed);
        }
        self.flush_latencies(shared, role.index % SHARDS);
        closing
    }

    /// Adds the latencies read to the client's shard of the shared histograms: one lock
    /// per read, not per message.
    fn flush_latencies(&mut self, shared: &Shared, shard: usize) {
        if self.latencies.is_empty() {
            return;
        }
        if let Ok(mut h) = shared.latency[shard].lock() {
            for &us in &self.latencies {
                crate::report::record(&mut h, us);
            }
        }
        self.latencies.clear();
    }
}
