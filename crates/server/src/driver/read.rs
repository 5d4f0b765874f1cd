//! The read path: what has arrived, read into the worker thread's scratch buffer after
//! any partial frame kept from before, handed to the adapter as far as flood control
//! allows; the rest kept in the connection's own buffer.

use std::cell::RefCell;
use std::io;

use bytes::BytesMut;

use super::pace::Pace;
use super::Spill;
use crate::adapter::{Adapter, Context, Flow};
use crate::ending::Ending;
use crate::socket::Socket;

/// Room made in the scratch buffer before each read.
const READ_CHUNK: usize = 16 * 1024;
/// Reads per wake-up at most, so one fast sender cannot hold a worker thread.
const READS_PER_WAKE: usize = 16;

thread_local! {
    /// Where every connection on this worker thread reads into. Used only between two
    /// awaits, so no connection ever sees another's bytes.
    static READ_SCRATCH: RefCell<BytesMut> = RefCell::new(BytesMut::new());
}

/// Reads what has arrived into the thread's scratch buffer, after any partial frame kept
/// from before, and hands it all to the adapter as far as flood control allows; keeps
/// the rest. A client whose held input passes `flood_queue_bytes` is disconnected.
pub(super) fn read_and_handle<S: Socket, A: Adapter>(
    stream: &mut S,
    adapter: &mut A,
    input: &mut Spill,
    cx: &Context<'_>,
    pace: &mut Pace,
) -> Result<Flow, Ending> {
    READ_SCRATCH.with_borrow_mut(|scratch| {
        scratch.clear();
        if let Some(kept) = &input.0 {
            scratch.extend_from_slice(kept);
        }
        let before = scratch.len();
        let mut eof = false;
        for _ in 0..READS_PER_WAKE {
            scratch.reserve(READ_CHUNK);
            let room = scratch.capacity() - scratch.len();
            match stream.read_now(scratch) {
                Ok(0) => {
                    eof = true;
                    break;
                }
                // A read that did not fill the room found everything there was.
                Ok(n) if n < room => break,
                Ok(_) => {}
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => break,
                Err(_) => return Err(Ending::Failed),
            }
        }
        let flow = if scratch.len() > before || pace.held {
            let counts = cx.shared.metrics.protocol(adapter.protocol());
            pace.metered(scratch, cx, counts, |input, cx| adapter.on_input(input, cx))
        } else {
            Flow::Continue
        };
        if flow == Flow::Continue && pace.held && scratch.len() > cx.limits().flood_queue_bytes {
            tracing::info!(
                peer = %cx.peer,
                protocol = adapter.protocol().name(),
                waiting = scratch.len(),
                "excess flood"
            );
            scratch.clear();
            return Err(Ending::ExcessFlood);
        }
        if eof && flow == Flow::Continue {
            if pace.held {
                // Handle what waits first, at the usual pace; then the end.
                pace.eof = true;
                keep_rest(scratch, input);
                return Ok(Flow::Continue);
            }
            adapter.on_eof(scratch, cx);
        }
        keep_rest(scratch, input);
        match (flow, eof) {
            (Flow::Close, _) => Ok(Flow::Close),
            (_, true) => Err(Ending::Eof),
            _ => Ok(Flow::Continue),
        }
    })
}

/// Keeps the unread rest of the scratch buffer in the connection's own buffer, or frees
/// that buffer when nothing is left.
fn keep_rest(scratch: &mut BytesMut, input: &mut Spill) {
    if scratch.is_empty() {
        input.0 = None;
    } else {
        let kept = input.buf();
        kept.clear();
        kept.extend_from_slice(scratch);
        scratch.clear();
    }
}
