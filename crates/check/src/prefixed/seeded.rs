//! The prefixed scenarios seeds 000 and 001 ask for: the example run and the rubric's
//! rows. They speak 2-digit frames and upper-case command words, as the seeds show, and
//! take confab's error texts only as notes when graded against a seed (`own_reply`).

use super::{
    exit, expect_names, expect_sent, named, names_request, own_reply, send_msg, take_name,
};
use crate::wire::Wire;
use crate::{Ctx, Failure};

pub(super) async fn example_run_width2(t: Ctx) -> Result<(), Failure> {
    example_run(&t, 2).await
}

/// Seed 000's example run, its 15 numbered steps in order, at width `w`.
pub(super) async fn example_run(t: &Ctx, w: usize) -> Result<(), Failure> {
    let (a_name, b_name) = (t.name("A"), t.name("B"));
    // 1-2. A client connects and sets the name A.
    let mut a = named(t.addr, w, &a_name).await?;
    // 3-4. Another client connects and sets the name B.
    let b = named(t.addr, w, &b_name).await?;
    // 5. A checks which clients exist: "A B".
    expect_names(t, &mut a, w, &format!("{a_name} {b_name}")).await?;
    // 6. B disconnects with EXIT; the server closes it.
    exit(b, w).await?;
    // 7. A checks again: only "A".
    expect_names(t, &mut a, w, &a_name).await?;
    // 8-9. Another client connects and sets the name B (free again).
    let mut b = named(t.addr, w, &b_name).await?;
    // 10. A checks again: "A B".
    expect_names(t, &mut a, w, &format!("{a_name} {b_name}")).await?;
    // 11-12. A sends HELLO to B; B receives it with the sender's name.
    send_msg(&mut a, w, &b_name, "HELLO").await?;
    expect_sent(&mut b, w, &a_name, "HELLO").await?;
    // 13. B sends HELLO to A; A's next frame is it (so A got nothing back for step 11).
    send_msg(&mut b, w, &a_name, "HELLO").await?;
    expect_sent(&mut a, w, &b_name, "HELLO").await?;
    // 14. B disconnects.
    exit(b, w).await?;
    // 15. A disconnects.
    exit(a, w).await
}

/// Rubric: both clients NAME then ask for the names (with every rule, both spellings).
pub(super) async fn rubric_name_then_getnames(t: Ctx) -> Result<(), Failure> {
    let (rita_name, sam_name) = (t.name("Rita"), t.name("Sam"));
    // Both clients take a name.
    let mut rita = named(t.addr, 2, &rita_name).await?;
    let mut sam = named(t.addr, 2, &sam_name).await?;
    // Each asks: both names, in the order they were taken.
    let both = format!("{rita_name} {sam_name}");
    let requests: &[&[u8]] = if t.all_rules() {
        &[b"GET_NAMES", b"GETNAMES"]
    } else {
        &[names_request(&t)]
    };
    for request in requests {
        for c in [&mut rita, &mut sam] {
            c.send_frame(2, request).await?;
            c.expect_frame(2, both.as_bytes()).await?;
        }
    }
    // Both leave.
    exit(rita, 2).await?;
    exit(sam, 2).await
}

/// Rubric: a one-word message reaches the other client with the sender's name.
pub(super) async fn rubric_one_word_message(t: Ctx) -> Result<(), Failure> {
    let (ugo_name, vic_name) = (t.name("Ugo"), t.name("Vic"));
    let mut ugo = named(t.addr, 2, &ugo_name).await?;
    let mut vic = named(t.addr, 2, &vic_name).await?;
    // Ugo sends one word to Vic.
    send_msg(&mut ugo, 2, &vic_name, "hello").await?;
    expect_sent(&mut vic, 2, &ugo_name, "hello").await?;
    // Vic answers with several words: the text is everything after the name.
    send_msg(&mut vic, 2, &ugo_name, "how are you").await?;
    expect_sent(&mut ugo, 2, &vic_name, "how are you").await?;
    exit(ugo, 2).await?;
    exit(vic, 2).await
}

