//! The prefixed scenarios for what confab decides where seeds 000 and 001 are silent
//! (docs/protocols/prefixed.md, "Departures from the seed"): the 4-digit width, names
//! in any case, renames, error texts, UTF-8, framing errors, splitting and robustness.
//! Graded against a seed, their failures are notes.

use super::{
    eventually_names, exit, expect_names, expect_sent, name_answered, named, seeded, send_msg,
    take_name,
};
use crate::wire::{garbage, Wire};
use crate::{Ctx, Failure};

pub(super) async fn example_run_width4(t: Ctx) -> Result<(), Failure> {
    seeded::example_run(&t, 4).await
}

/// A taken name in another case is refused with the name as this client typed it.
pub(super) async fn name_taken_any_case(t: Ctx) -> Result<(), Failure> {
    let kim_name = t.name("Kim");
    let mut kim = named(t.addr, 2, &kim_name).await?;
    let mut other = Wire::connect(t.addr, "other").await?;
    // "kim…" and "KIM…" are the same name as "Kim…".
    for typed in [kim_name.to_lowercase(), kim_name.to_uppercase()] {
        name_answered(
            &mut other,
            2,
            &typed,
            &format!("Error: name {typed} is taken"),
        )
        .await?;
    }
    // None of them got in.
    expect_names(&t, &mut kim, 2, &kim_name).await?;
    exit(kim, 2).await?;
    exit(other, 2).await
}

/// Command words match in any case: `get_names`, `Msg`, `exit`.
pub(super) async fn command_words_any_case(t: Ctx) -> Result<(), Failure> {
    let (ada_name, bea_name) = (t.name("Ada"), t.name("Bea"));
    let mut ada = Wire::connect(t.addr, &ada_name).await?;
    ada.send_frame(2, format!("name {ada_name}").as_bytes())
        .await?;
    ada.expect_frame(2, format!("Hello {ada_name}").as_bytes())
        .await?;
    let mut bea = named(t.addr, 2, &bea_name).await?;
    ada.send_frame(2, b"get_names").await?;
    ada.expect_frame(2, format!("{ada_name} {bea_name}").as_bytes())
        .await?;
    ada.send_frame(2, format!("Msg {bea_name} hi").as_bytes())
        .await?;
    expect_sent(&mut bea, 2, &ada_name, "hi").await?;
    bea.send_frame(2, b"exit").await?;
    bea.expect_closed().await?;
    exit(ada, 2).await
}

/// NAME when already named renames and releases the old name.
pub(super) async fn rename(t: Ctx) -> Result<(), Failure> {
    let (carl, cleo) = (t.name("Carl"), t.name("Cleo"));
    let mut first = named(t.addr, 2, &carl).await?;
    // Carl becomes Cleo.
    take_name(&mut first, 2, &cleo).await?;
    // Another client can now take Carl.
    let mut second = named(t.addr, 2, &carl).await?;
    // Cleo cannot rename to the now-taken carl.
    let lower = carl.to_lowercase();
    name_answered(
        &mut first,
        2,
        &lower,
        &format!("Error: name {lower} is taken"),
    )
    .await?;
    // Messages follow the new names both ways.
    send_msg(&mut second, 2, &cleo, "hi").await?;
    expect_sent(&mut first, 2, &carl, "hi").await?;
    send_msg(&mut first, 2, &carl, "yo").await?;
    expect_sent(&mut second, 2, &cleo, "yo").await?;
    exit(first, 2).await?;
    exit(second, 2).await
}

/// A missing or rule-breaking name gets `Error: bad name`.
pub(super) async fn bad_name(t: Ctx) -> Result<(), Failure> {
    let (gus, hal) = (t.name("Gus"), t.name("Hal"));
    let mut g = named(t.addr, 2, &gus).await?;
    let mut q = Wire::connect(t.addr, "unnamed").await?;
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
    expect_names(&t, &mut g, 2, &gus).await?;
    // A good name still works.
    take_name(&mut q, 2, &hal).await?;
    expect_names(&t, &mut g, 2, &format!("{gus} {hal}")).await?;
    exit(g, 2).await?;
    exit(q, 2).await
}

