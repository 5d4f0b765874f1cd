//! The four classroom protocols on the harness's [`Wire`]: a user of each who has taken a
//! name (the login bytes checked exactly), and a round trip proving a line client has
//! received everything sent before it.

use std::net::SocketAddr;
use std::time::Duration;

use confab_check::wire::{kind, name_field, result};

use crate::{Failure, Step, TestServer, Wire};

/// What a broadcast user is told once named.
pub const WELCOME: &[u8] = b"Welcome to the chat. Enter 'bye' anytime to exit.\n";

/// A rooms user with nickname `nick` in `room`.
pub async fn rooms_user(server: &TestServer, room: &str, nick: &str) -> Result<Wire, Failure> {
    rooms_user_at(server.addr("rooms"), room, nick).await
}

/// A rooms user of the server listening for the rooms protocol at `addr`.
pub async fn rooms_user_at(addr: SocketAddr, room: &str, nick: &str) -> Result<Wire, Failure> {
    let mut w = Wire::connect(addr, nick).await?;
    // Join first, then the nickname: one `0` each.
    w.send(format!("/join {room}\n/nick {nick}\n").as_bytes())
        .await?;
    w.expect(b"0\n0\n").await?;
    Ok(w)
}

/// A welcomed broadcast user (in `lobby`).
pub async fn broadcast_user(server: &TestServer, name: &str) -> Result<Wire, Failure> {
    let mut w = Wire::connect(server.addr("broadcast"), name).await?;
    w.send_line(name.as_bytes()).await?;
    w.expect(WELCOME).await?;
    Ok(w)
}

/// A named prefixed user (2-digit frames).
pub async fn prefixed_user(server: &TestServer, name: &str) -> Result<Wire, Failure> {
    prefixed_user_at(server.addr("prefixed"), name).await
}

/// A named prefixed user of the server listening for the protocol at `addr`.
pub async fn prefixed_user_at(addr: SocketAddr, name: &str) -> Result<Wire, Failure> {
    let mut w = Wire::connect(addr, name).await?;
    w.send_frame(2, format!("NAME {name}").as_bytes()).await?;
    w.expect_frame(2, format!("Hello {name}").as_bytes())
        .await?;
    Ok(w)
}

/// A logged-in packet user.
pub async fn packet_user(server: &TestServer, name: &str) -> Result<Wire, Failure> {
    packet_user_at(server.addr("packet"), name).await
}

/// A logged-in packet user of the server listening for the protocol at `addr`.
pub async fn packet_user_at(addr: SocketAddr, name: &str) -> Result<Wire, Failure> {
    let mut w = Wire::connect(addr, name).await?;
    w.send_packet(kind::LOGIN, &name_field(name.as_bytes()))
        .await?;
    w.expect_response(result::OK).await?;
    Ok(w)
}

/// Proves a rooms client has received everything sent before: `/who` is answered after
/// whatever was queued (its count, then that many names).
pub async fn rooms_sync(w: &mut Wire) -> Step {
    w.send_line(b"/who").await?;
    let count = w.read_line().await?;
    let n: usize = std::str::from_utf8(&count)
        .ok()
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| Failure::new("rooms sync: a count", b"N", &count))?;
    for _ in 0..n {
        w.read_line().await?;
    }
    Ok(())
}

/// Nothing more arrives for a moment (200 ms).
pub async fn silence(w: &mut Wire) -> Step {
    w.expect_silence(Duration::from_millis(200)).await
}
