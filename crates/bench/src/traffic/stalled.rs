//! A stalled member of a fanout run: it joins the room and then never reads, a slow
//! consumer for the server to deal with; afterwards it tells whether the server closed it.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::client::Conn;
use crate::{Protocol, Wire};

/// Receive buffer of a stalled member: small, so the server's outbox for it fills soon.
const STALLED_RCVBUF: u32 = 4096;

/// A stalled member: connect (small receive buffer), register, join, report ready, then
/// never read until cancelled. Afterwards it reads what is left, for at most 2 s, to see
/// whether the server had closed the connection: true if it had.
#[allow(clippy::too_many_arguments)]
pub(super) async fn stalled_client(
    name: String,
    room: String,
    source: Option<IpAddr>,
    addr: SocketAddr,
    setup_deadline: Instant,
    wire: Wire,
    ready: mpsc::Sender<Result<(), String>>,
    cancel: CancellationToken,
) -> bool {
    let setup = async {
        let mut conn = Conn::connect_with(wire, addr, source, Some(STALLED_RCVBUF)).await?;
        let room = (wire.protocol() != Protocol::Broadcast).then_some(room.as_str());
        conn.register(&name, room, setup_deadline).await?;
        anyhow::Ok(conn)
    };
    let mut conn = tokio::select! {
        _ = cancel.cancelled() => return false,
        conn = setup => match conn {
            Ok(conn) => conn,
            Err(e) => {
                let _ = ready.send(Err(format!("{name} (stalled): {e:#}"))).await;
                return false;
            }
        },
    };
    let _ = ready.send(Ok(())).await;
    drop(ready);
    cancel.cancelled().await;
    let until = Instant::now() + Duration::from_secs(2);
    // Bounded: at most this many reads, each within the 2 s.
    for _ in 0..100_000 {
        conn.discard();
        match tokio::time::timeout_at(until, conn.fill()).await {
            Ok(Ok(true)) => {}
            Ok(Ok(false) | Err(_)) => return true,
            Err(_) => return false,
        }
    }
    false
}