/// MSG's errors: before NAME, without a name or text.
pub(super) async fn msg_errors(t: Ctx) -> Result<(), Failure> {
    let (jon_name, ivy_name) = (t.name("Jon"), t.name("Ivy"));
    let mut jon = named(t.addr, 2, &jon_name).await?;
    let mut ivy = Wire::connect(t.addr, &ivy_name).await?;
    // MSG before NAME.
    send_msg(&mut ivy, 2, &jon_name, "hi").await?;
    ivy.expect_frame(2, b"Error: choose a name first with NAME <name>")
        .await?;
    take_name(&mut ivy, 2, &ivy_name).await?;
    // MSG without a name, and without text.
    for payload in [b"MSG".to_vec(), format!("MSG {jon_name}").into_bytes()] {
        ivy.send_frame(2, &payload).await?;
        ivy.expect_frame(2, b"Error: usage: MSG <name> <message>")
            .await?;
    }
    // Jon received none of it: his first frame is this one.
    send_msg(&mut ivy, 2, &jon_name, "ok").await?;
    expect_sent(&mut jon, 2, &ivy_name, "ok").await?;
    exit(ivy, 2).await?;
    exit(jon, 2).await
}

/// A payload that is not UTF-8 is refused and never relayed.
pub(super) async fn not_utf8(t: Ctx) -> Result<(), Failure> {
    let (lou_name, kai_name) = (t.name("Lou"), t.name("Kai"));
    let mut lou = named(t.addr, 2, &lou_name).await?;
    let mut kai = Wire::connect(t.addr, &kai_name).await?;
    // Before naming: a NAME whose name is not UTF-8.
    kai.send_frame(2, b"NAME \xff").await?;
    kai.expect_frame(2, b"Error: text is not UTF-8").await?;
    take_name(&mut kai, 2, &kai_name).await?;
    // A message whose text is not UTF-8 (a lone byte, a truncated sequence).
    for tail in [&b" \xff\xfe"[..], b" caf\xc3"] {
        let mut payload = format!("MSG {lou_name}").into_bytes();
        payload.extend_from_slice(tail);
        kai.send_frame(2, &payload).await?;
        kai.expect_frame(2, b"Error: text is not UTF-8").await?;
    }
    // Lou received none of it; real UTF-8 goes through as is.
    send_msg(&mut kai, 2, &lou_name, "café").await?;
    expect_sent(&mut lou, 2, &kai_name, "café").await?;
    exit(kai, 2).await?;
    exit(lou, 2).await
}

/// The empty payload and a length field that is not a number, at both widths; the
/// connection stays usable after each.
pub(super) async fn empty_and_bad_length(t: Ctx) -> Result<(), Failure> {
    let (max_name, ned_name) = (t.name("Max"), t.name("Ned"));
    // Max speaks 2 digits, Ned 4; the width is fixed by each one's first frame.
    let mut max = named(t.addr, 2, &max_name).await?;
    let mut ned = named(t.addr, 4, &ned_name).await?;
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
    send_msg(&mut max, 2, &ned_name, "hi").await?;
    expect_sent(&mut ned, 4, &max_name, "hi").await?;
    send_msg(&mut ned, 4, &max_name, "yo").await?;
    expect_sent(&mut max, 2, &ned_name, "yo").await?;
    exit(max, 2).await?;
    exit(ned, 4).await
}

/// 88 bytes of words, so `MSG Rcv<suffix> ` + it fills a 2-digit frame exactly.
pub(super) const LONG_TEXT: &str =
    "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt.";

