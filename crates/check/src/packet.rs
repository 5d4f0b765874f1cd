//! Scenarios for `packet` (seed 002): login, list, sendto and logout; the failures
//! (RESPONSE 1); malformed packets (RESPONSE 2) after which the connection goes on; the
//! oversized body that ends a connection; and robustness.

use crate::guard::Occupancy;
use crate::wire::{
    garbage, kind, name_field, packet, result, sendto_body, text_field, Wire, DEFAULT_TIMEOUT,
};
use crate::{quotes, scenario, Ctx, Failure, Protocol, Scenario};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::time::Instant;

pub(crate) fn scenarios() -> Vec<Scenario> {
    use Protocol::Packet as P;
    vec![
        scenario!(
            P,
            "packet_login_list_sendto_logout",
            "docs/protocols/packet.md: types 0x01-0x04, LIST 0x81, RESPONSE 0x82, SENDTO 0x83; logout keeps the connection",
            quotes![
                S002: "Connected clients can: 1. list the members already logged in, 2. log in with a username, 3. exchange messages with other logged in users, 4. log out.",
                S002: "The client should not close the connection with the server when executing this command. After executing this command, the client should still be able to execute the list and login commands.",
                S002: "For each message that the client sends to the server the server will send a message back. For a successful list message the server will return a LIST message back. For all other messages or an unsuccessful list Message, the server will respond with a RESPONSE Message."
            ],
            login_list_sendto_logout
        ),
        scenario!(
            P,
            "packet_failures",
            "docs/protocols/packet.md: RESPONSE failure (taken or bad name, login while logged in, logout while logged out, sendto unknown, before login, over 65535 characters)",
            &[],
            failures
        ),
        scenario!(
            P,
            "packet_malformed_goes_on",
            "docs/protocols/packet.md: RESPONSE malformed (unknown type, body shorter or longer than its strings, invalid UTF-8), resynchronised by the length field",
            &[],
            malformed_goes_on
        ),
        scenario!(
            P,
            "packet_oversized_body_closes",
            "docs/protocols/packet.md: a body length over 70,000 bytes gets RESPONSE malformed, then the server closes",
            &[],
            oversized_body_closes
        ),
        scenario!(
            P,
            "packet_robustness",
            "docs/protocols/common.md (nothing a client sends can crash the server; a vanished client is removed at once)",
            &[],
            robustness
        ),
    ]
}

/// Connects a client and logs in as `name`; RESPONSE ok must come back.
async fn logged_in(addr: SocketAddr, name: &str) -> Result<Wire, Failure> {
    let mut c = Wire::connect(addr, name).await?;
    login(&mut c, name, result::OK).await?;
    Ok(c)
}

/// Sends login for `name` and expects RESPONSE `code`.
async fn login(c: &mut Wire, name: &str, code: u8) -> Result<(), Failure> {
    c.send_packet(kind::LOGIN, &name_field(name.as_bytes()))
        .await?;
    c.expect_response(code).await
}

/// Sends list and expects a LIST with exactly `names`.
async fn list(c: &mut Wire, names: &[&str]) -> Result<(), Failure> {
    c.send_packet(kind::LIST, b"").await?;
    let names: Vec<&[u8]> = names.iter().map(|n| n.as_bytes()).collect();
    c.expect_list(&names).await
}

