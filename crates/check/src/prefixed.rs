//! Scenarios for `prefixed` (seeds 000 and 001): seed 000's example run at both widths,
//! every row of seed 001's rubric, every row of docs/protocols/prefixed.md's table, long
//! replies split into frames, and robustness against garbage and vanishing clients.

use crate::wire::{garbage, Wire, DEFAULT_TIMEOUT};
use crate::{scenario, Failure, Protocol, Scenario};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::time::Instant;

pub(crate) fn scenarios() -> Vec<Scenario> {
    use Protocol::Prefixed as P;
    vec![
        scenario!(
            P,
            "prefixed_example_run_width2",
            "docs/protocols/prefixed.md: seed 000's example run, 2-digit length fields",
            example_run_width2
        ),
        scenario!(
            P,
            "prefixed_example_run_width4",
            "docs/protocols/prefixed.md: seed 000's example run, 4-digit length fields",
            example_run_width4
        ),
        scenario!(
            P,
            "prefixed_rubric_name_then_getnames",
            "docs/protocols/prefixed.md, rows `NAME A` and `GET_NAMES` (seed 001 rubric: both clients NAME then GETNAMES)",
            rubric_name_then_getnames
        ),
        scenario!(
            P,
            "prefixed_rubric_one_word_message",
            "docs/protocols/prefixed.md, row `MSG B HELLO` (seed 001 rubric: a one-word message with the sender's name)",
            rubric_one_word_message
        ),
        scenario!(
            P,
            "prefixed_rubric_exit_server_goes_on",
            "docs/protocols/prefixed.md, row `EXIT` (seed 001 rubric: the server goes on after EXIT)",
            rubric_exit_server_goes_on
        ),
        scenario!(
            P,
            "prefixed_rubric_unknown_command",
            "docs/protocols/prefixed.md, row `anything else` (seed 001 rubric: an undefined message)",
            rubric_unknown_command
        ),
        scenario!(
            P,
            "prefixed_rubric_message_to_himself",
            "docs/protocols/prefixed.md, row `MSG A hi` sent by A (seed 001 rubric: a message to himself)",
            rubric_message_to_himself
        ),
        scenario!(
            P,
            "prefixed_name_taken",
            "docs/protocols/prefixed.md, row `NAME a` while A is taken (names compared case-insensitively, echoed as typed)",
            name_taken
        ),
        scenario!(
            P,
            "prefixed_rename",
            "docs/protocols/prefixed.md, row `NAME C` when already named",
            rename
        ),
        scenario!(
            P,
            "prefixed_bad_name",
            "docs/protocols/prefixed.md, row `NAME` with a bad or missing name; common rules: names",
            bad_name
        ),
        scenario!(
            P,
            "prefixed_msg_errors",
            "docs/protocols/prefixed.md, rows `MSG` to a name nobody has, `MSG` before `NAME`, `MSG` without a name or text",
            msg_errors
        ),
        scenario!(
            P,
            "prefixed_not_utf8",
            "docs/protocols/prefixed.md, row text that is not UTF-8",
            not_utf8
        ),
        scenario!(
            P,
            "prefixed_empty_and_bad_length",
            "docs/protocols/prefixed.md: framing (`Error: bad length field`, the connection stays open) and the empty command",
            empty_and_bad_length
        ),
        scenario!(
            P,
            "prefixed_long_reply_split",
            "docs/protocols/prefixed.md: framing (a reply longer than 99 bytes is split after the last space that fits; a direct message into messages that each carry the real sender)",
            long_reply_split
        ),
        scenario!(
            P,
            "prefixed_robustness",
            "docs/protocols/common.md (nothing a client sends can crash the server; a vanished client is removed at once)",
            robustness
        ),
    ]
}

/// Connects a client and takes `name`; `Hello NAME` must come back.
async fn named(addr: SocketAddr, w: usize, name: &str) -> Result<Wire, Failure> {
    let mut c = Wire::connect(addr, name).await?;
    c.send_frame(w, format!("NAME {name}").as_bytes()).await?;
    c.expect_frame(w, format!("Hello {name}").as_bytes())
        .await?;
    Ok(c)
}

/// Sends EXIT and waits until the server has closed the connection.
async fn exit(mut c: Wire, w: usize) -> Result<(), Failure> {
    c.send_frame(w, b"EXIT").await?;
    c.expect_closed().await
}