/// Replies over 99 bytes at width 2 arrive as several frames, split after the last
/// space that fits (a direct message as several messages, each with its sender); at
/// width 4 the same reply is one frame.
pub(super) async fn long_reply_split(t: Ctx) -> Result<(), Failure> {
    // A sender with a long name (14 characters) so the relayed text outgrows its frame.
    let (sender_name, rcv_name, wide_name) = (t.name("Longsenders"), t.name("Rcv"), t.name("Wide"));
    let mut sender = named(t.addr, 2, &sender_name).await?;
    let mut rcv = named(t.addr, 2, &rcv_name).await?;
    let mut wide = named(t.addr, 4, &wide_name).await?;
    // "MSG Rcv… " + 88 bytes is 99; the relayed reply, "Longsenders… sent " + 88, is 108.
    let text = LONG_TEXT;
    send_msg(&mut sender, 2, &rcv_name, text).await?;
    // A direct message comes as several messages, each naming its real sender, so no
    // part can pass for a message from someone else.
    let first = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor ";
    expect_sent(&mut rcv, 2, &sender_name, first).await?;
    expect_sent(&mut rcv, 2, &sender_name, "incididunt.").await?;
    // The same message to the 4-digit client comes in one frame.
    let shorter = text.trim_end_matches('.');
    send_msg(&mut sender, 2, &wide_name, shorter).await?;
    expect_sent(&mut wide, 4, &sender_name, shorter).await?;
    // Four more 20-character names make the names reply over 99 bytes.
    let mut extra = Vec::new();
    let mut names = vec![sender_name, rcv_name, wide_name];
    for letter in ['a', 'b', 'c', 'd'] {
        let name = t.name(&format!("Split{letter}{}", "x".repeat(11)));
        extra.push(named(t.addr, 2, &name).await?);
        names.push(name);
    }
    let all = names.join(" ");
    expect_names(&t, &mut rcv, 2, &all).await?;
    expect_names(&t, &mut wide, 4, &all).await?;
    for c in extra {
        exit(c, 2).await?;
    }
    exit(sender, 2).await?;
    exit(rcv, 2).await?;
    exit(wide, 4).await
}

/// Garbage, half a frame then EOF, and a reset mid-message; then other clients'
/// sessions still work exactly.
pub(super) async fn robustness(t: Ctx) -> Result<(), Failure> {
    let (pia_name, rst_name, quy_name) = (t.name("Pia"), t.name("Rst"), t.name("Quy"));
    // A named client watches the whole time.
    let mut pia = named(t.addr, 2, &pia_name).await?;
    // Random garbage bytes, then a close.
    let mut junk = Wire::connect(t.addr, "garbage").await?;
    junk.send(&garbage(0x5eed_0001, 4096)).await?;
    junk.close().await;
    // Half a frame (says 20 bytes, sends 9), then EOF.
    let mut half = Wire::connect(t.addr, "half").await?;
    half.send(b"20NAME Half").await?;
    half.close().await;
    // A named client resets in the middle of a 4-digit message.
    let mut rst = named(t.addr, 4, &rst_name).await?;
    rst.send(format!("0030MSG {pia_name} part").as_bytes())
        .await?;
    rst.reset();
    // The server dropped Rst from the list.
    eventually_names(&t, &mut pia, 2, &pia_name).await?;
    // Pia and a newcomer exchange messages exactly.
    let mut quy = named(t.addr, 4, &quy_name).await?;
    send_msg(&mut pia, 2, &quy_name, "still fine").await?;
    expect_sent(&mut quy, 4, &pia_name, "still fine").await?;
    send_msg(&mut quy, 4, &pia_name, "good").await?;
    expect_sent(&mut pia, 2, &quy_name, "good").await?;
    expect_names(&t, &mut pia, 2, &format!("{pia_name} {quy_name}")).await?;
    exit(pia, 2).await?;
    exit(quy, 4).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ctx::SUFFIX_LEN;

    #[test]
    fn long_text_fills_a_two_digit_frame() {
        let rcv = format!("Rcv{}", "x".repeat(SUFFIX_LEN));
        assert_eq!(format!("MSG {rcv} {LONG_TEXT}").len(), 99);
        assert_eq!(format!("Longsenders{}", "x".repeat(SUFFIX_LEN)).len(), 14);
        assert_eq!(format!("Splitax{}", "x".repeat(10 + SUFFIX_LEN)).len(), 20);
    }
}