/// Rubric: a client leaves with EXIT and the server goes on serving the others.
pub(super) async fn rubric_exit_server_goes_on(t: Ctx) -> Result<(), Failure> {
    let (tom_name, uma_name, wes_name) = (t.name("Tom"), t.name("Uma"), t.name("Wes"));
    let mut tom = named(t.addr, 2, &tom_name).await?;
    let mut uma = named(t.addr, 2, &uma_name).await?;
    let wes = named(t.addr, 2, &wes_name).await?;
    // Wes leaves; the server closes his connection.
    exit(wes, 2).await?;
    // Tom no longer sees Wes, and cannot reach him.
    expect_names(&t, &mut tom, 2, &format!("{tom_name} {uma_name}")).await?;
    send_msg(&mut tom, 2, &wes_name, "hi").await?;
    own_reply(
        &t,
        &mut tom,
        2,
        format!("Error: no user named {wes_name}").as_bytes(),
    )
    .await?;
    // Tom and Uma still talk.
    send_msg(&mut tom, 2, &uma_name, "still here").await?;
    expect_sent(&mut uma, 2, &tom_name, "still here").await?;
    // A new client can take the freed name.
    let wes = named(t.addr, 2, &wes_name).await?;
    exit(wes, 2).await?;
    exit(tom, 2).await?;
    exit(uma, 2).await
}

/// Rubric: an unknown command gets an answer and the connection goes on.
pub(super) async fn rubric_unknown_command(t: Ctx) -> Result<(), Failure> {
    let (xia_name, yul_name) = (t.name("Xia"), t.name("Yul"));
    // An unnamed client sends FOO.
    let mut xia = Wire::connect(t.addr, &xia_name).await?;
    xia.send_frame(2, b"FOO").await?;
    own_reply(&t, &mut xia, 2, b"Error: unknown command FOO").await?;
    // Its connection goes on: it can take a name.
    take_name(&mut xia, 2, &xia_name).await?;
    // A named client's unknown command names the word as typed.
    let mut yul = named(t.addr, 2, &yul_name).await?;
    yul.send_frame(2, b"HELLO there").await?;
    own_reply(&t, &mut yul, 2, b"Error: unknown command HELLO").await?;
    // Both still exchange messages.
    send_msg(&mut yul, 2, &xia_name, "hi").await?;
    expect_sent(&mut xia, 2, &yul_name, "hi").await?;
    exit(xia, 2).await?;
    exit(yul, 2).await
}

/// Rubric: a message to himself is delivered (seed 001 also allows a refusal).
pub(super) async fn rubric_message_to_himself(t: Ctx) -> Result<(), Failure> {
    let (yan_name, zoe_name) = (t.name("Yan"), t.name("Zoe"));
    let mut yan = named(t.addr, 2, &yan_name).await?;
    let mut zoe = named(t.addr, 2, &zoe_name).await?;
    // Yan writes to Yan.
    send_msg(&mut yan, 2, &yan_name, "hi").await?;
    own_reply(&t, &mut yan, 2, format!("{yan_name} sent hi").as_bytes()).await?;
    // Zoe got none of it: her next frame is the one Yan sends her now.
    send_msg(&mut yan, 2, &zoe_name, "hey").await?;
    expect_sent(&mut zoe, 2, &yan_name, "hey").await?;
    exit(yan, 2).await?;
    exit(zoe, 2).await
}

/// A taken name is refused; a free one still works and the list shows both.
pub(super) async fn name_taken(t: Ctx) -> Result<(), Failure> {
    let (kim_name, lee_name) = (t.name("Kim"), t.name("Lee"));
    let mut kim = named(t.addr, 2, &kim_name).await?;
    let mut other = Wire::connect(t.addr, "other").await?;
    // The same name again.
    other
        .send_frame(2, format!("NAME {kim_name}").as_bytes())
        .await?;
    own_reply(
        &t,
        &mut other,
        2,
        format!("Error: name {kim_name} is taken").as_bytes(),
    )
    .await?;
    // A free name still works, and the list shows both.
    take_name(&mut other, 2, &lee_name).await?;
    expect_names(&t, &mut kim, 2, &format!("{kim_name} {lee_name}")).await?;
    exit(kim, 2).await?;
    exit(other, 2).await
}

/// A message to a name nobody has gets an answer; nobody else receives anything.
pub(super) async fn msg_to_nobody(t: Ctx) -> Result<(), Failure> {
    let (jon_name, ivy_name, nobody) = (t.name("Jon"), t.name("Ivy"), t.name("Nobody"));
    let mut jon = named(t.addr, 2, &jon_name).await?;
    let mut ivy = named(t.addr, 2, &ivy_name).await?;
    send_msg(&mut ivy, 2, &nobody, "hi").await?;
    own_reply(
        &t,
        &mut ivy,
        2,
        format!("Error: no user named {nobody}").as_bytes(),
    )
    .await?;
    // Jon received none of it: his first frame is this one.
    send_msg(&mut ivy, 2, &jon_name, "ok").await?;
    expect_sent(&mut jon, 2, &ivy_name, "ok").await?;
    exit(ivy, 2).await?;
    exit(jon, 2).await
}
