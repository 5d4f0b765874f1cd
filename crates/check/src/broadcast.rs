//! Scenarios for `broadcast` (seed 004): the name line, welcome, joined/left notices,
//! relayed lines, `bye`, refused names, the classic client's name without a newline,
//! lines refused as too long or not UTF-8, and robustness.

use crate::wire::{garbage, Wire};
use crate::{scenario, Failure, Protocol, Scenario};
use std::net::SocketAddr;

/// The welcome line, exactly.
const WELCOME: &[u8] = b"Welcome to the chat. Enter 'bye' anytime to exit.\n";

pub(crate) fn scenarios() -> Vec<Scenario> {
    use Protocol::Broadcast as P;
    vec![
        scenario!(
            P,
            "broadcast_welcome_relay_bye",
            "docs/protocols/broadcast.md: welcome, `NAME joined the conversation`, `NAME: text`, `bye` (any case) then close",
            welcome_relay_bye
        ),
        scenario!(
            P,
            "broadcast_lost_connection",
            "docs/protocols/broadcast.md: a connection lost without `bye` -> `NAME left the conversation unexpectedly`",
            lost_connection
        ),
        scenario!(
            P,
            "broadcast_taken_name",
            "docs/protocols/broadcast.md: a taken name -> `Username already taken!`, then close",
            taken_name
        ),
        scenario!(
            P,
            "broadcast_bad_name",
            "docs/protocols/broadcast.md: a name that breaks the rules -> `Username not allowed!`, then close",
            bad_name
        ),
        scenario!(
            P,
            "broadcast_name_without_newline",
            "docs/protocols/broadcast.md: the classic client's name with no newline is taken after 500 ms",
            name_without_newline
        ),
        scenario!(
            P,
            "broadcast_too_long_and_not_utf8",
            "docs/protocols/broadcast.md: a line over 4096 bytes or not UTF-8 is not relayed; `Message not sent: ...` to the sender",
            too_long_and_not_utf8
        ),
        scenario!(
            P,
            "broadcast_robustness",
            "docs/protocols/common.md (nothing a client sends can crash the server; a vanished client is removed at once)",
            robustness
        ),
    ]
}

/// Connects and sends `name` as the first line; the welcome must come back.
async fn joined(addr: SocketAddr, name: &str) -> Result<Wire, Failure> {
    let mut c = Wire::connect(addr, name).await?;
    c.send_line(name.as_bytes()).await?;
    c.expect(WELCOME).await?;
    Ok(c)
}

/// `NAME joined the conversation` as others see it.
fn joined_line(name: &str) -> Vec<u8> {
    format!("{name} joined the conversation\n").into_bytes()
}

/// Says `bye`, waits for the close, and checks every one of `others` is told.
async fn bye(mut c: Wire, name: &str, others: &mut [&mut Wire]) -> Result<(), Failure> {
    c.send_line(b"bye").await?;
    c.expect_closed().await?;
    let left = format!("{name} left the conversation\n");
    for other in others.iter_mut() {
        other.expect(left.as_bytes()).await?;
    }
    Ok(())
}

/// The seed's conversation: welcome, joined, lines both ways, bye in any case.
async fn welcome_relay_bye(addr: SocketAddr) -> Result<(), Failure> {
    // alice arrives and is welcomed.
    let mut alice = joined(addr, "alice").await?;
    // bob arrives; alice is told, bob is not told about alice.
    let mut bob = joined(addr, "bob").await?;
    alice.expect(&joined_line("bob")).await?;
    // bob's line reaches alice.
    bob.send_line(b"Hey there").await?;
    alice.expect_line(b"bob: Hey there").await?;
    // alice's line reaches bob, who got no echo of his own (this is his next line).
    alice.send_line(b"Hello").await?;
    bob.expect_line(b"alice: Hello").await?;
    // bob leaves with "Bye\r\n" (any case, the \r dropped): closed, alice told.
    bob.send(b"Bye\r\n").await?;
    bob.expect_closed().await?;
    alice.expect_line(b"bob left the conversation").await?;
    // alice leaves with "BYE".
    alice.send_line(b"BYE").await?;
    alice.expect_closed().await
}

/// A reset, or an EOF, without `bye`: the others are told it was unexpected.
async fn lost_connection(addr: SocketAddr) -> Result<(), Failure> {
    let mut carl = joined(addr, "carl").await?;
    // dana resets her connection.
    let dana = joined(addr, "dana").await?;
    carl.expect(&joined_line("dana")).await?;
    dana.reset();
    carl.expect_line(b"dana left the conversation unexpectedly")
        .await?;
    // eli just closes (EOF) without bye.
    let eli = joined(addr, "eli").await?;
    carl.expect(&joined_line("eli")).await?;
    eli.close().await;
    carl.expect_line(b"eli left the conversation unexpectedly")
        .await?;
    // dana's name is free again.
    let dana = joined(addr, "dana").await?;
    carl.expect(&joined_line("dana")).await?;
    bye(dana, "dana", &mut [&mut carl]).await?;
    bye(carl, "carl", &mut []).await
}