/// Sends list until the LIST is exactly `names`: the server notices a vanished client
/// asynchronously, so the first answer may still show it.
async fn eventually_list(c: &mut Wire, names: &[&str]) -> Result<(), Failure> {
    let names: Vec<&[u8]> = names.iter().map(|n| n.as_bytes()).collect();
    let want = packet(kind::LIST_REPLY, &crate::wire::list_body(&names));
    let deadline = Instant::now() + DEFAULT_TIMEOUT;
    loop {
        c.send_packet(kind::LIST, b"").await?;
        let (got_kind, body) = c.read_packet().await?;
        let got = packet(got_kind, &body);
        if got == want {
            return Ok(());
        }
        if Instant::now() >= deadline {
            let step = format!("{}: list until the vanished client is gone", c.label());
            return Err(Failure::new(step, &want, &got));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Sends sendto and expects RESPONSE `code`.
async fn sendto(c: &mut Wire, to: &str, text: &[u8], code: u8) -> Result<(), Failure> {
    c.send_packet(kind::SENDTO, &sendto_body(to.as_bytes(), text))
        .await?;
    c.expect_response(code).await
}

/// Expects a SENDTO from `from` carrying `text`.
async fn receive(c: &mut Wire, from: &str, text: &[u8]) -> Result<(), Failure> {
    c.expect_packet(kind::SENDTO_REPLY, &sendto_body(from.as_bytes(), text))
        .await
}

/// Logs out (RESPONSE ok) and closes: the name is free once the RESPONSE arrived.
async fn leave(mut c: Wire) -> Result<(), Failure> {
    c.send_packet(kind::LOGOUT, b"").await?;
    c.expect_response(result::OK).await?;
    c.close().await;
    Ok(())
}

/// The happy path, including logout, list and login again on the same connection.
async fn login_list_sendto_logout(t: Ctx) -> Result<(), Failure> {
    let (pat_name, quinn_name) = (t.name("pat"), t.name("quinn"));
    let (p, q) = (pat_name.as_str(), quinn_name.as_str());
    // Two clients connect; before anyone logs in the list is empty.
    let mut pat = Wire::connect(t.addr, p).await?;
    let mut quinn = Wire::connect(t.addr, q).await?;
    list(&mut pat, &[]).await?;
    // Both log in.
    login(&mut pat, p, result::OK).await?;
    login(&mut quinn, q, result::OK).await?;
    // The list holds both, in the order the names were taken.
    list(&mut pat, &[p, q]).await?;
    list(&mut quinn, &[p, q]).await?;
    // pat writes to quinn: pat gets RESPONSE ok, quinn a SENDTO from pat.
    sendto(&mut pat, q, b"hello quinn", result::OK).await?;
    receive(&mut quinn, p, b"hello quinn").await?;
    // And back, with UTF-8 text.
    sendto(&mut quinn, p, "hi pat, ça va?".as_bytes(), result::OK).await?;
    receive(&mut pat, q, "hi pat, ça va?".as_bytes()).await?;
    // pat logs out; the connection stays and can still list.
    pat.send_packet(kind::LOGOUT, b"").await?;
    pat.expect_response(result::OK).await?;
    list(&mut quinn, &[q]).await?;
    list(&mut pat, &[q]).await?;
    // pat logs in again on the same connection, now after quinn in the list.
    login(&mut pat, p, result::OK).await?;
    list(&mut quinn, &[q, p]).await?;
    // Messages reach the re-logged-in pat.
    sendto(&mut quinn, p, b"welcome back", result::OK).await?;
    receive(&mut pat, q, b"welcome back").await?;
    leave(pat).await?;
    leave(quinn).await
}

/// Every RESPONSE failure of the table; none of them changes anything.
async fn failures(t: Ctx) -> Result<(), Failure> {
    let (rex_name, sue_name, nobody) = (t.name("rex"), t.name("sue"), t.name("nobody"));
    let (r, s) = (rex_name.as_str(), sue_name.as_str());
    let mut rex = logged_in(t.addr, r).await?;
    let mut sue = Wire::connect(t.addr, s).await?;
    // Before login: sendto and logout fail.
    sendto(&mut sue, r, b"hi", result::FAILURE).await?;
    sue.send_packet(kind::LOGOUT, b"").await?;
    sue.expect_response(result::FAILURE).await?;
    // A taken name, in any case.
    login(&mut sue, &r.to_uppercase(), result::FAILURE).await?;
    login(&mut sue, r, result::FAILURE).await?;
    // Bad names: empty, a space and a special character, a leading digit, 33 characters.
    let long = "a".repeat(33);
    for bad in ["", "bad name!", "9lives", long.as_str()] {
        login(&mut sue, bad, result::FAILURE).await?;
    }
    // A good name works; a second login on a logged-in connection fails.
    login(&mut sue, s, result::OK).await?;
    login(&mut sue, s, result::FAILURE).await?;
    login(&mut sue, &t.name("sue2"), result::FAILURE).await?;
    // sendto a name nobody has.
    sendto(&mut sue, &nobody, b"hi", result::FAILURE).await?;
    // Text over 65535 characters fails; exactly 65535 is delivered.
    sendto(&mut sue, r, &[b'x'; 65536], result::FAILURE).await?;
    sendto(&mut sue, r, &[b'y'; 65535], result::OK).await?;
    // rex got only the one that was allowed; the list is unchanged by the failures.
    receive(&mut rex, s, &[b'y'; 65535]).await?;
    list(&mut rex, &[r, s]).await?;
    leave(rex).await?;
    leave(sue).await
}

/// Malformed packets get RESPONSE 2 and the connection goes on.
async fn malformed_goes_on(t: Ctx) -> Result<(), Failure> {
    let (tia_name, uli_name) = (t.name("tia"), t.name("uli"));
    let (ti, u) = (tia_name.as_str(), uli_name.as_str());
    let mut tia = logged_in(t.addr, ti).await?;
    let mut uli = Wire::connect(t.addr, u).await?;
    // An unknown type, empty and with a body (70,000 bytes: the most allowed).
    uli.send_packet(0x7f, b"").await?;
    uli.expect_response(result::MALFORMED).await?;
    uli.send_packet(0x42, &[b'z'; 70_000]).await?;
    uli.expect_response(result::MALFORMED).await?;
    // A login whose name claims 10 bytes but has 3 (body shorter than its string).
    uli.send_packet(kind::LOGIN, &[10, b'u', b'l', b'i'])
        .await?;
    uli.expect_response(result::MALFORMED).await?;
    // A login with trailing bytes after the name (body longer than its string).
    let mut body = name_field(u.as_bytes());
    body.extend_from_slice(b"xx");
    uli.send_packet(kind::LOGIN, &body).await?;
    uli.expect_response(result::MALFORMED).await?;
    // A login whose name is not UTF-8.
    uli.send_packet(kind::LOGIN, &name_field(b"\xff\xfe"))
        .await?;
    uli.expect_response(result::MALFORMED).await?;
    // A list with a body (list's body is empty).
    uli.send_packet(kind::LIST, b"x").await?;
    uli.expect_response(result::MALFORMED).await?;
    // None of them logged uli in.
    list(&mut tia, &[ti]).await?;
    // The connection goes on: uli logs in.
    login(&mut uli, u, result::OK).await?;
    // A sendto whose text is not UTF-8, and one whose text length overruns the body.
    uli.send_packet(kind::SENDTO, &sendto_body(ti.as_bytes(), b"caf\xc3"))
        .await?;
    uli.expect_response(result::MALFORMED).await?;
    let mut body = name_field(ti.as_bytes());
    body.extend(text_field(b"hello"));
    body.truncate(body.len() - 2);
    uli.send_packet(kind::SENDTO, &body).await?;
    uli.expect_response(result::MALFORMED).await?;
    // tia received none of those; this one arrives first.
    sendto(&mut uli, ti, b"fine", result::OK).await?;
    receive(&mut tia, u, b"fine").await?;
    list(&mut tia, &[ti, u]).await?;
    leave(tia).await?;
    leave(uli).await
}

/// A body length over 70,000: RESPONSE malformed, the server closes, the user is gone.
async fn oversized_body_closes(t: Ctx) -> Result<(), Failure> {
    let (vera_name, walt_name) = (t.name("vera"), t.name("walt"));
    let (v, w) = (vera_name.as_str(), walt_name.as_str());
    let mut vera = logged_in(t.addr, v).await?;
    let mut walt = logged_in(t.addr, w).await?;
    // Only the header, claiming 70,001 bytes: the server must not wait for the body.
    walt.send(&[kind::LIST, 0x00, 0x01, 0x11, 0x71]).await?;
    walt.expect_response(result::MALFORMED).await?;
    walt.expect_closed().await?;
    // walt is logged out with his connection; vera goes on.
    eventually_list(&mut vera, &[v]).await?;
    sendto(&mut vera, w, b"gone?", result::FAILURE).await?;
    // The name is free for a new connection.
    let walt = logged_in(t.addr, w).await?;
    list(&mut vera, &[v, w]).await?;
    leave(walt).await?;
    leave(vera).await
}

/// Garbage, half a packet then EOF, and a reset mid-packet; then other clients still
/// work exactly.
async fn robustness(t: Ctx) -> Result<(), Failure> {
    let (yuri_name, xena_name, zack_name) = (t.name("yuri"), t.name("xena"), t.name("zack"));
    let (y, x, z) = (yuri_name.as_str(), xena_name.as_str(), zack_name.as_str());
    // A logged-in client watches the whole time.
    let mut yuri = logged_in(t.addr, y).await?;
    // Random garbage, then a close.
    let mut junk = Wire::connect(t.addr, "garbage").await?;
    junk.send(&garbage(0x5eed_0002, 4096)).await?;
    junk.close().await;
    // Half a login packet (says 10 bytes, sends 2), then EOF.
    let mut half = Wire::connect(t.addr, "half").await?;
    half.send(&[kind::LOGIN, 0, 0, 0, 10, 5, b'h']).await?;
    half.close().await;
    // A logged-in client resets in the middle of a sendto.
    let mut xena = logged_in(t.addr, x).await?;
    let whole = packet(kind::SENDTO, &sendto_body(y.as_bytes(), b"never finished"));
    xena.send(&whole[..whole.len() / 2]).await?;
    xena.reset();
    // The server dropped xena.
    eventually_list(&mut yuri, &[y]).await?;
    // yuri and a newcomer exchange messages exactly.
    let mut zack = logged_in(t.addr, z).await?;
    sendto(&mut yuri, z, b"still fine", result::OK).await?;
    receive(&mut zack, y, b"still fine").await?;
    sendto(&mut zack, y, b"good", result::OK).await?;
    receive(&mut yuri, z, b"good").await?;
    list(&mut yuri, &[y, z]).await?;
    leave(yuri).await?;
    leave(zack).await
}

/// Asks LIST without logging in (nobody sees it): any name means the server is in use.
pub(crate) async fn occupancy(t: &Ctx) -> Result<Occupancy, Failure> {
    let mut c = Wire::connect(t.addr, "look").await?;
    c.send_packet(kind::LIST, b"").await?;
    let (got, body) = c.read_packet().await?;
    c.close().await;
    if got != kind::LIST_REPLY {
        let shown = crate::escape(&packet(got, &body));
        return Ok(Occupancy::Unknown(format!("LIST answered {shown}")));
    }
    let names = crate::wire::parse_list_body(&body);
    Ok(match names {
        Some(names) if names.is_empty() => Occupancy::Quiet,
        Some(names) => Occupancy::InUse(format!("LIST shows {}", names.join(" "))),
        None => Occupancy::Unknown(format!("LIST's body {} is no list", crate::escape(&body))),
    })
}
