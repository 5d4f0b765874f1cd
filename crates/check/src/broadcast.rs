//! Scenarios for `broadcast` (seed 004): the name line, welcome, joined/left notices,
//! relayed lines, `bye`, refused names, the classic client's name without a newline,
//! lines refused as too long or not UTF-8, and robustness.

use crate::guard::Occupancy;
use crate::wire::{garbage, Wire};
use crate::{scenario, Ctx, Failure, Protocol, Scenario};
use std::net::SocketAddr;
use std::time::Duration;

/// The welcome line, exactly.
const WELCOME: &[u8] = b"Welcome to the chat. Enter 'bye' anytime to exit.\n";

/// Seed 004 is a sample program whose server starts its lines with `\r` and colour
/// codes; confab's plain lines are its own decision (docs/protocols/common.md), so no
/// scenario here is graded against seed 004: with `--seed 004` every failure is a note.
pub(crate) fn scenarios() -> Vec<Scenario> {
    use Protocol::Broadcast as P;
    vec![
        scenario!(
            P,
            "broadcast_welcome_relay_bye",
            "docs/protocols/broadcast.md: welcome, `NAME joined the conversation`, `NAME: text`, `bye` (any case) then close",
            &[],
            welcome_relay_bye
        ),
        scenario!(
            P,
            "broadcast_lost_connection",
            "docs/protocols/broadcast.md: a connection lost without `bye` -> `NAME left the conversation unexpectedly`",
            &[],
            lost_connection
        ),
        scenario!(
            P,
            "broadcast_taken_name",
            "docs/protocols/broadcast.md: a taken name -> `Username already taken!`, then close",
            &[],
            taken_name
        ),
        scenario!(
            P,
            "broadcast_bad_name",
            "docs/protocols/broadcast.md: a name that breaks the rules -> `Username not allowed!`, then close",
            &[],
            bad_name
        ),
        scenario!(
            P,
            "broadcast_name_without_newline",
            "docs/protocols/broadcast.md: the classic client's name with no newline is taken after 500 ms",
            &[],
            name_without_newline
        ),
        scenario!(
            P,
            "broadcast_too_long_and_not_utf8",
            "docs/protocols/broadcast.md: a line over 4096 bytes or not UTF-8 is not relayed; `Message not sent: ...` to the sender",
            &[],
            too_long_and_not_utf8
        ),
        scenario!(
            P,
            "broadcast_robustness",
            "docs/protocols/common.md (nothing a client sends can crash the server; a vanished client is removed at once)",
            &[],
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

/// `NAME: text` as a relayed line.
fn said(name: &str, text: &str) -> Vec<u8> {
    format!("{name}: {text}").into_bytes()
}

/// The seed's conversation: welcome, joined, lines both ways, bye in any case.
async fn welcome_relay_bye(t: Ctx) -> Result<(), Failure> {
    let (alice_n, bob_n) = (t.name("alice"), t.name("bob"));
    // alice arrives and is welcomed.
    let mut alice = joined(t.addr, &alice_n).await?;
    // bob arrives; alice is told, bob is not told about alice.
    let mut bob = joined(t.addr, &bob_n).await?;
    alice.expect(&joined_line(&bob_n)).await?;
    // bob's line reaches alice.
    bob.send_line(b"Hey there").await?;
    alice.expect_line(&said(&bob_n, "Hey there")).await?;
    // alice's line reaches bob, who got no echo of his own (this is his next line).
    alice.send_line(b"Hello").await?;
    bob.expect_line(&said(&alice_n, "Hello")).await?;
    // bob leaves with "Bye\r\n" (any case, the \r dropped): closed, alice told.
    bob.send(b"Bye\r\n").await?;
    bob.expect_closed().await?;
    alice
        .expect_line(format!("{bob_n} left the conversation").as_bytes())
        .await?;
    // alice leaves with "BYE".
    alice.send_line(b"BYE").await?;
    alice.expect_closed().await
}

/// A reset, or an EOF, without `bye`: the others are told it was unexpected.
async fn lost_connection(t: Ctx) -> Result<(), Failure> {
    let (carl_n, dana_n, eli_n) = (t.name("carl"), t.name("dana"), t.name("eli"));
    let mut carl = joined(t.addr, &carl_n).await?;
    // dana resets her connection.
    let dana = joined(t.addr, &dana_n).await?;
    carl.expect(&joined_line(&dana_n)).await?;
    dana.reset();
    let unexpected = |n: &str| format!("{n} left the conversation unexpectedly").into_bytes();
    carl.expect_line(&unexpected(&dana_n)).await?;
    // eli just closes (EOF) without bye.
    let eli = joined(t.addr, &eli_n).await?;
    carl.expect(&joined_line(&eli_n)).await?;
    eli.close().await;
    carl.expect_line(&unexpected(&eli_n)).await?;
    // dana's name is free again.
    let dana = joined(t.addr, &dana_n).await?;
    carl.expect(&joined_line(&dana_n)).await?;
    bye(dana, &dana_n, &mut [&mut carl]).await?;
    bye(carl, &carl_n, &mut []).await
}

/// A taken name (in any case) is refused and the connection closed.
async fn taken_name(t: Ctx) -> Result<(), Failure> {
    let (erin_n, fred_n) = (t.name("erin"), t.name("fred"));
    let mut erin = joined(t.addr, &erin_n).await?;
    // ERIN is erin.
    let upper = erin_n.to_uppercase();
    let mut dup = Wire::connect(t.addr, &upper).await?;
    dup.send_line(upper.as_bytes()).await?;
    dup.expect(b"Username already taken!\n").await?;
    dup.expect_closed().await?;
    // erin was told nothing of it: her next line is about fred.
    let mut fred = joined(t.addr, &fred_n).await?;
    erin.expect(&joined_line(&fred_n)).await?;
    fred.send_line(b"hi erin").await?;
    erin.expect_line(&said(&fred_n, "hi erin")).await?;
    bye(fred, &fred_n, &mut [&mut erin]).await?;
    bye(erin, &erin_n, &mut []).await
}

/// Names that break the rules are refused and the connection closed.
async fn bad_name(t: Ctx) -> Result<(), Failure> {
    let (gail_n, hugo_n) = (t.name("gail"), t.name("hugo"));
    let mut gail = joined(t.addr, &gail_n).await?;
    // A space and a special character; a leading digit; 33 characters.
    let long = "n".repeat(33);
    for name in ["bad name!", "9lives", long.as_str()] {
        let mut bad = Wire::connect(t.addr, name).await?;
        bad.send_line(name.as_bytes()).await?;
        bad.expect(b"Username not allowed!\n").await?;
        bad.expect_closed().await?;
    }
    // gail was told nothing: her next line is about hugo.
    let hugo = joined(t.addr, &hugo_n).await?;
    gail.expect(&joined_line(&hugo_n)).await?;
    bye(hugo, &hugo_n, &mut [&mut gail]).await?;
    bye(gail, &gail_n, &mut []).await
}

/// The classic client sends its name without a newline; after 500 ms it is taken.
async fn name_without_newline(t: Ctx) -> Result<(), Failure> {
    let (ivan_n, jane_n) = (t.name("ivan"), t.name("jane"));
    let mut ivan = joined(t.addr, &ivan_n).await?;
    // jane sends just her name; the welcome comes within the (3 s) timeout.
    let mut jane = Wire::connect(t.addr, &jane_n).await?;
    jane.send(jane_n.as_bytes()).await?;
    jane.expect(WELCOME).await?;
    ivan.expect(&joined_line(&jane_n)).await?;
    // Her later lines are ordinary lines.
    jane.send_line(b"hey there").await?;
    ivan.expect_line(&said(&jane_n, "hey there")).await?;
    bye(jane, &jane_n, &mut [&mut ivan]).await?;
    bye(ivan, &ivan_n, &mut []).await
}

/// Lines over 4096 bytes or not UTF-8 are refused to the sender alone.
async fn too_long_and_not_utf8(t: Ctx) -> Result<(), Failure> {
    let (kate_n, liam_n) = (t.name("kate"), t.name("liam"));
    let mut kate = joined(t.addr, &kate_n).await?;
    let mut liam = joined(t.addr, &liam_n).await?;
    kate.expect(&joined_line(&liam_n)).await?;
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
    let mut relayed = format!("{kate_n}: ").into_bytes();
    relayed.extend_from_slice(&[b'y'; 4096]);
    liam.expect_line(&relayed).await?;
    // kate got nothing else: her next line is liam's.
    liam.send_line(b"ok").await?;
    kate.expect_line(&said(&liam_n, "ok")).await?;
    bye(liam, &liam_n, &mut [&mut kate]).await?;
    bye(kate, &kate_n, &mut []).await
}

/// Garbage, half a line then EOF, a reset mid-line; then the others still work exactly.
async fn robustness(t: Ctx) -> Result<(), Failure> {
    let (orla_n, gabe_n) = (t.name("orla"), t.name("gabe"));
    let (rita_n, pete_n) = (t.name("rita"), t.name("pete"));
    let mut orla = joined(t.addr, &orla_n).await?;
    // Garbage as a name (0xff first, so never a valid one), then a close.
    let mut junk = Wire::connect(t.addr, "garbage").await?;
    let mut bytes = vec![0xff];
    bytes.extend(garbage(0x5eed_0005, 4096));
    junk.send(&bytes).await?;
    junk.close().await;
    // A named client sends garbage (relayed unpredictably) and half a line, then EOF:
    // orla sees, after whatever, that it left.
    let mut gabe = joined(t.addr, &gabe_n).await?;
    orla.expect(&joined_line(&gabe_n)).await?;
    gabe.send(&garbage(0x5eed_0006, 2048)).await?;
    gabe.send(b"\nhalf a li").await?;
    gabe.close().await;
    let gone = format!("{gabe_n} left the conversation unexpectedly\n");
    orla.skip_until(gone.as_bytes()).await?;
    // A named client resets in the middle of a line: nothing of it is relayed.
    let mut rita = joined(t.addr, &rita_n).await?;
    orla.expect(&joined_line(&rita_n)).await?;
    rita.send(b"never finish").await?;
    rita.reset();
    orla.expect_line(format!("{rita_n} left the conversation unexpectedly").as_bytes())
        .await?;
    // orla and a newcomer talk exactly.
    let mut pete = joined(t.addr, &pete_n).await?;
    orla.expect(&joined_line(&pete_n)).await?;
    orla.send_line(b"still fine").await?;
    pete.expect_line(&said(&orla_n, "still fine")).await?;
    pete.send_line(b"good").await?;
    orla.expect_line(&said(&pete_n, "good")).await?;
    bye(pete, &pete_n, &mut [&mut orla]).await?;
    bye(orla, &orla_n, &mut []).await
}

/// How long the probe listens for someone else.
const LISTEN: Duration = Duration::from_secs(1);

/// Broadcast has no list: the probe joins under its own name and listens; any line from
/// someone else (chat, a join, a leave) means the server is in use. A user who says
/// nothing meanwhile is not seen, and sees the probe join and leave.
pub(crate) async fn occupancy(t: &Ctx) -> Result<Occupancy, Failure> {
    let probe = t.name("check");
    let mut c = joined(t.addr, &probe).await?;
    let heard = c.expect_silence(LISTEN).await;
    let _ = bye(c, &probe, &mut []).await;
    Ok(match heard {
        Ok(()) => Occupancy::Quiet,
        Err(f) if !f.received.is_empty() => Occupancy::InUse(format!(
            "someone is talking: {}",
            crate::escape(&f.received)
        )),
        Err(f) => Occupancy::Unknown(f.step),
    })
}