/// A taken name (in any case) is refused and the connection closed.
async fn taken_name(addr: SocketAddr) -> Result<(), Failure> {
    let mut erin = joined(addr, "erin").await?;
    // ERIN is erin.
    let mut dup = Wire::connect(addr, "ERIN").await?;
    dup.send_line(b"ERIN").await?;
    dup.expect(b"Username already taken!\n").await?;
    dup.expect_closed().await?;
    // erin was told nothing of it: her next line is about fred.
    let mut fred = joined(addr, "fred").await?;
    erin.expect(&joined_line("fred")).await?;
    fred.send_line(b"hi erin").await?;
    erin.expect_line(b"fred: hi erin").await?;
    bye(fred, "fred", &mut [&mut erin]).await?;
    bye(erin, "erin", &mut []).await
}

/// Names that break the rules are refused and the connection closed.
async fn bad_name(addr: SocketAddr) -> Result<(), Failure> {
    let mut gail = joined(addr, "gail").await?;
    // A space and a special character; a leading digit; 33 characters.
    let long = "n".repeat(33);
    for name in ["bad name!", "9lives", long.as_str()] {
        let mut bad = Wire::connect(addr, name).await?;
        bad.send_line(name.as_bytes()).await?;
        bad.expect(b"Username not allowed!\n").await?;
        bad.expect_closed().await?;
    }
    // gail was told nothing: her next line is about hugo.
    let hugo = joined(addr, "hugo").await?;
    gail.expect(&joined_line("hugo")).await?;
    bye(hugo, "hugo", &mut [&mut gail]).await?;
    bye(gail, "gail", &mut []).await
}

/// The classic client sends its name without a newline; after 500 ms it is taken.
async fn name_without_newline(addr: SocketAddr) -> Result<(), Failure> {
    let mut ivan = joined(addr, "ivan").await?;
    // jane sends just "jane"; the welcome comes within the (3 s) timeout.
    let mut jane = Wire::connect(addr, "jane").await?;
    jane.send(b"jane").await?;
    jane.expect(WELCOME).await?;
    ivan.expect(&joined_line("jane")).await?;
    // Her later lines are ordinary lines.
    jane.send_line(b"hey there").await?;
    ivan.expect_line(b"jane: hey there").await?;
    bye(jane, "jane", &mut [&mut ivan]).await?;
    bye(ivan, "ivan", &mut []).await
}

/// Lines over 4096 bytes or not UTF-8 are refused to the sender alone.
async fn too_long_and_not_utf8(addr: SocketAddr) -> Result<(), Failure> {
    let mut kate = joined(addr, "kate").await?;
    let mut liam = joined(addr, "liam").await?;
    kate.expect(&joined_line("liam")).await?;
    // 4097 bytes, then 10,000: refused, one notice each.
    for len in [4097, 10_000] {
        kate.send_line(&vec![b'x'; len]).await?;
        kate.expect_line(b"Message not sent: too long (4096 bytes at most).")
            .await?;
    }
    // Not UTF-8.
    kate.send_line(b"caf\xc3 \xff").await?;
    kate.expect_line(b"Message not sent: not UTF-8.").await?;
    // Exactly 4096 bytes is relayed whole; liam got nothing before it.
    kate.send_line(&[b'y'; 4096]).await?;
    let mut relayed = b"kate: ".to_vec();
    relayed.extend_from_slice(&[b'y'; 4096]);
    liam.expect_line(&relayed).await?;
    // kate got nothing else: her next line is liam's.
    liam.send_line(b"ok").await?;
    kate.expect_line(b"liam: ok").await?;
    bye(liam, "liam", &mut [&mut kate]).await?;
    bye(kate, "kate", &mut []).await
}

/// Garbage, half a line then EOF, a reset mid-line; then the others still work exactly.
async fn robustness(addr: SocketAddr) -> Result<(), Failure> {
    let mut orla = joined(addr, "orla").await?;
    // Garbage as a name (0xff first, so never a valid one), then a close.
    let mut junk = Wire::connect(addr, "garbage").await?;
    let mut bytes = vec![0xff];
    bytes.extend(garbage(0x5eed_0005, 4096));
    junk.send(&bytes).await?;
    junk.close().await;
    // A named client sends garbage (relayed unpredictably) and half a line, then EOF:
    // orla sees, after whatever, that it left.
    let mut gabe = joined(addr, "gabe").await?;
    orla.expect(&joined_line("gabe")).await?;
    gabe.send(&garbage(0x5eed_0006, 2048)).await?;
    gabe.send(b"\nhalf a li").await?;
    gabe.close().await;
    orla.skip_until(b"gabe left the conversation unexpectedly\n")
        .await?;
    // A named client resets in the middle of a line: nothing of it is relayed.
    let mut rita = joined(addr, "rita").await?;
    orla.expect(&joined_line("rita")).await?;
    rita.send(b"never finish").await?;
    rita.reset();
    orla.expect_line(b"rita left the conversation unexpectedly")
        .await?;
    // orla and a newcomer talk exactly.
    let mut pete = joined(addr, "pete").await?;
    orla.expect(&joined_line("pete")).await?;
    orla.send_line(b"still fine").await?;
    pete.expect_line(b"orla: still fine").await?;
    pete.send_line(b"good").await?;
    orla.expect_line(b"pete: good").await?;
    bye(pete, "pete", &mut [&mut orla]).await?;
    bye(orla, "orla", &mut []).await
}