/// Asks GET_NAMES and expects exactly `names`.
async fn expect_names(c: &mut Wire, w: usize, names: &str) -> Result<(), Failure> {
    c.send_frame(w, b"GET_NAMES").await?;
    c.expect_reply(w, names.as_bytes()).await
}

/// Asks GET_NAMES until the answer is `names`: a client that vanished (reset, EOF) is
/// noticed by the server asynchronously, so the first answer may still list it.
async fn eventually_names(c: &mut Wire, w: usize, names: &str) -> Result<(), Failure> {
    let deadline = Instant::now() + DEFAULT_TIMEOUT;
    loop {
        c.send_frame(w, b"GET_NAMES").await?;
        let got = c.read_frame(w).await?;
        if got == names.as_bytes() {
            return Ok(());
        }
        if Instant::now() >= deadline {
            let step = format!("{}: GET_NAMES until the vanished client is gone", c.label());
            return Err(Failure::new(step, names.as_bytes(), &got));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn example_run_width2(addr: SocketAddr) -> Result<(), Failure> {
    example_run(addr, 2).await
}

async fn example_run_width4(addr: SocketAddr) -> Result<(), Failure> {
    example_run(addr, 4).await
}

/// Seed 000's example run, its 15 numbered steps in order.
async fn example_run(addr: SocketAddr, w: usize) -> Result<(), Failure> {
    // 1-2. A client connects and sets the name A.
    let mut a = named(addr, w, "A").await?;
    // 3-4. Another client connects and sets the name B.
    let b = named(addr, w, "B").await?;
    // 5. A checks which clients exist: "A B".
    expect_names(&mut a, w, "A B").await?;
    // 6. B disconnects with EXIT; the server closes it.
    exit(b, w).await?;
    // 7. A checks again: only "A".
    expect_names(&mut a, w, "A").await?;
    // 8-9. Another client connects and sets the name B (free again).
    let mut b = named(addr, w, "B").await?;
    // 10. A checks again: "A B".
    expect_names(&mut a, w, "A B").await?;
    // 11-12. A sends HELLO to B; B receives it with the sender's name.
    a.send_frame(w, b"MSG B HELLO").await?;
    b.expect_frame(w, b"A sent HELLO").await?;
    // 13. B sends HELLO to A; A's next frame is it (so A got nothing back for step 11).
    b.send_frame(w, b"MSG A HELLO").await?;
    a.expect_frame(w, b"B sent HELLO").await?;
    // 14. B disconnects.
    exit(b, w).await?;
    // 15. A disconnects.
    exit(a, w).await
}

/// Rubric: both clients NAME then GETNAMES (seed 001's spelling), and GET_NAMES.
async fn rubric_name_then_getnames(addr: SocketAddr) -> Result<(), Failure> {
    // Both clients take a name.
    let mut rita = named(addr, 2, "Rita").await?;
    let mut sam = named(addr, 4, "Sam").await?;
    // Each asks with seed 001's GETNAMES: both names, in the order they were taken.
    rita.send_frame(2, b"GETNAMES").await?;
    rita.expect_frame(2, b"Rita Sam").await?;
    sam.send_frame(4, b"GETNAMES").await?;
    sam.expect_frame(4, b"Rita Sam").await?;
    // Command words are case-insensitive: get_names works too.
    sam.send_frame(4, b"get_names").await?;
    sam.expect_frame(4, b"Rita Sam").await?;
    // Both leave.
    exit(rita, 2).await?;
    exit(sam, 4).await
}

/// Rubric: a one-word message reaches the other client with the sender's name.
async fn rubric_one_word_message(addr: SocketAddr) -> Result<(), Failure> {
    let mut ugo = named(addr, 2, "Ugo").await?;
    let mut vic = named(addr, 2, "Vic").await?;
    // Ugo sends one word to Vic.
    ugo.send_frame(2, b"MSG Vic hello").await?;
    vic.expect_frame(2, b"Ugo sent hello").await?;
    // Vic answers with several words: the text is everything after the name.
    vic.send_frame(2, b"MSG Ugo how are you").await?;
    ugo.expect_frame(2, b"Vic sent how are you").await?;
    exit(ugo, 2).await?;
    exit(vic, 2).await
}

/// Rubric: a client leaves with EXIT and the server goes on serving the others.
async fn rubric_exit_server_goes_on(addr: SocketAddr) -> Result<(), Failure> {
    let mut tom = named(addr, 2, "Tom").await?;
    let mut uma = named(addr, 2, "Uma").await?;
    let mut wes = named(addr, 2, "Wes").await?;
    // Wes leaves (lower-case exit: command words are case-insensitive).
    wes.send_frame(2, b"exit").await?;
    wes.expect_closed().await?;
    // Tom no longer sees Wes, and cannot reach him.
    expect_names(&mut tom, 2, "Tom Uma").await?;
    tom.send_frame(2, b"MSG Wes hi").await?;
    tom.expect_frame(2, b"Error: no user named Wes").await?;
    // Tom and Uma still talk.
    tom.send_frame(2, b"MSG Uma still here").await?;
    uma.expect_frame(2, b"Tom sent still here").await?;
    // A new client can take the freed name.
    let wes = named(addr, 2, "Wes").await?;
    exit(wes, 2).await?;
    exit(tom, 2).await?;
    exit(uma, 2).await
}

/// Rubric: an unknown command gets an error and the connection goes on.
async fn rubric_unknown_command(addr: SocketAddr) -> Result<(), Failure> {
    // An unnamed client sends FOO.
    let mut xia = Wire::connect(addr, "Xia").await?;
    xia.send_frame(2, b"FOO").await?;
    xia.expect_frame(2, b"Error: unknown command FOO").await?;
    // Its connection goes on: it can take a name.
    xia.send_frame(2, b"NAME Xia").await?;
    xia.expect_frame(2, b"Hello Xia").await?;
    // A named client's unknown command names the word as typed.
    let mut yul = named(addr, 2, "Yul").await?;
    yul.send_frame(2, b"HELLO there").await?;
    yul.expect_frame(2, b"Error: unknown command HELLO").await?;
    // Both still exchange messages.
    yul.send_frame(2, b"MSG Xia hi").await?;
    xia.expect_frame(2, b"Yul sent hi").await?;
    exit(xia, 2).await?;
    exit(yul, 2).await
}

/// Rubric: a message to himself is delivered like any other.
async fn rubric_message_to_himself(addr: SocketAddr) -> Result<(), Failure> {
    let mut yan = named(addr, 2, "Yan").await?;
    let mut zoe = named(addr, 2, "Zoe").await?;
    // Yan writes to Yan.
    yan.send_frame(2, b"MSG Yan hi").await?;
    yan.expect_frame(2, b"Yan sent hi").await?;
    // Zoe got none of it: her next frame is the one Yan sends her now.
    yan.send_frame(2, b"MSG Zoe hey").await?;
    zoe.expect_frame(2, b"Yan sent hey").await?;
    exit(yan, 2).await?;
    exit(zoe, 2).await
}

/// A taken name, in any case, is refused with the name as this client typed it.
async fn name_taken(addr: SocketAddr) -> Result<(), Failure> {
    let mut kim = named(addr, 2, "Kim").await?;
    let mut other = Wire::connect(addr, "other").await?;
    // "kim" and "KIM" are the same name as "Kim".
    other.send_frame(2, b"NAME kim").await?;
    other.expect_frame(2, b"Error: name kim is taken").await?;
    other.send_frame(2, b"NAME KIM").await?;
    other.expect_frame(2, b"Error: name KIM is taken").await?;
    // A free name still works, and the list shows both as typed.
    other.send_frame(2, b"NAME Lee").await?;
    other.expect_frame(2, b"Hello Lee").await?;
    expect_names(&mut kim, 2, "Kim Lee").await?;
    exit(kim, 2).await?;
    exit(other, 2).await
}

/// NAME when already named renames and releases the old name.
async fn rename(addr: SocketAddr) -> Result<(), Failure> {
    let mut first = named(addr, 2, "Carl").await?;
    // Carl becomes Cleo.
    first.send_frame(2, b"NAME Cleo").await?;
    first.expect_frame(2, b"Hello Cleo").await?;
    // Another client can now take Carl.
    let mut second = named(addr, 2, "Carl").await?;
    // Cleo cannot rename to the now-taken carl.
    first.send_frame(2, b"NAME carl").await?;
    first.expect_frame(2, b"Error: name carl is taken").await?;
    // Messages follow the new names both ways.
    second.send_frame(2, b"MSG Cleo hi").await?;
    first.expect_frame(2, b"Carl sent hi").await?;
    first.send_frame(2, b"MSG Carl yo").await?;
    second.expect_frame(2, b"Cleo sent yo").await?;
    exit(first, 2).await?;
    exit(second, 2).await
}

/// A missing or rule-breaking name gets `Error: bad name`.
async fn bad_name(addr: SocketAddr) -> Result<(), Failure> {
    let mut gus = named(addr, 2, "Gus").await?;
    let mut q = Wire::connect(addr, "unnamed").await?;
    // Missing name.
    q.send_frame(2, b"NAME").await?;
    q.expect_frame(2, b"Error: bad name").await?;
    // Starts with a digit; a special character; longer than 32 (the maximum limit).
    let long = format!("NAME {}", "a".repeat(33));
    for payload in [&b"NAME 9lives"[..], b"NAME bad!", long.as_bytes()] {
        q.send_frame(2, payload).await?;
        q.expect_frame(2, b"Error: bad name").await?;
    }
    // None of them got in.
    expect_names(&mut gus, 2, "Gus").await?;
    // A good name still works.
    q.send_frame(2, b"NAME Hal").await?;
    q.expect_frame(2, b"Hello Hal").await?;
    expect_names(&mut gus, 2, "Gus Hal").await?;
    exit(gus, 2).await?;
    exit(q, 2).await
}

/// MSG's errors: before NAME, to nobody, without a name or text.
async fn msg_errors(addr: SocketAddr) -> Result<(), Failure> {
    let mut jon = named(addr, 2, "Jon").await?;
    let mut ivy = Wire::connect(addr, "Ivy").await?;
    // MSG before NAME.
    ivy.send_frame(2, b"MSG Jon hi").await?;
    ivy.expect_frame(2, b"Error: choose a name first with NAME <name>")
        .await?;
    ivy.send_frame(2, b"NAME Ivy").await?;
    ivy.expect_frame(2, b"Hello Ivy").await?;
    // MSG to a name nobody has.
    ivy.send_frame(2, b"MSG Nobody hi").await?;
    ivy.expect_frame(2, b"Error: no user named Nobody").await?;
    // MSG without a name, and without text.
    for payload in [&b"MSG"[..], b"MSG Jon"] {
        ivy.send_frame(2, payload).await?;
        ivy.expect_frame(2, b"Error: usage: MSG <name> <message>")
            .await?;
    }
    // Jon received none of it: his first frame is this one.
    ivy.send_frame(2, b"MSG Jon ok").await?;
    jon.expect_frame(2, b"Ivy sent ok").await?;
    exit(ivy, 2).await?;
    exit(jon, 2).await
}

/// A payload that is not UTF-8 is refused and never relayed.
async fn not_utf8(addr: SocketAddr) -> Result<(), Failure> {
    let mut lou = named(addr, 2, "Lou").await?;
    let mut kai = Wire::connect(addr, "Kai").await?;
    // Before naming: a NAME whose name is not UTF-8.
    kai.send_frame(2, b"NAME \xff").await?;
    kai.expect_frame(2, b"Error: text is not UTF-8").await?;
    kai.send_frame(2, b"NAME Kai").await?;
    kai.expect_frame(2, b"Hello Kai").await?;
    // A message whose text is not UTF-8 (a lone byte, a truncated sequence).
    for payload in [&b"MSG Lou \xff\xfe"[..], b"MSG Lou caf\xc3"] {
        kai.send_frame(2, payload).await?;
        kai.expect_frame(2, b"Error: text is not UTF-8").await?;
    }
    // Lou received none of it; real UTF-8 goes through as is.
    kai.send_frame(2, "MSG Lou café".as_bytes()).await?;
    lou.expect_frame(2, "Kai sent café".as_bytes()).await?;
    exit(kai, 2).await?;
    exit(lou, 2).await
}

/// The empty payload and a length field that is not a number, at both widths; the
/// connection stays usable after each.
async fn empty_and_bad_length(addr: SocketAddr) -> Result<(), Failure> {
    // Max speaks 2 digits, Ned 4; the width is fixed by each one's first frame.
    let mut max = named(addr, 2, "Max").await?;
    let mut ned = named(addr, 4, "Ned").await?;
    // An empty payload.
    max.send(b"00").await?;
    max.expect_frame(2, b"Error: empty command").await?;
    ned.send(b"0000").await?;
    ned.expect_frame(4, b"Error: empty command").await?;
    // A length field with non-digits, exactly one field long so a server that reads it
    // in one piece answers once.
    max.send(b"ab").await?;
    max.expect_frame(2, b"Error: bad length field").await?;
    ned.send(b"1x2y").await?;
    ned.expect_frame(4, b"Error: bad length field").await?;
    // Both connections still work, and each gets frames in its own width.
    max.send_frame(2, b"MSG Ned hi").await?;
    ned.expect_frame(4, b"Max sent hi").await?;
    ned.send_frame(4, b"MSG Max yo").await?;
    max.expect_frame(2, b"Ned sent yo").await?;
    exit(max, 2).await?;
    exit(ned, 4).await
}

/// 91 bytes of words, so `MSG Rcv ` + it fills a 2-digit frame exactly.
const LONG_TEXT: &str =
    "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut.";

/// Replies over 99 bytes at width 2 arrive as several frames, split after the last
/// space that fits (a direct message as several messages, each with its sender); at
/// width 4 the same reply is one frame.
async fn long_reply_split(addr: SocketAddr) -> Result<(), Failure> {
    // A sender with a long name so the relayed text outgrows its 99-byte command.
    let mut sender = named(addr, 2, "Longsendername").await?;
    let mut rcv = named(addr, 2, "Rcv").await?;
    let mut wide = named(addr, 4, "Wide").await?;
    // 91 bytes of words: "MSG Rcv " + text is 99 bytes, the relayed reply 111.
    let text = LONG_TEXT;
    sender
        .send_frame(2, format!("MSG Rcv {text}").as_bytes())
        .await?;
    // A direct message comes as several messages, each naming its real sender, so no
    // part can pass for a message from someone else.
    rcv.expect_frame(
        2,
        b"Longsendername sent lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor ",
    )
    .await?;
    rcv.expect_frame(2, b"Longsendername sent incididunt ut.")
        .await?;
    // The same message to the 4-digit client comes in one frame.
    sender
        .send_frame(
            2,
            format!("MSG Wide {}", text.trim_end_matches('.')).as_bytes(),
        )
        .await?;
    wide.expect_frame(
        4,
        format!("Longsendername sent {}", text.trim_end_matches('.')).as_bytes(),
    )
    .await?;
    // Four more 20-character names make the GET_NAMES reply 107 bytes.
    let mut extra = Vec::new();
    let mut names = vec!["Longsendername".to_owned(), "Rcv".into(), "Wide".into()];
    for letter in ['a', 'b', 'c', 'd'] {
        let name = format!("Split{letter}{}", "x".repeat(14));
        extra.push(named(addr, 2, &name).await?);
        names.push(name);
    }
    let all = names.join(" ");
    expect_names(&mut rcv, 2, &all).await?;
    expect_names(&mut wide, 4, &all).await?;
    for c in extra {
        exit(c, 2).await?;
    }
    exit(sender, 2).await?;
    exit(rcv, 2).await?;
    exit(wide, 4).await
}

/// Garbage, half a frame then EOF, and a reset mid-message; then other clients'
/// sessions still work exactly.
async fn robustness(addr: SocketAddr) -> Result<(), Failure> {
    // A named client watches the whole time.
    let mut pia = named(addr, 2, "Pia").await?;
    // Random garbage bytes, then a close.
    let mut junk = Wire::connect(addr, "garbage").await?;
    junk.send(&garbage(0x5eed_0001, 4096)).await?;
    junk.close().await;
    // Half a frame (says 20 bytes, sends 9), then EOF.
    let mut half = Wire::connect(addr, "half").await?;
    half.send(b"20NAME Half").await?;
    half.close().await;
    // A named client resets in the middle of a 4-digit message.
    let mut rst = named(addr, 4, "Rst").await?;
    rst.send(b"0030MSG Pia part").await?;
    rst.reset();
    // The server dropped Rst from the list.
    eventually_names(&mut pia, 2, "Pia").await?;
    // Pia and a newcomer exchange messages exactly.
    let mut quy = named(addr, 4, "Quy").await?;
    pia.send_frame(2, b"MSG Quy still fine").await?;
    quy.expect_frame(4, b"Pia sent still fine").await?;
    quy.send_frame(4, b"MSG Pia good").await?;
    pia.expect_frame(2, b"Quy sent good").await?;
    expect_names(&mut pia, 2, "Pia Quy").await?;
    exit(pia, 2).await?;
    exit(quy, 4).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_fills_a_two_digit_frame() {
        assert_eq!(format!("MSG Rcv {LONG_TEXT}").len(), 99);
    }
}
